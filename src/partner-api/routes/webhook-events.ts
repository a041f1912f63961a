// The delivery log and webhook settings of a partner (openwaba extensions, in the OpenAPI):
// events with their attempts, retry one / retry many, send a test event, signing secret.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { getWebhookEvent, listWebhookEvents, retryWebhookEvent, retryWebhookEvents } from '../../webhooks/event-log.ts';
import { getPartnerWebhookSecret, rotatePartnerWebhookSecret, sendTestEvent } from '../../webhooks/partner-webhook.ts';
import { ListEnvelopeProps, listQuery, PARTNER_ERRORS, PARTNER_SECURITY, PartnerIdParams } from '../schemas.ts';

const tags = ['Webhook deliveries (extension)'];
const Time = Type.Union([Type.String(), Type.Null()]);
const Attempt = Type.Object({
  attempt: Type.Integer(),
  url: Time,
  started_at: Type.String(),
  duration_ms: Type.Integer(),
  outcome: Type.String({ description: 'delivered | http_error | redirect | timeout | network_error | no_endpoint' }),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  error: Time,
  response_excerpt: Time,
  slow: Type.Boolean({ description: 'answered slower than 80 ms' }),
});
const Event = Type.Object(
  {
    id: Type.String(),
    partner_id: Type.String(),
    target_type: Type.String(),
    target_id: Type.String(),
    event_type: Type.String(),
    status: Type.String({ description: 'pending | delivering | delivered | failed' }),
    attempts: Type.Integer(),
    created_at: Time,
    next_attempt_at: Time,
    last_attempt_at: Time,
    last_status_code: Type.Union([Type.Integer(), Type.Null()]),
    last_error: Time,
    delivered_at: Time,
    failed_at: Time,
    expires_at: Time,
    payload: Type.Any(),
  },
  { additionalProperties: true },
);
const EventWithAttempts = Type.Object({ ...Event.properties, attempt_log: Type.Array(Attempt) }, { additionalProperties: true });
const EventParams = Type.Object({ partner_id: Type.String({ maxLength: 64 }), event_id: Type.String({ maxLength: 64 }) });
const RangeQuery = Type.Object({
  // The limits of WEBHOOK_EVENT_LIST in webhooks/event-log.ts (not exported from there).
  ...listQuery({ defaultLimit: 100, maxLimit: 1000 }).properties,
  created_after: Type.Optional(Type.String({ description: 'ISO-8601 time or unix seconds (inclusive)' })),
  created_before: Type.Optional(Type.String({ description: 'ISO-8601 time or unix seconds (exclusive)' })),
});

export const webhookEventRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const security = PARTNER_SECURITY;

  app.get(
    '/partners/:partner_id/webhook_events',
    {
      schema: {
        tags,
        security,
        summary: "List the partner's webhook events (partner events and its channels' messages and statuses)",
        description: 'filters on status, event_type, target_type, target_id; time range with created_after / created_before.',
        params: PartnerIdParams,
        querystring: RangeQuery,
        response: {
          200: Type.Object({ ...ListEnvelopeProps, webhook_events: Type.Array(Event) }),
          ...PARTNER_ERRORS,
        },
      },
    },
    async (request) => {
      return listWebhookEvents(deps, request.params.partner_id, request.query);
    },
  );

  app.get(
    '/partners/:partner_id/webhook_events/:event_id',
    { schema: { tags, security, summary: 'One webhook event with every delivery attempt', params: EventParams, response: { 200: EventWithAttempts, ...PARTNER_ERRORS } } },
    async (request) => {
      return getWebhookEvent(deps, request.params.partner_id, request.params.event_id);
    },
  );

  app.post(
    '/partners/:partner_id/webhook_events/:event_id/retry',
    { schema: { tags, security, summary: 'Deliver this event again now (fresh retry horizon)', params: EventParams, response: { 200: EventWithAttempts, ...PARTNER_ERRORS } } },
    async (request) => {
      return retryWebhookEvent(deps, request.params.partner_id, request.params.event_id);
    },
  );

  app.post(
    '/partners/:partner_id/webhook_events/retry',
    {
      schema: {
        tags,
        security,
        summary: 'Deliver again every event in a status (default failed) and time range',
        params: PartnerIdParams,
        body: Type.Object(
          {
            status: Type.Optional(Type.Union([Type.Literal('failed'), Type.Literal('pending'), Type.Literal('delivered')])),
            event_type: Type.Optional(Type.String({ maxLength: 100 })),
            created_after: Type.Optional(Type.String()),
            created_before: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ retried: Type.Integer() }), ...PARTNER_ERRORS },
      },
      // Without a body (no Content-Type), as documented: every failed event. Before validation,
      // which would otherwise refuse the missing body.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      return { retried: await retryWebhookEvents(deps, request.params.partner_id, request.body) };
    },
  );

  app.post(
    '/partners/:partner_id/webhook_test',
    {
      schema: {
        tags,
        security,
        summary: "Send a test event to the partner's webhook_url and report the first attempt (the Hub's Test button)",
        params: PartnerIdParams,
        response: { 200: EventWithAttempts, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      return sendTestEvent(deps, request.params.partner_id);
    },
  );

  app.get(
    '/partners/:partner_id/webhook_secret',
    {
      schema: {
        tags,
        security,
        summary: 'The secret that signs partner webhooks (x-360dialog-signature and webhook-signature)',
        params: PartnerIdParams,
        response: { 200: Type.Object({ webhook_secret: Type.String() }), ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      return { webhook_secret: await getPartnerWebhookSecret(deps, request.params.partner_id) };
    },
  );

  app.post(
    '/partners/:partner_id/webhook_secret/rotate',
    {
      schema: {
        tags,
        security,
        summary: 'Replace the webhook signing secret; deliveries from now on use the new one',
        params: PartnerIdParams,
        response: { 200: Type.Object({ webhook_secret: Type.String() }), ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      return { webhook_secret: await rotatePartnerWebhookSecret(deps, request.params.partner_id) };
    },
  );
};
