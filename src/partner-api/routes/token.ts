// POST /api/v2/token: username + password (or a refresh token) → bearer token and refresh token.
// Every failure is OAuth-style ({error, error_description}, reference §1.1: the .NET client reads
// those two fields) and also carries the Partner API's `meta` block, so that clients reading
// either format understand it: refused logins, throttling, and malformed or incomplete bodies
// alike. The body may be JSON or form-encoded, as OAuth clients send token requests.
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { toApiError } from '../../errors.ts';
import { addFormBodyParser } from '../form-body.ts';
import { authenticateHubUser } from '../../services/hub-users.ts';
import { throttledLogin } from '../../services/login-throttle.ts';
import { issueToken, verifyRefreshToken } from '../../services/tokens.ts';

const TokenBody = Type.Object({
  grant_type: Type.Optional(Type.Union([Type.Literal('password'), Type.Literal('refresh_token')], { description: 'OAuth grant; implied by the fields given' })),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'A refresh_token from an earlier answer: a new pair without the password' })),
});
const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
  refresh_token: Type.String(),
});
const OAuthError = Type.Object({
  error: Type.String(),
  error_description: Type.String(),
  meta: Type.Object({ success: Type.Boolean(), http_code: Type.Integer(), developer_message: Type.String() }),
});

function oauthError(status: number, error: string, description: string) {
  return { error, error_description: description, meta: { success: false, http_code: status, developer_message: description } };
}

/** Validation, parsing and content-type failures of the token route, OAuth-style too. */
function tokenErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const e = toApiError(err);
  if (e.status >= 500) request.log.error({ err }, 'token request failed');
  return reply.status(e.status).send(oauthError(e.status, e.status >= 500 ? 'server_error' : 'invalid_request', e.message));
}

export const tokenRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  // The Partner API's form parser, with the smaller limit token forms always had.
  addFormBodyParser(fastify, { bodyLimit: 16 * 1024 });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(tokenErrorHandler);
  app.post(
    '/token',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'Get a bearer token (and a refresh token) for a hub user: {username, password}, or {refresh_token}',
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
        body: TokenBody,
        response: { 200: TokenResponse, 400: OAuthError, 401: OAuthError, 429: OAuthError },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const grant = b.grant_type ?? (b.refresh_token !== undefined && b.username === undefined ? 'refresh_token' : 'password');
      if (grant === 'refresh_token') {
        if (b.refresh_token === undefined) return reply.status(400).send(oauthError(400, 'invalid_request', 'refresh_token is required for grant_type refresh_token'));
        const user = await verifyRefreshToken(deps, b.refresh_token);
        if (!user) return reply.status(401).send(oauthError(401, 'invalid_grant', 'The refresh token is invalid or has expired: log in with username and password'));
        return issueToken(deps, user);
      }
      if (b.username === undefined || b.password === undefined) {
        return reply.status(400).send(oauthError(400, 'invalid_request', `${b.username === undefined ? 'username' : 'password'} is required (or a refresh_token)`));
      }
      const { username, password } = b;
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
