// Meta's webhook overrides (messaging/webhook-override.ts) of a number on Meta's network are Meta's:
// the number's goes to Meta's POST /{phone_number_id} with webhook_configuration, the WABA's to
// Meta's /{waba_id}/subscribed_apps. Meta verifies the URL itself and answers as it does.
import type { ChannelRow } from '../../services/channels.ts';
import type { Obj } from '../../messaging/validate/check.ts';
import type { GraphObject, MetaCloudApi } from './cloud-api.ts';
import { badAnswer } from './graph-errors.ts';

/** Only the override's own parameters go on to Meta (never an access token or anything else a client added). */
function overrideParams(p: Obj): Obj {
  const out: Obj = {};
  for (const k of ['override_callback_uri', 'verify_token'] as const) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

/** POST /{version}/{phone-number-id} {webhook_configuration}: Meta's answer ({"success":true}). */
export async function metaNumberOverride(api: MetaCloudApi, channel: ChannelRow, params: Obj): Promise<GraphObject> {
  let conf = params.webhook_configuration;
  if (typeof conf === 'string') {
    try {
      conf = JSON.parse(conf) as unknown;
    } catch {
      /* Meta judges it */
    }
  }
  return api.json(channel, 'POST', (c) => c.phoneNumberId, { json: { webhook_configuration: conf } });
}

/** GET /subscribed_apps: Meta's `{data:[…]}`. */
export async function metaSubscribedApps(api: MetaCloudApi, channel: ChannelRow): Promise<GraphObject> {
  const b = await api.json(channel, 'GET', (c) => `${c.wabaId}/subscribed_apps`);
  if (!Array.isArray(b.data)) throw badAnswer('a subscribed_apps list without data');
  return b;
}

/** POST /subscribed_apps with override_callback_uri and verify_token (or neither): Meta's answer. */
export async function metaSubscribeApp(api: MetaCloudApi, channel: ChannelRow, params: Obj): Promise<GraphObject> {
  return api.json(channel, 'POST', (c) => `${c.wabaId}/subscribed_apps`, { json: overrideParams(params) });
}

/**
 * DELETE /subscribed_apps: the WABA's override removed at Meta by subscribing again without one.
 * Not Meta's DELETE: that would unsubscribe openwaba's own app from the WABA, and the number's
 * messages would stop reaching openwaba at all (our choice; the client sees Meta's success).
 */
export async function metaUnsubscribeApp(api: MetaCloudApi, channel: ChannelRow): Promise<GraphObject> {
  return api.json(channel, 'POST', (c) => `${c.wabaId}/subscribed_apps`, { json: {} });
}
