// Operator control of onboarding users (the clients' login users of the partners' onboarding
// pages): list, change a login e-mail, remove (as `openwaba onboarding-users`). The way out of a
// partner change refused for a login e-mail the new partner already has: rename or remove that
// account, then ask again. Password hashes are never shown.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.ts';
import { ErrorBody } from '../partner-api/schemas.ts';
import { listOnboardingUsers, ONBOARDING_USER_LIST, onboardingUserToWire, removeOnboardingUser, renameOnboardingUser } from '../services/onboarding-users.ts';

const security: { [k: string]: string[] }[] = [{ AdminToken: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const UserIdParams = Type.Object({ user_id: Type.String({ maxLength: 64 }) });

export const OnboardingUser = Type.Object({
  id: Type.String(),
  partner_id: Type.String(),
  client_id: Type.Union([Type.String(), Type.Null()], { description: 'Set once the user granted the partner access (its client was created then)' }),
  name: Type.String(),
  email: Type.String({ description: 'The login e-mail, lower-cased; unique per partner' }),
  created_at: Type.String(),
});

export const adminOnboardingUserRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Admin'];

  app.get(
    '/onboarding_users',
    {
      schema: {
        tags,
        security,
        summary: "List the onboarding pages' login users (any partner's), newest first",
        querystring: Type.Object(
          {
            partner_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            email: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'Exact e-mail, any case' })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: `1 to ${ONBOARDING_USER_LIST.maxLimit}, default ${ONBOARDING_USER_LIST.defaultLimit}` })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ onboarding_users: Type.Array(OnboardingUser) }), ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listOnboardingUsers(deps, { partnerId: q.partner_id, clientId: q.client_id, email: q.email }, q.limit === undefined ? undefined : Number(q.limit));
      return { onboarding_users: rows.map(onboardingUserToWire) };
    },
  );

  app.patch(
    '/onboarding_users/:user_id',
    {
      schema: {
        tags,
        security,
        summary: "Change an onboarding user's login e-mail (its password and sessions stay)",
        description: 'A value that is not an e-mail address is a 400; an e-mail another user of the same partner has is a 409.',
        params: UserIdParams,
        body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }) }, { additionalProperties: false }),
        response: { 200: OnboardingUser, ...errors },
      },
    },
    async (request) => onboardingUserToWire(await renameOnboardingUser(deps, request.params.user_id, request.body.email)),
  );

  app.delete(
    '/onboarding_users/:user_id',
    {
      schema: {
        tags,
        security,
        summary: 'Remove an onboarding user and end its sessions (its client and numbers stay)',
        params: UserIdParams,
        response: { 200: Type.Object({ removed: OnboardingUser, sessions_ended: Type.Integer({ minimum: 0 }) }), ...errors },
      },
    },
    async (request) => {
      const { user, sessionsEnded } = await removeOnboardingUser(deps, request.params.user_id);
      return { removed: onboardingUserToWire(user), sessions_ended: sessionsEnded };
    },
  );
};
