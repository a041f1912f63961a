// Coexistence: a number that is on the WhatsApp Business app and on the Cloud API at once.
//
// Sources (read 2026-12; shapes below follow them):
// - Meta, "Onboard WhatsApp Business app users" (developers.facebook.com/documentation/
//   business-messaging/whatsapp/embedded-signup/onboarding-business-app-users), "Synchronizing
//   WhatsApp Business app data": POST /{phone-number-id}/smb_app_data
//   {"messaging_product":"whatsapp","sync_type":"smb_app_state_sync"|"history"} answers
//   {"messaging_product":"whatsapp","request_id":"<REQUEST_ID>"}; "You can only perform this step
//   once" (each sync_type), within 24 hours of onboarding.
// - Meta, smb_app_state_sync webhook reference: value.state_sync[] = {type:"contact",
//   contact:{full_name, first_name, phone_number}, action:"add"|"remove", metadata:{timestamp}}.
// - Meta, history webhook reference: value.history[] = {metadata:{phase 0|1|2, chunk_order,
//   progress 0..100}, threads:[{id:<user number>, messages:[{from, id, timestamp, type, <type>,
//   history_context:{status}}]}]}; phase 0 is day 0–1 before onboarding, 1 day 1–90, 2 day 90–180;
//   group chats are left out; a media message is `media_placeholder` without contents.
// - 360dialog, "Coexistence Webhooks" (docs.360dialog.com/partner/waba-management/
//   phone-number-and-hosting/whatsapp-coexistence/coexistence-webhooks): history and
//   smb_app_state_sync go to the partner's webhook URL in a 360 envelope ({id, event, data}),
//   smb_message_echoes to the number's. The sandbox sends all three to the number's webhook in
//   Meta's Cloud envelope (what a Cloud client parses); the partner-webhook copy is not made.
//
// Not confirmed by a source, chosen here: the error of a second request for a sync_type (Meta's
// page only says it cannot be done twice; we answer 400 code 100 naming smb_app_data and
// "already"), the 24-hour window (not enforced: a sandbox number has no onboarding time), the
// chunk size, and one final history webhook with no threads and progress 100 when there is no
// history at all (Meta sends none then; a client waiting for progress 100 would wait forever).
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { recordId } from '../ids.ts';
import { sandboxBsuid } from '../network/bsuid.ts';
import { enqueueJob, registerJobHandler } from '../jobs/scheduler.ts';
import { transact } from '../webhooks/outbox.ts';
import { channelIdentity, emitChannelEvent } from './channel-webhook.ts';
import { metaError } from './errors.ts';
import { CHANNEL_WEBHOOK_URL } from './status-facts.ts';
import { fail, isObj, obj, oneOf, onlyKeys, recipient, str, type Obj } from './validate/check.ts';
import { insertMessage } from './messages.ts';
import { newWamid } from './wamid.ts';

export const SYNC_TYPES = ['smb_app_state_sync', 'history'] as const;
export type SyncType = (typeof SYNC_TYPES)[number];

const SYNC_JOB = 'smb_app_data_sync';
/** At most this many contacts or messages are synchronized (the newest); a sandbox bound. */
export const SYNC_MAX_ITEMS = 1000;
/** Contacts per smb_app_state_sync webhook, messages per history webhook (Meta's chunking is its own). */
export const SYNC_CHUNK = 100;
/**
 * At most this many bytes of history JSON per webhook body (a chunk also ends at SYNC_CHUNK
 * messages): receivers commonly refuse bodies over a few hundred kB. A single message is always
 * sent, whatever its size (a text is at most 4096 characters, far below).
 */
export const HISTORY_CHUNK_BYTES = 256 * 1024;
/** Room kept for the envelope (entry, change, metadata, chunk metadata) around the messages. */
const HISTORY_ENVELOPE_BYTES = 2048;
const DAY_MS = 24 * 60 * 60 * 1000;
const MEDIA = new Set(['image', 'video', 'audio', 'document', 'sticker']);

/** The checked body of POST /smb_app_data. */
export function parseSmbAppDataRequest(body: unknown): SyncType {
  if (!isObj(body)) throw fail('body', 'must be an object {"messaging_product":"whatsapp","sync_type":"smb_app_state_sync"|"history"}');
  onlyKeys(body, 'body', ['messaging_product', 'sync_type']);
  if (body.messaging_product !== undefined && body.messaging_product !== 'whatsapp') throw fail('messaging_product', 'must be "whatsapp"');
  return oneOf(body.sync_type, 'sync_type', SYNC_TYPES);
}

/** A number that cannot coexist with the WhatsApp Business app. */
export function refuseNonCoexisting(channel: Pick<ChannelRow, 'hosting_type'>): void {
  if (channel.hosting_type === 'onpremise') {
    throw metaError(400, 100, 'Invalid parameter', 'smb_app_data is a Cloud API call: an On-Premise number cannot be onboarded from the WhatsApp Business app (coexistence is Cloud API only)');
  }
}

/**
 * A sandbox number's synchronization request: recorded (once per sync_type, as Meta allows) with a
 * job that sends its webhooks right after the answer, in the same transaction.
 */
export async function requestSandboxSync(deps: Deps, channel: Pick<ChannelRow, 'id'>, syncType: SyncType): Promise<string> {
  const requestId = recordId('smbsync');
  await transact(deps, async (tx) => {
    const now = deps.clock.now();
    const r = await tx
      .insertInto('smb_app_syncs')
      .values({ channel_id: channel.id, sync_type: syncType, request_id: requestId, created_at: now.toISOString() })
      .onConflict((oc) => oc.columns(['channel_id', 'sync_type']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) {
      // Unconfirmed wording (see the top of this file).
      throw metaError(
        400,
        100,
        'Invalid parameter',
        `smb_app_data: sync_type ${syncType} was already requested for this phone number; each synchronization can be performed only once per onboarding`,
      );
    }
    await enqueueJob(deps, tx, { kind: SYNC_JOB, refId: channel.id, at: now, payload: { channel_id: channel.id, sync_type: syncType } });
  });
  return requestId;
}

type Target = Pick<ChannelRow, 'id' | 'partner_id' | 'webhook_url' | 'hosting_type' | 'phone_number' | 'external_id' | 'waba_account_id'>;

export async function coexistenceTarget(tx: Executor, channelId: string): Promise<Target | undefined> {
  return (await tx
    .selectFrom('channels')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .select(['channels.id', 'channels.partner_id', CHANNEL_WEBHOOK_URL.as('webhook_url'), 'channels.hosting_type', 'channels.phone_number', 'channels.external_id', 'channels.waba_account_id'])
    .where('channels.id', '=', channelId)
    .executeTakeFirst()) as Target | undefined;
}

/** One Cloud webhook of a coexistence field, in Meta's envelope. */
export async function emitCoexistenceWebhook(deps: Deps, tx: Executor, target: Target, field: 'history' | 'smb_app_state_sync' | 'smb_message_echoes', value: Obj): Promise<void> {
  if (!target.webhook_url) return;
  const who = await channelIdentity(deps, target, tx);
  const body = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: who.wabaExternalId,
        changes: [{ field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: target.phone_number, phone_number_id: target.external_id }, ...value } }],
      },
    ],
  };
  await emitChannelEvent(deps, tx, target, 'message', body);
}

const seconds = (iso: string | Date) => String(Math.floor(new Date(iso).getTime() / 1000));

/** The number's contacts: the sandbox users who have written to it (newest first), as Meta's state_sync items. */
async function stateSyncItems(tx: Transaction<Database>, channelId: string, now: Date): Promise<Obj[]> {
  const users = await tx
    .selectFrom('sandbox_users')
    .select(['wa_id', 'name', 'hide_number'])
    .where('channel_id', '=', channelId)
    .where((eb) => eb.exists(eb.selectFrom('messages').select('messages.id').whereRef('messages.channel_id', '=', 'sandbox_users.channel_id').whereRef('messages.wa_id', '=', 'sandbox_users.wa_id').where('messages.direction', '=', 'inbound')))
    .orderBy('wa_id')
    .limit(SYNC_MAX_ITEMS)
    .execute();
  // A user who hides their number is left out: Meta's contact item is keyed by the number.
  return users
    .filter((u) => !u.hide_number)
    .map((u) => {
      const full = u.name ?? `User ${u.wa_id.slice(-4)}`;
      return { type: 'contact', contact: { full_name: full, first_name: full.split(/\s+/)[0] ?? full, phone_number: u.wa_id }, action: 'add', metadata: { timestamp: seconds(now) } };
    });
}

const HISTORY_STATUS: Record<string, string> = { read: 'READ', delivered: 'DELIVERED', failed: 'ERROR', received: 'DELIVERED', accepted: 'PENDING', sent: 'SENT' };

interface HistoryMessage {
  waId: string;
  phase: 0 | 1 | 2;
  message: Obj;
}

/** The number's stored 1:1 messages of the last 180 days (the newest SYNC_MAX_ITEMS), as Meta's history message objects. */
async function historyMessages(deps: Deps, tx: Transaction<Database>, target: Target, now: Date): Promise<HistoryMessage[]> {
  // A user who hides their number is named by BSUID (thread id and `from`), as in 1:1 webhooks
  // (inbound.ts, statuses.ts); unconfirmed for history, which Meta documents with numbers only.
  const users = await tx.selectFrom('sandbox_users').select(['wa_id', 'hide_number']).where('channel_id', '=', target.id).where('hide_number', 'is not', null).execute();
  const hidden = new Set(users.filter((u) => u.hide_number).map((u) => u.wa_id));
  const shown = (waId: string) => (hidden.has(waId) ? sandboxBsuid(deps.config.secretKey, target.partner_id, waId) : waId);
  const since = new Date(now.getTime() - 180 * DAY_MS).toISOString();
  const rows = await tx
    .selectFrom('messages')
    .select(['id', 'direction', 'wa_id', 'type', 'content', 'status', 'created_at', 'content_removed_at'])
    .where('channel_id', '=', target.id)
    .where('created_at', '>=', since)
    .orderBy('created_at', 'desc')
    .limit(SYNC_MAX_ITEMS)
    .execute();
  const out: HistoryMessage[] = [];
  for (const r of rows.reverse()) {
    let content: Obj = {};
    try {
      const c = JSON.parse(r.content) as unknown;
      if (isObj(c)) content = c;
    } catch {
      /* kept as no contents */
    }
    if (content.group_id !== undefined) continue; // group chats are not part of the history
    const age = now.getTime() - new Date(r.created_at).getTime();
    const phase = age <= DAY_MS ? 0 : age <= 90 * DAY_MS ? 1 : 2;
    const media = MEDIA.has(r.type);
    const type = media ? 'media_placeholder' : r.type;
    const body = !media && !r.content_removed_at && content[r.type] !== undefined ? { [r.type]: content[r.type] } : {};
    out.push({
      waId: shown(r.wa_id),
      phase,
      message: {
        from: r.direction === 'outbound' ? target.phone_number : shown(r.wa_id),
        id: r.id,
        timestamp: seconds(r.created_at),
        type,
        ...body,
        history_context: { status: HISTORY_STATUS[r.status] ?? 'SENT' },
      },
    });
  }
  return out;
}

/**
 * The history items (one per webhook): per phase (0, 1, 2), chunks of at most SYNC_CHUNK messages
 * and about `maxBytes` of JSON, grouped in threads by user.
 */
export function historyChunks(messages: HistoryMessage[], maxBytes = HISTORY_CHUNK_BYTES): Obj[] {
  const chunks: { phase: number; chunkOrder: number; items: HistoryMessage[] }[] = [];
  for (const phase of [0, 1, 2] as const) {
    const ofPhase = messages.filter((m) => m.phase === phase);
    let items: HistoryMessage[] = [];
    let bytes = 0;
    for (const m of ofPhase) {
      // The message's JSON plus, at most, a thread of its own ({"id":"<wa_id>","messages":[…]},).
      const size = Buffer.byteLength(JSON.stringify(m.message)) + Buffer.byteLength(JSON.stringify(m.waId)) + 32;
      if (items.length > 0 && (items.length >= SYNC_CHUNK || bytes + size > maxBytes - HISTORY_ENVELOPE_BYTES)) {
        chunks.push({ phase, chunkOrder: chunks.filter((c) => c.phase === phase).length + 1, items });
        items = [];
        bytes = 0;
      }
      items.push(m);
      bytes += size;
    }
    if (items.length > 0) chunks.push({ phase, chunkOrder: chunks.filter((c) => c.phase === phase).length + 1, items });
  }
  if (chunks.length === 0) return [{ metadata: { phase: 2, chunk_order: 1, progress: 100 }, threads: [] }];
  return chunks.map((c, i) => {
    const threads = new Map<string, Obj[]>();
    for (const m of c.items) threads.set(m.waId, [...(threads.get(m.waId) ?? []), m.message]);
    return {
      metadata: { phase: c.phase, chunk_order: c.chunkOrder, progress: Math.round(((i + 1) * 100) / chunks.length) },
      threads: [...threads].map(([id, msgs]) => ({ id, messages: msgs })),
    };
  });
}

registerJobHandler(SYNC_JOB, async (deps, tx, job, payload) => {
  const syncType = isObj(payload) && typeof payload.sync_type === 'string' ? payload.sync_type : undefined;
  const target = await coexistenceTarget(tx, job.ref_id);
  if (!target || !target.webhook_url) return { done: true };
  const now = deps.clock.now();
  if (syncType === 'smb_app_state_sync') {
    const items = await stateSyncItems(tx, target.id, now);
    for (let i = 0; i < items.length; i += SYNC_CHUNK) await emitCoexistenceWebhook(deps, tx, target, 'smb_app_state_sync', { state_sync: items.slice(i, i + SYNC_CHUNK) });
  } else if (syncType === 'history') {
    for (const item of historyChunks(await historyMessages(deps, tx, target, now))) await emitCoexistenceWebhook(deps, tx, target, 'history', { history: [item] });
  }
  return { done: true };
});

/** The checked body of POST /sandbox/v1/app_echo (an openwaba extension): a text the business sends from the Business app. */
export function parseAppEcho(body: unknown): { to: string; text: string } {
  if (!isObj(body)) throw fail('body', 'must be an object {"to":"<user number>","type":"text","text":{"body":"…"}}');
  onlyKeys(body, 'body', ['to', 'type', 'text', 'messaging_product', 'recipient_type']);
  const to = recipient(body.to);
  if (body.type !== undefined) oneOf(body.type, 'type', ['text'] as const);
  const t = obj(body.text, 'text');
  onlyKeys(t, 'text', ['body', 'preview_url']);
  return { to, text: str(t.body, 'text.body', { max: 4096 }) };
}

/**
 * The business sends a text from the WhatsApp Business app (simulated): stored as an outbound
 * message and echoed to the number's webhook as smb_message_echoes (Meta's smb_message_echoes
 * webhook reference: value.message_echoes[] = {from: business display number, to, id, timestamp,
 * type, <type>}). No statuses follow: Meta's page names none for echoes (unconfirmed).
 */
export async function sendAppEcho(deps: Deps, channel: ChannelRow, echo: { to: string; text: string }): Promise<{ id: string; timestamp: string }> {
  const id = newWamid(echo.to);
  const at = deps.clock.now();
  const timestamp = seconds(at);
  await transact(deps, async (tx) => {
    await insertMessage(tx, { id, channel, direction: 'outbound', waId: echo.to, type: 'text', content: { body: echo.text }, status: 'sent', category: 'service', at: at.toISOString() });
    const target = await coexistenceTarget(tx, channel.id);
    if (target) {
      await emitCoexistenceWebhook(deps, tx, target, 'smb_message_echoes', {
        message_echoes: [{ from: target.phone_number, to: echo.to, id, timestamp, type: 'text', text: { body: echo.text } }],
      });
    }
  });
  return { id, timestamp };
}
