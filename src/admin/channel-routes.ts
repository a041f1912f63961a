// Operator control of channels: create one for a client, move its status, switch template
// messaging. Each change emits the partner events of the reference.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.ts';
import { Channel, ErrorBody } from '../partner-api/schemas.ts';
import { CHANNEL_STATUSES, setChannelStatus, setTemplateMessaging } from '../services/channel-lifecycle.ts';
import { createChannel, getChannelWire } from '../services/channels.ts';
import { sandboxPhoneNumber } from '../services/bootstrap.ts';

const security: { [k: string]: string[] }[] = [{ AdminToken: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };
const ChannelIdParams = Type.Object({ channel_id: Type.String({ maxLength: 64 }) });

export const adminChannelRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Admin'];

  app.post(
    '/partners/:partner_id/clients/:client_id/channels',
    {
      schema: {
        tags,
        security,
        summary: 'Create a channel (phone number) for a client',
        params: Type.Object({ partner_id: Type.String({ maxLength: 64 }), client_id: Type.String({ maxLength: 64 }) }),
        body: Type.Object(
          {
            phone_number: Type.Optional(Type.String({ pattern: '^\\d{6,15}$', description: 'digits without +; default: a random sandbox number' })),
            phone_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            // Not terminated: a channel is terminated through /admin/channels/{id}/status, which
            // stamps terminated_at and emits cancellation_processed.
            status: Type.Optional(Type.Union(CHANNEL_STATUSES.filter((s) => s !== 'terminated').map((s) => Type.Literal(s)))),
            hosting_type: Type.Optional(Type.Union([Type.Literal('cloud'), Type.Literal('onpremise')])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Channel, ...errors },
      },
    },
    async (request, reply) => {
      const { partner_id, client_id } = request.params;
      const b = request.body;
      const row = await createChannel(deps, {
        partnerId: partner_id,
        clientId: client_id,
        phoneNumber: b.phone_number ?? sandboxPhoneNumber(),
        phoneName: b.phone_name ?? 'Sandbox number',
        status: b.status,
        hostingType: b.hosting_type,
        network: 'sandbox',
      });
      return reply.status(201).send(await getChannelWire(deps, partner_id, row.id));
    },
  );

  app.post(
    '/channels/:channel_id/status',
    {
      schema: {
        tags,
        security,
        summary: "Move a channel's status (emits channel_submitted / _ready / _running / _live; terminated emits cancellation_processed and is final)",
        params: ChannelIdParams,
        body: Type.Object({ status: Type.Union(CHANNEL_STATUSES.map((s) => Type.Literal(s))) }, { additionalProperties: false }),
        response: { 200: Channel, ...errors },
      },
    },
    async (request) => setChannelStatus(deps, request.params.channel_id, request.body.status),
  );

  app.post(
    '/channels/:channel_id/template_messaging',
    {
      schema: {
        tags,
        security,
        summary: 'Allow or forbid template messages (emits template_messaging_enabled / _disabled)',
        params: ChannelIdParams,
        body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Channel, ...errors },
      },
    },
    async (request) => setTemplateMessaging(deps, request.params.channel_id, request.body.enabled),
  );
};
