// "Partner Integration": the Partner ID, the webhook and redirect URLs, the webhook signing
// secret (revealed or rotated on request, never in the page as first served) and the test event.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { getPartner, updatePartner } from '../../services/partners.ts';
import { optionalUrl, optionalWebhookUrl } from '../../partner-api/urls.ts';
import { getPartnerWebhookSecret, rotatePartnerWebhookSecret, sendTestEvent } from '../../webhooks/partner-webhook.ts';
import { field, fmtTime, hubOf, hubPage, partnerPath } from './context.ts';

type Extra = {
  form?: { webhook_url: string; partner_redirect_url: string };
  errors?: { webhook_url?: string; partner_redirect_url?: string };
  notice?: string;
  secret?: { value: string; rotated: boolean };
  test?: Awaited<ReturnType<typeof sendTestEvent>>;
};

async function show(deps: Deps, request: FastifyRequest, reply: FastifyReply, extra: Extra = {}, status = 200) {
  const { partnerId } = hubOf(request);
  const p = await getPartner(deps, partnerId);
  const attempt = extra.test?.attempt_log[0];
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
    const q = request.query as Record<string, unknown>;
    return show(deps, request, reply, { notice: q.saved === '1' ? 'Saved.' : undefined });
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

  // Revealing is a POST: the secret never sits in a cached or bookmarked page.
  app.post('/webhook-secret', { schema: { hide: true } }, async (request, reply) => {
    const value = await getPartnerWebhookSecret(deps, hubOf(request).partnerId);
    return show(deps, request, reply, { secret: { value, rotated: false } });
  });

  app.post('/webhook-secret/rotate', { schema: { hide: true } }, async (request, reply) => {
    const value = await rotatePartnerWebhookSecret(deps, hubOf(request).partnerId);
    return show(deps, request, reply, { secret: { value, rotated: true }, notice: 'A new signing secret is in use; deliveries from now on are signed with it.' });
  });

  app.post('/webhook-test', { schema: { hide: true } }, async (request, reply) => {
    const test = await sendTestEvent(deps, hubOf(request).partnerId);
    return show(deps, request, reply, { test });
  });
};
