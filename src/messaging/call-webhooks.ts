// The Calling API's webhooks on the sandbox network, to the channel's webhook URL in the Cloud format.
// Webhook shapes are Meta's (Calling API "API and Webhook Reference", "User-initiated calls"):
// field `calls` in the Cloud envelope, `value.calls[]` {id, to, from, event, timestamp, direction,
// session | status/start_time/end_time/duration}, and call status webhooks `value.statuses[]`
// {id, timestamp, type: "call", status, recipient_id}. Meta's examples show the status webhooks
// under field `calls` too; chosen so here. The SDP of the simulated user's side (sandboxSdp) is the
// one the connect webhooks carry.
import type { CallsTable } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { channelIdentity, emitChannelEvent } from './channel-webhook.ts';
import { CHANNEL_WEBHOOK_URL } from './status-facts.ts';
import type { Obj } from './validate/check.ts';

const seconds = (d: Date | string) => Math.floor(new Date(d).getTime() / 1000);

/** A fixed, minimal but well-formed audio SDP for the simulated user's side (offer or answer). */
export function sandboxSdp(type: 'offer' | 'answer'): string {
  const fp = Array.from({ length: 32 }, (_, i) => ((i * 37 + 11) & 0xff).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:sbox',
    'a=ice-pwd:openwabasandboxcallpwd00',
    `a=fingerprint:sha-256 ${fp}`,
    `a=setup:${type === 'offer' ? 'actpass' : 'active'}`,
    'a=mid:0',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    '',
  ].join('\r\n');
}

export interface Target {
  id: string;
  partner_id: string;
  webhook_url: string | null;
  hosting_type: ChannelRow['hosting_type'];
  phone_number: string;
  external_id: string | null;
  waba_account_id: string | null;
}

export async function webhookTarget(tx: Executor, channelId: string): Promise<Target> {
  return (await tx
    .selectFrom('channels')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .select(['channels.id', 'channels.partner_id', CHANNEL_WEBHOOK_URL.as('webhook_url'), 'channels.hosting_type', 'channels.phone_number', 'channels.external_id', 'channels.waba_account_id'])
    .where('channels.id', '=', channelId)
    .executeTakeFirstOrThrow()) as Target;
}

async function emitCallWebhook(deps: Deps, tx: Executor, target: Target, eventType: 'message' | 'status', value: Obj): Promise<void> {
  if (!target.webhook_url) return;
  const who = await channelIdentity(deps, target as unknown as Parameters<typeof channelIdentity>[1], tx);
  const body = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: who.wabaExternalId,
        changes: [
          {
            field: 'calls',
            value: { messaging_product: 'whatsapp', metadata: { display_phone_number: target.phone_number, phone_number_id: target.external_id }, ...value },
          },
        ],
      },
    ],
  };
  await emitChannelEvent(deps, tx, target, eventType, body);
}

const parties = (call: Pick<CallsTable, 'direction' | 'wa_id'>, business: string) =>
  call.direction === 'BUSINESS_INITIATED' ? { from: business, to: call.wa_id } : { from: call.wa_id, to: business };
const opaque = (call: Pick<CallsTable, 'biz_opaque_callback_data'>) => (call.biz_opaque_callback_data ? { biz_opaque_callback_data: call.biz_opaque_callback_data } : {});

export async function connectWebhook(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date, sdpType: 'offer' | 'answer'): Promise<void> {
  await emitCallWebhook(deps, tx, target, 'message', {
    calls: [{ id: call.id, ...parties(call, target.phone_number), event: 'connect', timestamp: String(seconds(at)), direction: call.direction, session: { sdp_type: sdpType, sdp: sandboxSdp(sdpType) }, ...opaque(call) }],
  });
}

export async function statusWebhook(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date, status: 'RINGING' | 'ACCEPTED' | 'REJECTED'): Promise<void> {
  await emitCallWebhook(deps, tx, target, 'status', {
    statuses: [{ id: call.id, timestamp: String(seconds(at)), type: 'call', status, recipient_id: call.wa_id, ...opaque(call) }],
  });
}

export async function terminateWebhook(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date): Promise<void> {
  const answered = call.start_time !== null;
  const times = answered
    ? { start_time: String(seconds(call.start_time!)), end_time: String(seconds(at)), duration: Math.max(0, seconds(at) - seconds(call.start_time!)) }
    : {};
  await emitCallWebhook(deps, tx, target, 'message', {
    calls: [{ id: call.id, ...parties(call, target.phone_number), event: 'terminate', direction: call.direction, timestamp: String(seconds(at)), status: answered ? 'COMPLETED' : 'FAILED', ...times, ...opaque(call) }],
  });
}
