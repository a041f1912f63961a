// POST /api/v2/token: username + password → bearer token. Failures are OAuth-style, and also
// carry the Partner API's `meta` block so that clients reading either format understand them.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { authenticateHubUser } from '../../services/hub-users.ts';
import { throttledLogin } from '../../services/login-throttle.ts';
import { issueToken } from '../../services/tokens.ts';

const TokenBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});
const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
});
const OAuthError = Type.Object({
  error: Type.String(),
  error_description: Type.String(),
  meta: Type.Object({ success: Type.Boolean(), http_code: Type.Integer(), developer_message: Type.String() }),
});

function oauthError(status: number, error: string, description: string) {
  return { error, error_description: description, meta: { success: false, http_code: status, developer_message: description } };
}

export const tokenRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/token',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'Get a bearer token for a hub user',
        body: TokenBody,
        response: { 200: TokenResponse, 401: OAuthError, 429: OAuthError },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      // Counted before the password check, so that concurrent guesses cannot outrun the limit.
      const login = await throttledLogin(deps, username, request.ip, () => authenticateHubUser(deps, username, password));
      if (login.kind === 'blocked') {
        reply.header('retry-after', String(login.retryAfterSeconds));
        return reply.status(429).send(oauthError(429, 'too_many_requests', `Too many failed logins; try again in ${login.retryAfterSeconds} s`));
      }
      if (login.kind === 'wrong') return reply.status(401).send(oauthError(401, 'invalid_grant', 'Wrong username or password'));
      return issueToken(deps, login.user);
    },
  );
};
