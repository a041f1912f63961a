// Webhook deliveries: the delivery log (status and event type filters, paged), one event with
// its attempts, retry one, retry every failed one.
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.ts';
import { getWebhookEvent, listWebhookEvents, retryWebhookEvent, retryWebhookEvents } from '../../webhooks/event-log.ts';
import { PARTNER_EVENTS } from '../../webhooks/partner-events.ts';
import { field, fmtTime, formAddress, hubOf, hubPage, pager, partnerPath, PAGE_SIZES } from './context.ts';

const STATUSES = ['pending', 'delivering', 'delivered', 'failed'];

export const webhookPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/webhooks', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const q = request.query;
    const form = {
      status: field(q, 'status', 50) ?? '',
      event_type: field(q, 'event_type', 100)?.trim() ?? '',
      limit: field(q, 'limit', 10) || '25',
      offset: field(q, 'offset', 20) || '0',
    };
    const filters: Record<string, string> = {};
    if (form.status) filters.status = form.status;
    if (form.event_type) filters.event_type = form.event_type;
    const list = await listWebhookEvents(deps, partnerId, { limit: form.limit, offset: form.offset, filters: JSON.stringify(filters) });
    const retried = field(q, 'retried', 10);
    return hubPage(reply, request, 'hub/webhooks', {
      title: 'Webhook deliveries',
      nav: 'webhooks',
      form: { ...form, limit: String(list.limit) },
      statuses: STATUSES,
      eventTypes: [...PARTNER_EVENTS, 'test'],
      sizes: PAGE_SIZES,
      notice: retried !== undefined && /^\d+$/.test(retried) ? `${retried} failed event(s) queued for delivery again.` : undefined,
      events: list.webhook_events.map((e) => ({
        id: e.id,
        href: partnerPath(partnerId, `/webhooks/${encodeURIComponent(e.id)}`),
        event_type: e.event_type,
        target: `${e.target_type} ${e.target_id}`,
        status: e.status,
        attempts: e.attempts,
        last_status_code: e.last_status_code,
        last_error: e.last_error,
        created_at: fmtTime(e.created_at),
      })),
      pager: pager(partnerPath(partnerId, '/webhooks'), { status: form.status, event_type: form.event_type }, list),
    });
  });

  app.get('/webhooks/:event_id', { schema: { hide: true } }, async (request, reply) => {
    const e = await getWebhookEvent(deps, hubOf(request).partnerId, (request.params as { event_id: string }).event_id);
    const q = request.query as Record<string, unknown>;
    return hubPage(reply, request, 'hub/webhook-event', {
      title: `Event ${e.id}`,
      nav: 'webhooks',
      notice: q.retried === '1' ? 'Queued for delivery again.' : undefined,
      e: {
        ...e,
        created_at: fmtTime(e.created_at),
        next_attempt_at: fmtTime(e.next_attempt_at),
        delivered_at: fmtTime(e.delivered_at),
        failed_at: fmtTime(e.failed_at),
        expires_at: fmtTime(e.expires_at),
        payload: JSON.stringify(e.payload, null, 2),
        attempt_log: e.attempt_log.map((a) => ({ ...a, started_at: fmtTime(a.started_at) })),
      },
    });
  });

  app.post('/webhooks/:event_id/retry', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const e = await retryWebhookEvent(deps, partnerId, (request.params as { event_id: string }).event_id);
    return reply.redirect(partnerPath(partnerId, `/webhooks/${encodeURIComponent(e.id)}?retried=1`), 303);
  });

  app.post('/webhooks/retry-failed', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const eventType = field(request.body, 'event_type', 100)?.trim() || undefined;
    const n = await retryWebhookEvents(deps, partnerId, { status: 'failed', event_type: eventType });
    return reply.redirect(partnerPath(partnerId, `/webhooks?status=failed&retried=${n}`), 303);
  });

  formAddress(app, '/webhooks/:event_id/retry', (request) => partnerPath(hubOf(request).partnerId, `/webhooks/${encodeURIComponent((request.params as { event_id: string }).event_id)}`));
  formAddress(app, '/webhooks/retry-failed', (request) => partnerPath(hubOf(request).partnerId, '/webhooks?status=failed'));
};
