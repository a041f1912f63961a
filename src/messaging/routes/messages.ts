// Sending and marking as read: POST /messages (Cloud), POST /v1/messages (On-Premise),
// PUT /messages/{id} and PUT /v1/messages/{id} (mark as read).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { ONPREM_META } from '../errors.ts';
import { validateCloudSend, validateV1Send } from '../validate/message.ts';
import { fail, isObj } from '../validate/check.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const AnyBody = Type.Unknown({ description: 'A message as in Meta Cloud API (see the reference §4.2)' });
/** The Cloud API's answer to a send (also /marketing_messages': routes/marketing-messages.ts). */
export const CloudSent = Type.Object({
  messaging_product: Type.Literal('whatsapp'),
  contacts: Type.Array(
    Type.Object({
      input: Type.String(),
      // Meta's answer: wa_id for a send to a number, user_id (the BSUID) for one to `recipient`.
      wa_id: Type.Optional(Type.String()),
      user_id: Type.Optional(Type.String({ description: "The recipient's business-scoped user id, for a send to one (recipient)" })),
    }),
  ),
  messages: Type.Array(Type.Object({ id: Type.String(), message_status: Type.Optional(Type.String({ description: "Meta's, when it gives one (accepted or held_for_quality_assessment); accepted for every MM Lite send" })) })),
});
const IdParams = Type.Object({ message_id: Type.String({ maxLength: 300 }) });
/** The On-Premise answers: `meta` alone (a mark as read), and a send's 201 (reference §6). */
export const OnPremMeta = Type.Object({ meta: Type.Object({ api_status: Type.String(), version: Type.String() }) });
const OnPremSent = Type.Object({
  contacts: Type.Array(Type.Object({ input: Type.String(), wa_id: Type.Optional(Type.String()) })),
  messages: Type.Array(Type.Object({ id: Type.String() })),
  meta: OnPremMeta.properties.meta,
});

export const messageRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { messenger }) => {
  app.post(
    '/messages',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Messaging (Cloud)'],
        summary: 'Send a message of any type, or mark one as read ({"status":"read","message_id":…})',
        security,
        body: AnyBody,
        response: { 200: Type.Union([CloudSent, Type.Object({ success: Type.Boolean() })]) },
      },
    },
    async (request) => {
      const channel = request.channel!;
      const v = validateCloudSend(request.body);
      if (v.kind === 'read') {
        await messenger.markRead(channel, v);
        return { success: true };
      }
      const sent = await messenger.send(channel, v, request.log);
      // Meta's Cloud API answers message_status (accepted | held_for_quality_assessment | paused)
      // for template sends only; the sandbox network never paces, so its take is "accepted".
      // On Meta's network, Meta's own value (or its absence) is passed on as it came.
      const status = sent.messageStatus ?? (v.type === 'template' && channel.network !== 'meta' ? 'accepted' : undefined);
      const message = status === undefined ? { id: sent.id } : { id: sent.id, message_status: status };
      return { messaging_product: 'whatsapp', contacts: [{ input: sent.input, ...(sent.contact ?? { wa_id: sent.waId }) }], messages: [message] };
    },
  );

  const markRead = async (channel: ChannelRow, id: string, body: unknown) => {
    if (body !== undefined && body !== null && (!isObj(body) || (body.status !== undefined && body.status !== 'read'))) {
      throw fail('status', 'must be "read"');
    }
    await messenger.markRead(channel, { messageId: id });
  };

  app.put(
    '/messages/:message_id',
    { config: { flavour: 'cloud' }, schema: { tags: ['Messaging (Cloud)'], summary: 'Mark a message as read', security, params: IdParams, body: Type.Optional(AnyBody) } },
    async (request) => {
      await markRead(request.channel!, (request.params as { message_id: string }).message_id, request.body);
      return { success: true };
    },
  );

  app.post(
    '/v1/messages',
    {
      config: { flavour: 'onpremise' },
      schema: {
        tags: ['Messaging (On-Premise)'],
        summary: 'Send a message (On-Premise body: no messaging_product, top-level preview_url, templates with namespace, hsm; a Cloud body with messaging_product is accepted too)',
        description: 'A send answers 201 Created, as the On-Premise API and 360dialog\'s sandbox do; {"status":"read","message_id":…} marks a message as read and answers 200.',
        security,
        body: AnyBody,
        response: { 200: OnPremMeta, 201: OnPremSent },
      },
    },
    async (request, reply) => {
      const channel = request.channel!;
      const v = validateV1Send(request.body);
      if (v.kind === 'read') {
        await messenger.markRead(channel, v);
        return { meta: ONPREM_META };
      }
      const sent = await messenger.send(channel, v, request.log);
      // The On-Premise API and 360dialog's sandbox answer 201 Created.
      return reply.status(201).send({ contacts: [{ input: sent.input, wa_id: sent.waId }], messages: [{ id: sent.id }], meta: ONPREM_META });
    },
  );

  app.put(
    '/v1/messages/:message_id',
    { config: { flavour: 'onpremise' }, schema: { tags: ['Messaging (On-Premise)'], summary: 'Mark a message as read', security, params: IdParams, body: Type.Optional(AnyBody) } },
    async (request) => {
      await markRead(request.channel!, (request.params as { message_id: string }).message_id, request.body);
      return { meta: ONPREM_META };
    },
  );
};
