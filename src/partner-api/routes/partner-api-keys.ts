// Partner API keys (X-API-Key), managed over the API as the Hub's "API Keys" section does
// (an openwaba extension: 360dialog offers this only in its UI).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { createPartnerApiKey, listPartnerApiKeys, revokePartnerApiKey, PARTNER_API_KEY_NAME_MAX } from '../../services/partner-api-keys.ts';
import { successMeta } from '../errors.ts';
import { PartnerIdParams, SuccessMeta, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';

/** Checked by the service (one rule for the API, the admin API, the Hub and the CLI). */
export const KeyName = Type.String({ description: `1 to ${PARTNER_API_KEY_NAME_MAX} characters; leading and trailing spaces are trimmed and not counted` });
const Time = Type.Union([Type.String(), Type.Null()]);
const KeyInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  created_at: Time,
  last_used_at: Time,
  revoked_at: Time,
});

export const partnerApiKeyRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Partner API keys (extension)'];

  app.get(
    '/partners/:partner_id/api_keys',
    {
      schema: { tags, summary: "List the partner's API keys (no secrets)", security: PARTNER_SECURITY, params: PartnerIdParams, response: { 200: Type.Object({ api_keys: Type.Array(KeyInfo) }), ...PARTNER_ERRORS } },
    },
    async (request) => {
      return { api_keys: await listPartnerApiKeys(deps, request.params.partner_id) };
    },
  );

  app.post(
    '/partners/:partner_id/api_keys',
    {
      schema: {
        tags,
        summary: 'Create a partner API key; the key is shown only in this answer',
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        body: Type.Object({ name: KeyName }, { additionalProperties: false }),
        response: { 201: Type.Object({ ...KeyInfo.properties, api_key: Type.String() }), ...PARTNER_ERRORS },
      },
    },
    async (request, reply) => {
      return reply.status(201).send(await createPartnerApiKey(deps, request.params.partner_id, request.body.name));
    },
  );

  app.delete(
    '/partners/:partner_id/api_keys/:key_id',
    {
      schema: {
        tags,
        summary: 'Revoke a partner API key',
        security: PARTNER_SECURITY,
        params: Type.Object({ partner_id: Type.String({ maxLength: 64 }), key_id: Type.String({ maxLength: 64 }) }),
        response: { 200: SuccessMeta, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      await revokePartnerApiKey(deps, request.params.partner_id, request.params.key_id);
      return successMeta(`API key ${request.params.key_id} revoked`);
    },
  );
};
