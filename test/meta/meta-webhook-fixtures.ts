// Meta's webhook notifications as Meta sends them, signed with the app secret, for the tests of
// POST /network/meta/webhook.
import { insertMessageRow } from '../helpers/messages.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createHmac, randomBytes } from 'node:crypto';
import type { HttpResponse, TestApp } from '../helpers/app.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';

export const APP_SECRET = 'test-app-secret-0123456789abcdef';
export const VERIFY_TOKEN = 'verify-token-0123456789';
export const SECRET_KEY = 'a'.repeat(64);
export const ACCESS_TOKEN = 'EAAG' + 'x'.repeat(60);
export const WEBHOOK_PATH = '/network/meta/webhook';
/** The environment of an app that takes Meta's webhooks. */
export const META_ENV = { OPENWABA_SECRET_KEY: SECRET_KEY, OPENWABA_META_APP_SECRET: APP_SECRET, OPENWABA_META_VERIFY_TOKEN: VERIFY_TOKEN };

/** Meta's X-Hub-Signature-256 over these bytes. */
export function sign(raw: string | Buffer, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

/** A new wamid as Meta names them. */
export const wamid = () => `wamid.${randomBytes(24).toString('base64')}`;
/** Epoch seconds, `ago` seconds before now, as Meta writes them. */
export const epoch = (ago = 0) => String(Math.floor(Date.now() / 1000) - ago);

/** A `messages` notification about one number: `value` holds its contacts, messages, statuses. */
export function notification(phoneNumberId: string, value: Record<string, unknown>, wabaId = '102290129340398'): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: wabaId,
        changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId }, ...value } }],
      },
    ],
  };
}

/** A text from a user, with the contact Meta sends along. */
export function textFrom(phoneNumberId: string, from: string, body: string, opts: { id?: string; name?: string; timestamp?: string } = {}) {
  const id = opts.id ?? wamid();
  return {
    id,
    body: notification(phoneNumberId, {
      contacts: [{ profile: { name: opts.name ?? 'Jane' }, wa_id: from }],
      messages: [{ from, id, timestamp: opts.timestamp ?? epoch(2), type: 'text', text: { body } }],
    }),
  };
}

/** A status notification for one sent message. */
export function statusOf(phoneNumberId: string, id: string, status: string, extra: Record<string, unknown> = {}) {
  return notification(phoneNumberId, { statuses: [{ id, status, timestamp: epoch(1), recipient_id: '4917600000001', ...extra }] });
}

/** POSTs a notification (an object, or raw bytes) signed as Meta signs it, unless headers say otherwise. */
export function post(t: TestApp, body: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return t.post(WEBHOOK_PATH, { raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw), ...headers } });
}

/** An outbound message as a send through Meta leaves it: stored under Meta's wamid, accepted, no status plan. */
export async function sentThroughMeta(t: TestApp, p: Pick<BootstrapResult, 'channel_id' | 'partner_id' | 'client_id'>, id = wamid()): Promise<string> {
  return insertMessageRow(t.deps.db, {
    id,
    channel_id: p.channel_id,
    partner_id: p.partner_id,
    client_id: p.client_id,
    direction: 'outbound',
    status: 'accepted',
    wa_id: '4917600000001',
    category: 'service',
    created_at: new Date().toISOString(),
  });
}

/**
 * Two tenants whose channels are numbers on Meta's network, one Cloud-hosted and one On-Premise,
 * each with its webhook at the receiver (`/cloud`, `/onprem`): Meta's webhooks for either number
 * then reach the receiver in that channel's format.
 */
export async function metaCloudAndOnPrem(t: TestApp, receiverUrl: string, numbers: { cloud: string; onprem: string }): Promise<{ cloud: BootstrapResult; onprem: BootstrapResult }> {
  const cloud = await t.tenant();
  const onprem = await t.tenant();
  await t.deps.db.kysely.updateTable('channels').set({ hosting_type: 'onpremise' }).where('id', '=', onprem.channel_id).execute();
  await attachMetaChannel(t.deps, cloud.channel_id, { phoneNumberId: numbers.cloud, wabaId: '102290129340398', accessToken: ACCESS_TOKEN });
  await attachMetaChannel(t.deps, onprem.channel_id, { phoneNumberId: numbers.onprem, wabaId: '102290129340398', accessToken: ACCESS_TOKEN });
  for (const [p, path] of [[cloud, '/cloud'], [onprem, '/onprem']] as const) {
    const res = await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: `${receiverUrl}${path}` } });
    if (res.status !== 200) throw new Error(`webhook of ${path}: ${res.status} ${res.text}`);
  }
  return { cloud, onprem };
}
