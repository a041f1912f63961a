// API Keys: create a named partner API key (shown once), list them, revoke one.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { createPartnerApiKey, listPartnerApiKeys, revokePartnerApiKey, type PartnerApiKeyInfo } from '../../services/partner-api-keys.ts';
import { field, fmtTime, hubOf, hubPage, partnerPath } from './context.ts';

type Extra = { created?: PartnerApiKeyInfo & { api_key: string }; name?: string; nameError?: string; notice?: string };

async function show(deps: Deps, request: FastifyRequest, reply: FastifyReply, extra: Extra = {}, status = 200) {
  const keys = await listPartnerApiKeys(deps, hubOf(request).partnerId);
  return hubPage(
    reply,
    request,
    'hub/api-keys',
    {
      title: 'API Keys',
      nav: 'keys',
      keys: keys.map((k) => ({ ...k, created_at: fmtTime(k.created_at), last_used_at: fmtTime(k.last_used_at) })),
      created: extra.created,
      name: extra.name ?? '',
      nameError: extra.nameError,
      notice: extra.notice,
    },
    status,
  );
}

export const apiKeyPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/api-keys', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    return show(deps, request, reply, { notice: q.revoked === '1' ? 'The key was revoked; requests with it now get 401.' : undefined });
  });

  app.post('/api-keys', { schema: { hide: true } }, async (request, reply) => {
    const raw = field(request.body, 'name', 1000) ?? '';
    // The service's rule, as for POST /api/v2/partners/{pid}/api_keys; its refusal shown at the field.
    let created;
    try {
      created = await createPartnerApiKey(deps, hubOf(request).partnerId, raw);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      return show(deps, request, reply, { name: raw.slice(0, 100), nameError: `${err.message}.` }, 400);
    }
    return show(deps, request, reply, { created });
  });

  app.post('/api-keys/:key_id/revoke', { schema: { hide: true } }, async (request, reply) => {
    const { key_id } = request.params as { key_id: string };
    await revokePartnerApiKey(deps, hubOf(request).partnerId, key_id);
    return reply.redirect(partnerPath(hubOf(request).partnerId, '/api-keys?revoked=1'), 303);
  });
};
