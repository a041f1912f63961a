// Meta's WABA-level webhook override: the WABA's subscribed apps, at the root as 360dialog serves
// the WABA's edges (/message_templates, /phone_numbers), and on the Graph path
// /{version}/{waba-id}/subscribed_apps (graph-paths.ts; another WABA's id answers Graph's 400 code
// 100 subcode 33):
//
//   GET    /subscribed_apps   {"data":[{"whatsapp_business_api_data":{id,link,name},"override_callback_uri"?}]}
//   POST   /subscribed_apps   {override_callback_uri, verify_token}   → {"success":true}, after Meta's
//                             verification GET (webhook-override.ts); without a URL: the override removed
//   DELETE /subscribed_apps   → {"success":true}: the override removed
//
// The override is where inbound messages and statuses of the WABA's numbers without a webhook URL
// of their own go (status-facts.ts CHANNEL_WEBHOOK_URL); as at Meta, template and account events
// keep going to the numbers' own URLs only. The one app listed is openwaba itself, which every
// WABA here is subscribed to and cannot leave (our choice): DELETE removes the override only. A
// number on Meta's network asks Meta (network/meta/webhook-override-proxy.ts).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { isoNow } from '../../clock.ts';
import { graphParams } from '../graph-params.ts';
import { overrideInput, verifyCallback } from '../webhook-override.ts';
import { metaSubscribeApp, metaSubscribedApps, metaUnsubscribeApp } from '../../network/meta/webhook-override-proxy.ts';
import { metaError } from '../errors.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Webhook configuration'];
const cloud = { flavour: 'cloud' as const };

const App = Type.Object({
  whatsapp_business_api_data: Type.Object({ id: Type.String(), link: Type.String(), name: Type.String() }),
  override_callback_uri: Type.Optional(Type.String()),
});
const Success = Type.Object({ success: Type.Boolean() });

function wabaOf(ch: ChannelRow): string {
  if (!ch.waba_account_id) throw metaError(400, 100, 'Invalid parameter', 'this number is not attached to a WhatsApp Business Account');
  return ch.waba_account_id;
}

async function setWabaOverride(deps: Deps, ch: ChannelRow, url: string | null): Promise<void> {
  await deps.db.kysely.updateTable('waba_accounts').set({ override_callback_uri: url, override_headers: null, modified_at: isoNow(deps.clock) }).where('id', '=', wabaOf(ch)).execute();
}

export const subscribedAppRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  app.get(
    '/subscribed_apps',
    { config: cloud, schema: { tags, security, summary: "The apps subscribed to the number's WABA, with the WABA's webhook override", response: { 200: Type.Object({ data: Type.Array(App) }) } } },
    async (request) => {
      const ch = request.channel!;
      if (ch.network === 'meta') return metaSubscribedApps(meta, ch);
      const waba = await deps.db.kysely.selectFrom('waba_accounts').select('override_callback_uri').where('id', '=', wabaOf(ch)).executeTakeFirst();
      // openwaba stands where Meta's app would: the channel's app id, openwaba's own address as its link.
      const entry = {
        whatsapp_business_api_data: { id: ch.app_id, link: deps.config.publicUrl, name: 'openwaba' },
        ...(waba?.override_callback_uri ? { override_callback_uri: waba.override_callback_uri } : {}),
      };
      return { data: [entry] };
    },
  );

  app.post(
    '/subscribed_apps',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: "Set (or, without a URL, remove) the WABA's webhook override for numbers without their own webhook URL",
        description:
          'Parameters in the JSON body or the query string: override_callback_uri, verify_token. The URL must answer GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=… with the challenge (HTTP 200) first; OPENWABA_WEBHOOK_URL_POLICY applies.',
        querystring: Type.Object({ override_callback_uri: Type.Optional(Type.String()), verify_token: Type.Optional(Type.String()) }, { additionalProperties: true }),
        body: Type.Unknown(),
        response: { 200: Success },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const p = graphParams(request);
      if (ch.network === 'meta') return metaSubscribeApp(meta, ch, p);
      const input = overrideInput(deps, p);
      wabaOf(ch);
      if (input.url !== null) await verifyCallback(deps, input.url, input.verifyToken!);
      await setWabaOverride(deps, ch, input.url);
      return { success: true };
    },
  );

  app.delete(
    '/subscribed_apps',
    { config: cloud, schema: { tags, security, summary: "Remove the WABA's webhook override", response: { 200: Success } } },
    async (request) => {
      const ch = request.channel!;
      // No parameter is used (unknown ones are ignored, as Graph ignores them), but the body is
      // read as every Graph edge reads it: a text or a JSON array is refused, not taken as "remove".
      graphParams(request);
      if (ch.network === 'meta') return metaUnsubscribeApp(meta, ch);
      await setWabaOverride(deps, ch, null);
      return { success: true };
    },
  );
};
