// API Keys: create a named partner API key (shown once), list them, revoke one.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { createPartnerApiKey, listPartnerApiKeys, revokePartnerApiKey } from '../../services/partner-api-keys.ts';
import { putFlash, takeFlash } from '../sessions.ts';
import { field, fmtTime, formAddress, hubOf, hubPage, partnerPath } from './context.ts';

type Extra = { createdId?: string; name?: string; nameError?: string; notice?: string };

/** The flash that carries a new key's secret from the POST to the page it redirects to. */
const flashName = (keyId: string) => `api-key:${keyId}`;

async function show(deps: Deps, request: FastifyRequest, reply: FastifyReply, extra: Extra = {}, status = 200) {
  const hub = hubOf(request);
  const keys = await listPartnerApiKeys(deps, hub.partnerId);
  // After "Create key": the new key's secret, this once; on a reload, only that it was shown.
  const key = extra.createdId !== undefined ? keys.find((k) => k.id === extra.createdId) : undefined;
  const secret = key && (await takeFlash<{ api_key: string }>(deps, request, hub.session, flashName(key.id)));
  return hubPage(
    reply,
    request,
    'hub/api-keys',
    {
      title: 'API Keys',
      nav: 'keys',
      keys: keys.map((k) => ({ ...k, created_at: fmtTime(k.created_at), last_used_at: fmtTime(k.last_used_at) })),
      created: key && secret ? { name: key.name, api_key: secret.api_key } : undefined,
      notice: key && !secret ? `The key “${key.name}” was shown once, when it was created, and cannot be shown again. If it was not copied, revoke it and create another.` : extra.notice,
      name: extra.name ?? '',
      nameError: extra.nameError,
    },
    status,
  );
}

export const apiKeyPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/api-keys', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    return show(deps, request, reply, {
      createdId: field(q, 'created', 100),
      notice: q.revoked === '1' ? 'The key was revoked; requests with it now get 401.' : undefined,
    });
  });

  app.post('/api-keys', { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    const raw = field(request.body, 'name', 1000) ?? '';
    // The service's rule, as for POST /api/v2/partners/{pid}/api_keys; its refusal shown at the field.
    let created;
    try {
      created = await createPartnerApiKey(deps, hub.partnerId, raw);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      return show(deps, request, reply, { name: raw.slice(0, 100), nameError: `${err.message}.` }, 400);
    }
    await putFlash(deps, request, hub.session, flashName(created.id), { api_key: created.api_key });
    return reply.redirect(partnerPath(hub.partnerId, `/api-keys?created=${encodeURIComponent(created.id)}`), 303);
  });

  app.post('/api-keys/:key_id/revoke', { schema: { hide: true } }, async (request, reply) => {
    const { key_id } = request.params as { key_id: string };
    await revokePartnerApiKey(deps, hubOf(request).partnerId, key_id);
    return reply.redirect(partnerPath(hubOf(request).partnerId, '/api-keys?revoked=1'), 303);
  });
  formAddress(app, '/api-keys/:key_id/revoke', (request) => partnerPath(hubOf(request).partnerId, '/api-keys'));
};
