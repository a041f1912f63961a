// "Partner Integration": the Partner ID, the webhook and redirect URLs, the webhook signing
// secret (revealed or rotated on request, never in the page as first served) and the test event.
// Every form answers 303 back to this page (post/redirect/get): the secret rides in a flash of
// the session, shown once; a test event is named in the URL, so a reload shows its latest state.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { getPartner, updatePartner } from '../../services/partners.ts';
import { optionalUrl, optionalWebhookUrl } from '../../partner-api/urls.ts';
import { getWebhookEvent } from '../../webhooks/event-log.ts';
import { getPartnerWebhookSecret, rotatePartnerWebhookSecret, sendTestEvent } from '../../webhooks/partner-webhook.ts';
import { putFlash, takeFlash } from '../sessions.ts';
import { field, fmtTime, formAddress, hubOf, hubPage, partnerPath } from './context.ts';

type Extra = {
  form?: { webhook_url: string; partner_redirect_url: string };
  errors?: { webhook_url?: string; partner_redirect_url?: string };
  notice?: string;
  secret?: { value: string; rotated: boolean };
  test?: Awaited<ReturnType<typeof getWebhookEvent>>;
};

const SECRET_FLASH = 'webhook-secret';

async function show(deps: Deps, request: FastifyRequest, reply: FastifyReply, extra: Extra = {}, status = 200) {
  const { partnerId } = hubOf(request);
  const p = await getPartner(deps, partnerId);
  const attempt = extra.test?.attempt_log.at(-1);
  return hubPage(
    reply,
    request,
    'hub/integration',
    {
      title: 'Partner Integration',
      nav: 'integration',
      partner: { id: p.id, brand_name: p.brand_name, country: p.country, created_at: fmtTime(p.created_at) },
      form: extra.form ?? { webhook_url: p.webhook_url ?? '', partner_redirect_url: p.partner_redirect_url ?? '' },
      errors: extra.errors ?? {},
      notice: extra.notice,
      secret: extra.secret,
      test: extra.test && {
        id: extra.test.id,
        status: extra.test.status,
        outcome: attempt?.outcome ?? null,
        status_code: attempt?.status_code ?? null,
        duration_ms: attempt?.duration_ms ?? null,
        error: attempt?.error ?? null,
        url: attempt?.url ?? null,
      },
    },
    status,
  );
}

export const integrationPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    const q = request.query as Record<string, unknown>;
    const extra: Extra = { notice: q.saved === '1' ? 'Saved.' : undefined };
    // After "Reveal" or "Rotate": the secret, this once; a reload shows the page without it.
    if (q.secret === 'shown' || q.secret === 'rotated') {
      extra.secret = await takeFlash<{ value: string; rotated: boolean }>(deps, request, hub.session, SECRET_FLASH);
      if (q.secret === 'rotated') {
        extra.notice = extra.secret
          ? 'A new signing secret is in use; deliveries from now on are signed with it.'
          : 'The signing secret was rotated: the new one was shown once, after rotating. Reveal it to see it again.';
      } else if (!extra.secret) extra.notice = 'The secret was shown once; reveal it again to see it.';
    }
    // After "Send test event": that event as it stands now (a reload looks again, sends nothing).
    const testId = field(q, 'test', 100);
    if (testId) {
      const e = await getWebhookEvent(deps, hub.partnerId, testId).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw err;
      });
      if (e?.event_type === 'test') extra.test = e;
    }
    return show(deps, request, reply, extra);
  });

  app.post('/settings', { schema: { hide: true } }, async (request, reply) => {
    const form = {
      webhook_url: field(request.body, 'webhook_url')?.trim() ?? '',
      partner_redirect_url: field(request.body, 'partner_redirect_url')?.trim() ?? '',
    };
    // The same checks as PATCH /api/v2/partners/{pid} (the webhook URL under OPENWABA_WEBHOOK_URL_POLICY,
    // as a channel's); an empty field clears the URL.
    const errors: Extra['errors'] = {};
    const patch: { webhook_url?: string | null; partner_redirect_url?: string | null } = {};
    const checks = {
      webhook_url: () => optionalWebhookUrl('Webhook URL', form.webhook_url, deps.config.webhookUrlPolicy),
      partner_redirect_url: () => optionalUrl('Redirect URL', form.partner_redirect_url),
    };
    for (const name of ['webhook_url', 'partner_redirect_url'] as const) {
      try {
        patch[name] = checks[name]();
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 400) throw err;
        errors[name] = err.message;
      }
    }
    if (errors.webhook_url || errors.partner_redirect_url) return show(deps, request, reply, { form, errors }, 400);
    await updatePartner(deps, hubOf(request).partnerId, patch);
    return reply.redirect(partnerPath(hubOf(request).partnerId, '?saved=1'), 303);
  });

  // Revealing is a POST, and the secret reaches the page through a flash: it never sits in a
  // URL, a cached or bookmarked page, or a page that a reload shows again.
  app.post('/webhook-secret', { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    const value = await getPartnerWebhookSecret(deps, hub.partnerId);
    await putFlash(deps, request, hub.session, SECRET_FLASH, { value, rotated: false });
    return reply.redirect(partnerPath(hub.partnerId, '?secret=shown#signing-secret'), 303);
  });

  app.post('/webhook-secret/rotate', { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    const value = await rotatePartnerWebhookSecret(deps, hub.partnerId);
    await putFlash(deps, request, hub.session, SECRET_FLASH, { value, rotated: true });
    return reply.redirect(partnerPath(hub.partnerId, '?secret=rotated#signing-secret'), 303);
  });

  app.post('/webhook-test', { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    const test = await sendTestEvent(deps, hub.partnerId);
    return reply.redirect(partnerPath(hub.partnerId, `?test=${encodeURIComponent(test.id)}#test-event`), 303);
  });

  const forms: [path: string, anchor: string][] = [['/settings', ''], ['/webhook-secret', '#signing-secret'], ['/webhook-secret/rotate', '#signing-secret'], ['/webhook-test', '#test-event']];
  for (const [path, anchor] of forms) formAddress(app, path, (request) => partnerPath(hubOf(request).partnerId, anchor));
};
