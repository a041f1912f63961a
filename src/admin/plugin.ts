// The operator API (/admin): create partners and their hub users. Present only when
// OPENWABA_ADMIN_TOKEN is set; guarded by `Authorization: Bearer <OPENWABA_ADMIN_TOKEN>`.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { newPassword } from '../crypto.ts';
import { partnerErrorHandler, partnerNotFoundHandler } from '../partner-api/errors.ts';
import { ErrorBody, Partner } from '../partner-api/schemas.ts';
import { KeyName } from '../partner-api/routes/partner-api-keys.ts';
import { createHubUser } from '../services/hub-users.ts';
import { createPartnerApiKey } from '../services/partner-api-keys.ts';
import { createPartnerWithHubUser, getPartner, listPartners, NEW_PARTNER, partnerToWire } from '../services/partners.ts';
import { bootstrapTenant } from '../services/bootstrap.ts';
import { adminChannelRoutes } from './channel-routes.ts';
import { adminThroughputRoutes } from './throughput-routes.ts';
import { adminMetaRoutes } from './meta-routes.ts';
import { adminPartnerChangeRoutes } from './partner-change-routes.ts';
import { adminOnboardingUserRoutes } from './onboarding-user-routes.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

const security: { [k: string]: string[] }[] = [{ AdminToken: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const Username = Type.String({ minLength: NEW_PARTNER.usernameMin, maxLength: NEW_PARTNER.usernameMax, pattern: '^\\S+$' });
const Password = Type.String({ minLength: NEW_PARTNER.passwordMin, maxLength: NEW_PARTNER.passwordMax });
const HubUserOut = Type.Object({
  id: Type.String(),
  partner_id: Type.String(),
  username: Type.String(),
  password: Type.Optional(Type.String({ description: 'Only when generated; shown once' })),
});

export const adminApi: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const expected = digest(deps.config.adminToken ?? '');
  app.setErrorHandler(partnerErrorHandler);
  app.setNotFoundHandler(partnerNotFoundHandler);
  app.addHook('onRequest', async (request) => {
    const m = /^bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    // Compare digests: constant time, whatever the presented length.
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) throw new ApiError(401, 'Invalid or missing admin token');
  });
  const tags = ['Admin'];
  await app.register(adminChannelRoutes, { deps });
  await app.register(adminThroughputRoutes, { deps });
  await app.register(adminMetaRoutes, { deps });
  await app.register(adminPartnerChangeRoutes, { deps });
  await app.register(adminOnboardingUserRoutes, { deps });

  app.get('/partners', { schema: { tags, security, summary: 'List partners', response: { 200: Type.Object({ partners: Type.Array(Partner) }), ...errors } } }, async () => ({
    partners: (await listPartners(deps)).map(partnerToWire),
  }));

  app.post(
    '/partners',
    {
      schema: {
        tags,
        security,
        summary: 'Create a partner and its first hub user',
        body: Type.Object(
          {
            brand_name: Type.String({ minLength: 1, maxLength: NEW_PARTNER.brandNameMax }),
            username: Username,
            password: Type.Optional(Password),
            country: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ partner: Partner, hub_user: HubUserOut }), ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const password = b.password ?? newPassword();
      const result = await createPartnerWithHubUser(deps, { partner: { brand_name: b.brand_name, country: b.country?.toUpperCase() ?? null }, username: b.username, password });
      return reply.status(201).send({
        partner: partnerToWire(result.partner),
        hub_user: { ...result.user, ...(b.password ? {} : { password }) },
      });
    },
  );

  app.post(
    '/partners/:partner_id/hub_users',
    {
      schema: {
        tags,
        security,
        summary: 'Add a hub user to a partner',
        params: Type.Object({ partner_id: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ username: Username, password: Type.Optional(Password) }, { additionalProperties: false }),
        response: { 201: HubUserOut, ...errors },
      },
    },
    async (request, reply) => {
      await getPartner(deps, request.params.partner_id);
      const password = request.body.password ?? newPassword();
      const user = await createHubUser(deps, { partnerId: request.params.partner_id, username: request.body.username, password });
      return reply.status(201).send({ ...user, ...(request.body.password ? {} : { password }) });
    },
  );

  app.post(
    '/partners/:partner_id/api_keys',
    {
      schema: {
        tags,
        security,
        summary: 'Create a partner API key (shown once)',
        params: Type.Object({ partner_id: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ name: KeyName }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), name: Type.String(), prefix: Type.String(), api_key: Type.String() }, { additionalProperties: true }), ...errors },
      },
    },
    async (request, reply) => {
      await getPartner(deps, request.params.partner_id);
      return reply.status(201).send(await createPartnerApiKey(deps, request.params.partner_id, request.body.name));
    },
  );

  app.post(
    '/bootstrap',
    {
      schema: {
        tags,
        security,
        summary: 'Create a partner with hub user, keys, client and sandbox channel (like `openwaba bootstrap --json`)',
        response: { 201: Type.Record(Type.String(), Type.String()), ...errors },
      },
    },
    async (_request, reply) => reply.status(201).send({ ...(await bootstrapTenant(deps)) }),
  );
};
