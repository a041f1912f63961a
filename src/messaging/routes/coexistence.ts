// Coexistence with the WhatsApp Business app (rules, shapes and sources: ../coexistence.ts):
//
//   POST /smb_app_data        (Graph's /{version}/{phone-number-id}/smb_app_data)
//        {"messaging_product":"whatsapp","sync_type":"smb_app_state_sync"|"history"}
//        → {"messaging_product":"whatsapp","request_id":"…"}; then the sandbox sends the number's
//        smb_app_state_sync (its contacts) or history webhooks. Once per sync_type.
//   POST /sandbox/v1/app_echo (an openwaba extension) {to, type:"text", text:{body}}: the business
//        "sends from the WhatsApp Business app"; an smb_message_echoes webhook follows.
//
// Cloud numbers only (On-Premise: 400). A number on Meta's network has its smb_app_data request
// passed to Meta, whose answer (or error) comes back; the echo is a sandbox simulation only.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { graphParams } from '../graph-params.ts';
import { assertSandboxChannel } from '../inbound.ts';
import { parseAppEcho, parseSmbAppDataRequest, refuseNonCoexisting, requestSandboxSync, sendAppEcho } from '../coexistence.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const BODY_LIMIT = 16 * 1024;

export const coexistenceRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  await app.register(async (scope) => {
    addFormBodyParser(scope, { bodyLimit: BODY_LIMIT });
    scope.post(
      '/smb_app_data',
      {
        config: { flavour: 'cloud' },
        bodyLimit: BODY_LIMIT,
        schema: {
          tags: ['Coexistence (WhatsApp Business app)'],
          security,
          summary: "Synchronize a WhatsApp Business app number's contacts or chat history; answers {messaging_product, request_id}",
          description:
            'Body {"messaging_product":"whatsapp","sync_type":"smb_app_state_sync"|"history"} (JSON, a form or query parameters). ' +
            "Each sync_type can be requested once per number (a second request is a 400). A sandbox number then sends its webhook: " +
            'smb_app_state_sync with its contacts (the simulated users who have written to it), or history with its stored 1:1 messages ' +
            'of the last 180 days (at most 1000, in chunks of 100 with phase, chunk_order and progress; media as media_placeholder). ' +
            "A number on Meta's network: the request goes to Meta. On-Premise numbers: 400.",
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
        },
      },
      async (request) => {
        const ch = request.channel!;
        refuseNonCoexisting(ch);
        const syncType = parseSmbAppDataRequest(graphParams(request));
        if (ch.network === 'meta') return meta.json(ch, 'POST', (c) => `${c.phoneNumberId}/smb_app_data`, { json: { messaging_product: 'whatsapp', sync_type: syncType } });
        return { messaging_product: 'whatsapp', request_id: await requestSandboxSync(deps, ch, syncType) };
      },
    );
  });

  app.post(
    '/sandbox/v1/app_echo',
    {
      config: { flavour: 'cloud' },
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ['Sandbox (extension)'],
        security,
        summary: 'The business sends a text from the WhatsApp Business app (coexistence): stored as outbound, an smb_message_echoes webhook follows',
        description:
          'Body {"to":"<user number>","type":"text","text":{"body":"…"}}; answers {"messaging_product":"whatsapp","messages":[{"id":"wamid…"}]}. ' +
          'Sandbox Cloud numbers only.',
        body: Type.Unknown(),
      },
    },
    async (request) => {
      const ch = request.channel!;
      refuseNonCoexisting(ch);
      assertSandboxChannel(ch);
      const { id } = await sendAppEcho(deps, ch, parseAppEcho(request.body));
      return { messaging_product: 'whatsapp', messages: [{ id }] };
    },
  );
};
