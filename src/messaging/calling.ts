// The WhatsApp Business Calling API on the sandbox network (Meta's "Calling API", served by
// 360dialog under /calling/…; routes/calling.ts):
//
//   settings     Meta's `calling` object of POST /{phone-number-id}/settings: status, call_icon_visibility,
//                call_hours, callback_permission_status, sip. Calls need status ENABLED (and SIP off:
//                "When SIP is enabled, you cannot use calling related endpoints").
//   connect      a business-initiated call to a user who granted call permission (call-permissions.ts);
//                the simulated user's phone rings (status RINGING at once) and, after
//                OPENWABA_SANDBOX_CALL_ANSWER (config.sandboxCallAnswer: 1 s by default), answers (a
//                connect webhook with an SDP answer, then status ACCEPTED) or declines (REJECTED, then
//                a terminate webhook with status FAILED), or never does by themselves (the sandbox
//                phone, or POST /sandbox/v1/calls/{id}/accept|terminate, answers for them); a user's own
//                setting ({"calls": …} on POST /sandbox/v1/users/{wa_id}) overrides the global one. An
//                unreachable user, or one blocking the business: REJECTED, then FAILED.
//   user calls   a simulated user calls the business (POST /sandbox/v1/inbound {"type":"call"}): a connect
//                webhook with an SDP offer; the business answers with pre_accept, accept, reject or terminate.
//   terminate    either call ends (the business with action terminate, the user with POST
//                /sandbox/v1/calls/{id}/terminate): a terminate webhook, COMPLETED with start_time,
//                end_time and duration after it was answered, FAILED before.
//   ring time    a call nobody answers ends after RING_TIMEOUT_MS (a durable job: a restart keeps
//                it): a terminate webhook with status FAILED.
//
// Webhook shapes are Meta's (Calling API "API and Webhook Reference", "User-initiated calls"):
// field `calls` in the Cloud envelope, `value.calls[]` {id, to, from, event, timestamp, direction,
// session | status/start_time/end_time/duration}, and call status webhooks `value.statuses[]`
// {id, timestamp, type: "call", status, recipient_id}. Meta's examples show the status webhooks
// under field `calls` too; chosen so here. Calls are stored in `calls` (migration 0032).
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database, CallsTable } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { enqueueJob, registerJobHandler } from '../jobs/scheduler.ts';
import { transact } from '../webhooks/outbox.ts';
import { channelIdentity, emitChannelEvent } from './channel-webhook.ts';
import { CHANNEL_WEBHOOK_URL } from './status-facts.ts';
import { metaError } from './errors.ts';
import { fail, fromJsonText, isObj, obj, oneOf, onlyKeys, recipient, str, arr, type Obj } from './validate/check.ts';
import { callPermission, grantCallbackPermission } from './call-permissions.ts';
import { refuseBlockedSender } from './blocklist.ts';
import { CONNECTED_CALLS_PER_DAY, connectedCallsToday, refuseOverCallLimit } from './call-limits.ts';
import { callAnswerFor } from './sandbox-call-answer.ts';

const ANSWER_JOB = 'sandbox_call_answer';
/**
 * How long a call rings unanswered before it ends. 360dialog's inbound-call guide gives the
 * business "from 30 to 60 seconds" to pre-accept a user's call; Meta's pages at hand name no exact
 * ring time for either direction, so the longer bound is taken for both (a client that answers
 * within 30 s, as the guide advises, is never cut off here).
 */
export const RING_TIMEOUT_MS = 60_000;
const RING_JOB = 'call_ring_timeout';

// ---- settings ----

type Toggle = 'ENABLED' | 'DISABLED';
const TOGGLE = ['ENABLED', 'DISABLED'] as const;
const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;

export interface CallingSettings {
  status: Toggle;
  call_icon_visibility: 'DEFAULT' | 'DISABLE_ALL';
  call_hours: Obj;
  callback_permission_status: Toggle;
  sip: Obj;
}

/** Meta's defaults for a number that never changed them: calling off, the icon as by default, no hours, no callback permission, no SIP. */
export const DEFAULT_CALLING: CallingSettings = {
  status: 'DISABLED',
  call_icon_visibility: 'DEFAULT',
  call_hours: { status: 'DISABLED' },
  callback_permission_status: 'DISABLED',
  sip: { status: 'DISABLED' },
};

const HHMM = /^([01]\d|2[0-3])[0-5]\d$/;
const hhmm = (v: unknown, f: string) => {
  const s = str(v, f, { max: 4 });
  if (!HHMM.test(s)) throw fail(f, 'must be a time of day as HHMM (0000 to 2359)');
  return s;
};

function timezone(v: unknown, f: string): string {
  const tz = str(v, f, { max: 64 });
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw fail(f, `must be an IANA time zone such as America/Manaus (got "${tz.slice(0, 64)}")`);
  }
  return tz;
}

function callHours(v: unknown): Obj {
  const o = obj(v, 'calling.call_hours');
  onlyKeys(o, 'calling.call_hours', ['status', 'timezone_id', 'weekly_operating_hours', 'holiday_schedule']);
  const status = oneOf(o.status, 'calling.call_hours.status', TOGGLE);
  const out: Obj = { status };
  if (o.timezone_id !== undefined) out.timezone_id = timezone(o.timezone_id, 'calling.call_hours.timezone_id');
  if (o.weekly_operating_hours !== undefined) {
    const perDay = new Map<string, number>();
    out.weekly_operating_hours = arr(o.weekly_operating_hours, 'calling.call_hours.weekly_operating_hours', { min: 1, max: 14 }).map((h, i) => {
      const f = `calling.call_hours.weekly_operating_hours[${i}]`;
      const e = obj(h, f);
      onlyKeys(e, f, ['day_of_week', 'open_time', 'close_time']);
      const day = oneOf(e.day_of_week, `${f}.day_of_week`, DAYS);
      const open = hhmm(e.open_time, `${f}.open_time`);
      const close = hhmm(e.close_time, `${f}.close_time`);
      if (open >= close) throw fail(`${f}.close_time`, 'must be after open_time');
      // Meta allows two time slots a day at most.
      const n = (perDay.get(day) ?? 0) + 1;
      if (n > 2) throw fail(`${f}.day_of_week`, `${day} has more than 2 time slots`);
      perDay.set(day, n);
      return { day_of_week: day, open_time: open, close_time: close };
    });
  }
  if (o.holiday_schedule !== undefined) {
    out.holiday_schedule = arr(o.holiday_schedule, 'calling.call_hours.holiday_schedule', { max: 20 }).map((h, i) => {
      const f = `calling.call_hours.holiday_schedule[${i}]`;
      const e = obj(h, f);
      onlyKeys(e, f, ['date', 'start_time', 'end_time']);
      const date = str(e.date, `${f}.date`, { max: 10 });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
        throw fail(`${f}.date`, 'must be a date as YYYY-MM-DD');
      }
      const start = hhmm(e.start_time, `${f}.start_time`);
      const end = hhmm(e.end_time, `${f}.end_time`);
      if (start >= end) throw fail(`${f}.end_time`, 'must be after start_time');
      return { date, start_time: start, end_time: end };
    });
  }
  if (status === 'ENABLED') {
    if (out.timezone_id === undefined) throw fail('calling.call_hours.timezone_id', 'is required when call_hours.status is ENABLED');
    if (out.weekly_operating_hours === undefined) throw fail('calling.call_hours.weekly_operating_hours', 'is required when call_hours.status is ENABLED');
  }
  return out;
}

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function sip(v: unknown): Obj {
  const o = obj(v, 'calling.sip');
  onlyKeys(o, 'calling.sip', ['status', 'servers']);
  const status = oneOf(o.status, 'calling.sip.status', TOGGLE);
  const out: Obj = { status };
  if (o.servers !== undefined) {
    out.servers = arr(o.servers, 'calling.sip.servers', { min: 1, max: 1 }).map((s, i) => {
      const f = `calling.sip.servers[${i}]`;
      const e = obj(s, f);
      onlyKeys(e, f, ['hostname', 'port', 'request_uri_user_params']);
      const hostname = str(e.hostname, `${f}.hostname`, { max: 253 });
      if (!HOSTNAME.test(hostname)) throw fail(`${f}.hostname`, 'must be a host name such as sip.example.com');
      const port = e.port === undefined ? 5061 : e.port;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw fail(`${f}.port`, 'must be a port number (1 to 65535)');
      const server: Obj = { hostname, port };
      if (e.request_uri_user_params !== undefined) {
        const p = obj(e.request_uri_user_params, `${f}.request_uri_user_params`);
        const keys = Object.keys(p);
        if (keys.length > 10) throw fail(`${f}.request_uri_user_params`, 'takes at most 10 parameters');
        server.request_uri_user_params = Object.fromEntries(keys.map((k) => {
          if (!/^[A-Za-z0-9_.-]{1,64}$/.test(k)) throw fail(`${f}.request_uri_user_params`, 'keys must be 1 to 64 letters, digits, _ . or -');
          return [k, str(p[k], `${f}.request_uri_user_params.${k}`, { max: 256 })];
        }));
      }
      return server;
    });
  }
  if (status === 'ENABLED' && out.servers === undefined) throw fail('calling.sip.servers', 'is required when sip.status is ENABLED');
  return out;
}

/**
 * The `calling` object of a settings update, checked: only the parts it names change (each one
 * replaces what was stored: "Any previously configured values in call_hours will be replaced").
 * Other parameters beside `calling` are ignored, as Graph ignores them (access_token, messaging_product).
 */
export function parseCallingSettings(b: unknown): Partial<CallingSettings> {
  if (!isObj(b)) throw fail('body', 'must be a JSON object with a calling object');
  if (b.calling === undefined) throw fail('calling', 'is required: {"calling":{"status":"ENABLED"}}');
  const c = obj(fromJsonText(b.calling), 'calling');
  onlyKeys(c, 'calling', ['status', 'call_icon_visibility', 'call_hours', 'callback_permission_status', 'sip']);
  const out: Partial<CallingSettings> = {};
  if (c.status !== undefined) out.status = oneOf(c.status, 'calling.status', TOGGLE);
  if (c.call_icon_visibility !== undefined) out.call_icon_visibility = oneOf(c.call_icon_visibility, 'calling.call_icon_visibility', ['DEFAULT', 'DISABLE_ALL'] as const);
  if (c.call_hours !== undefined) out.call_hours = callHours(c.call_hours);
  if (c.callback_permission_status !== undefined) out.callback_permission_status = oneOf(c.callback_permission_status, 'calling.callback_permission_status', TOGGLE);
  if (c.sip !== undefined) out.sip = sip(c.sip);
  if (Object.keys(out).length === 0) throw fail('calling', 'names nothing to change (status, call_icon_visibility, call_hours, callback_permission_status or sip)');
  return out;
}

export async function readCallingSettings(db: Executor, channelId: string): Promise<CallingSettings> {
  const row = await db.selectFrom('calling_settings').select('settings').where('channel_id', '=', channelId).executeTakeFirst();
  if (!row) return DEFAULT_CALLING;
  return { ...DEFAULT_CALLING, ...(JSON.parse(row.settings) as Partial<CallingSettings>) };
}

export async function updateCallingSettings(deps: Deps, channelId: string, change: Partial<CallingSettings>): Promise<void> {
  await transact(deps, async (tx) => {
    const merged = { ...(await readCallingSettings(tx, channelId)), ...change };
    const now = deps.clock.now().toISOString();
    await tx
      .insertInto('calling_settings')
      .values({ channel_id: channelId, settings: JSON.stringify(merged), modified_at: now })
      .onConflict((oc) => oc.column('channel_id').doUpdateSet({ settings: JSON.stringify(merged), modified_at: now }))
      .execute();
  });
}

// ---- refusals ----

/** The On-Premise API has no Calling API. */
export function assertCloudChannel(channel: Pick<ChannelRow, 'hosting_type'>): void {
  if (channel.hosting_type === 'onpremise') {
    throw fail('channel', 'is an On-Premise API number: the Calling API is part of the Cloud API only (the On-Premise API has no calling)');
  }
}

function assertCallingOn(s: CallingSettings): void {
  // Meta's code for calling that is not enabled is not in the sources at hand: a Graph 400 (code 100) saying so.
  if (s.status !== 'ENABLED') throw metaError(400, 100, 'Calling not enabled', 'Calling is not enabled for this phone number: POST /calling/settings {"calling":{"status":"ENABLED"}} first');
  if (s.sip.status === 'ENABLED') throw metaError(400, 100, 'SIP enabled', 'SIP is enabled for this phone number: calls are signalled over SIP, not the calls endpoint (set calling.sip.status DISABLED)');
}

// ---- the calls endpoint ----

export type CallAction = 'connect' | 'pre_accept' | 'accept' | 'reject' | 'terminate';
export interface CallRequest {
  action: CallAction;
  to?: string;
  call_id?: string;
  session?: { sdp_type: 'offer' | 'answer'; sdp: string };
  biz_opaque_callback_data?: string;
}

const MAX_SDP = 64 * 1024;

function session(v: unknown, want: 'offer' | 'answer', action: string): { sdp_type: 'offer' | 'answer'; sdp: string } {
  if (v === undefined) throw fail('session', `is required for ${action}: {"sdp_type":"${want}","sdp":"<RFC 8866 SDP>"}`);
  const o = obj(v, 'session');
  onlyKeys(o, 'session', ['sdp_type', 'sdp']);
  const type = oneOf(o.sdp_type, 'session.sdp_type', ['offer', 'answer'] as const);
  if (type !== want) throw fail('session.sdp_type', `must be "${want}" for ${action}`);
  const sdp = str(o.sdp, 'session.sdp', { max: MAX_SDP });
  // Meta validates the SDP; the sandbox checks only that it is one (RFC 8866 starts with the version line).
  if (!/^v=0\r?\n/.test(sdp) || !/\r?\nm=audio /.test(sdp)) throw fail('session.sdp', 'must be an RFC 8866 SDP (starting with "v=0" and with an m=audio line)');
  return { sdp_type: type, sdp };
}

/** The body of POST /calls, checked as Meta's Calling API reference describes each action. */
export function parseCallRequest(b: unknown): CallRequest {
  if (!isObj(b)) throw fail('body', 'must be a JSON object');
  onlyKeys(b, 'body', ['messaging_product', 'to', 'action', 'call_id', 'session', 'biz_opaque_callback_data']);
  oneOf(b.messaging_product, 'messaging_product', ['whatsapp'] as const);
  const action = oneOf(b.action, 'action', ['connect', 'pre_accept', 'accept', 'reject', 'terminate'] as const);
  const out: CallRequest = { action };
  if (b.biz_opaque_callback_data !== undefined) out.biz_opaque_callback_data = str(b.biz_opaque_callback_data, 'biz_opaque_callback_data', { max: 512 });
  if (action === 'connect') {
    out.to = recipient(b.to, 'to');
    if (b.call_id !== undefined) throw fail('call_id', 'is not taken by connect (a new call gets its id in the answer)');
    out.session = session(b.session, 'offer', 'connect');
    return out;
  }
  out.call_id = str(b.call_id, 'call_id', { max: 256 });
  if (b.to !== undefined) out.to = recipient(b.to, 'to');
  if (action === 'pre_accept' || action === 'accept') out.session = session(b.session, 'answer', action);
  else if (b.session !== undefined) throw fail('session', `is not taken by ${action}`);
  return out;
}

const newCallId = () => 'wacid.' + randomBytes(24).toString('base64url');
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

// ---- webhooks ----

interface Target {
  id: string;
  partner_id: string;
  webhook_url: string | null;
  hosting_type: ChannelRow['hosting_type'];
  phone_number: string;
  external_id: string | null;
  waba_account_id: string | null;
}

async function webhookTarget(tx: Executor, channelId: string): Promise<Target> {
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

async function connectWebhook(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date, sdpType: 'offer' | 'answer'): Promise<void> {
  await emitCallWebhook(deps, tx, target, 'message', {
    calls: [{ id: call.id, ...parties(call, target.phone_number), event: 'connect', timestamp: String(seconds(at)), direction: call.direction, session: { sdp_type: sdpType, sdp: sandboxSdp(sdpType) }, ...opaque(call) }],
  });
}

async function statusWebhook(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date, status: 'RINGING' | 'ACCEPTED' | 'REJECTED'): Promise<void> {
  await emitCallWebhook(deps, tx, target, 'status', {
    statuses: [{ id: call.id, timestamp: String(seconds(at)), type: 'call', status, recipient_id: call.wa_id, ...opaque(call) }],
  });
}

async function terminateWebhook(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date): Promise<void> {
  const answered = call.start_time !== null;
  const times = answered
    ? { start_time: String(seconds(call.start_time!)), end_time: String(seconds(at)), duration: Math.max(0, seconds(at) - seconds(call.start_time!)) }
    : {};
  await emitCallWebhook(deps, tx, target, 'message', {
    calls: [{ id: call.id, ...parties(call, target.phone_number), event: 'terminate', direction: call.direction, timestamp: String(seconds(at)), status: answered ? 'COMPLETED' : 'FAILED', ...times, ...opaque(call) }],
  });
}

// ---- business-initiated calls ----

const noPermission = (to: string) =>
  // 138006 as Meta's Calling API error list is widely quoted; the stored sources did not show the table's row.
  metaError(400, 138006, 'No approved call permission', `${to} has not given this business permission to call them (send a call permission request and wait for an accepted call_permission_reply)`);

async function connect(deps: Deps, channel: ChannelRow, r: CallRequest): Promise<{ messaging_product: 'whatsapp'; calls: { id: string }[] }> {
  const to = r.to!;
  return transact(deps, async (tx) => {
    assertCallingOn(await readCallingSettings(tx, channel.id));
    const at = deps.clock.now();
    if (!(await callPermission(tx, channel.id, to, at)).granted) throw noPermission(to);
    await refuseOverCallLimit(tx, channel.id, to, at);
    const iso = at.toISOString();
    const call: CallsTable = { id: newCallId(), channel_id: channel.id, wa_id: to, direction: 'BUSINESS_INITIATED', state: 'ringing', biz_opaque_callback_data: r.biz_opaque_callback_data ?? null, created_at: iso, start_time: null, end_time: null, modified_at: iso };
    await tx.insertInto('calls').values(call).execute();
    const user = await tx.selectFrom('sandbox_users').select(['unreachable', 'blocked', 'call_answer']).where('channel_id', '=', channel.id).where('wa_id', '=', to).executeTakeFirst();
    // A reachable user's phone rings at once; an unreachable one's never does (REJECTED comes with the answer job).
    const unreachable = Boolean(user?.unreachable || user?.blocked);
    if (!unreachable) await statusWebhook(deps, tx, await webhookTarget(tx, channel.id), call, at, 'RINGING');
    // The simulated user answers or declines after the configured delay (unless set never to): their
    // own setting (sandbox-call-answer.ts), else the global one; a delay at or past the ring time lets the call ring out.
    const plan = callAnswerFor(user?.call_answer, deps.config.sandboxCallAnswer);
    if ((unreachable || plan.action !== 'never') && plan.ms < RING_TIMEOUT_MS) {
      await enqueueJob(deps, tx, { kind: ANSWER_JOB, refId: call.id, at: new Date(at.getTime() + plan.ms), payload: { channel_id: channel.id } });
    }
    await ringOut(deps, tx, channel.id, call.id, at);
    return { messaging_product: 'whatsapp', calls: [{ id: call.id }] };
  });
}

// The simulated user answers (or cannot be reached): only a call still ringing.
registerJobHandler(ANSWER_JOB, async (deps, tx, job, payload) => {
  const channelId = isObj(payload) && typeof payload.channel_id === 'string' ? payload.channel_id : undefined;
  if (!channelId) return { done: true };
  const call = await tx.selectFrom('calls').selectAll().where('id', '=', job.ref_id).where('channel_id', '=', channelId).executeTakeFirst();
  if (!call || call.state !== 'ringing') return { done: true };
  const at = deps.clock.now();
  const iso = at.toISOString();
  const target = await webhookTarget(tx, channelId);
  const user = await tx.selectFrom('sandbox_users').select(['unreachable', 'blocked', 'call_answer']).where('channel_id', '=', channelId).where('wa_id', '=', call.wa_id).executeTakeFirst();
  const plan = callAnswerFor(user?.call_answer, deps.config.sandboxCallAnswer);
  if (user?.unreachable || user?.blocked || plan.action === 'decline') await declineRinging(deps, tx, target, call, at);
  else if (plan.action === 'answer') await answerRinging(deps, tx, target, call, at);
  return { done: true };
});

/** The user picks up a business call still ringing: the connect webhook carries their SDP answer, then the call is ACCEPTED. False: it stopped ringing meanwhile. */
async function answerRinging(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date): Promise<boolean> {
  const iso = at.toISOString();
  const res = await tx.updateTable('calls').set({ state: 'accepted', start_time: iso, modified_at: iso }).where('id', '=', call.id).where('state', '=', 'ringing').executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return false;
  const accepted = { ...call, state: 'accepted', start_time: iso, modified_at: iso };
  await connectWebhook(deps, tx, target, accepted, at, 'answer');
  await statusWebhook(deps, tx, target, accepted, at, 'ACCEPTED');
  return true;
}

/** The user declines a business call still ringing (or cannot be reached): REJECTED, then a FAILED terminate. False: it stopped ringing meanwhile. */
async function declineRinging(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date): Promise<boolean> {
  const iso = at.toISOString();
  const res = await tx.updateTable('calls').set({ state: 'rejected', end_time: iso, modified_at: iso }).where('id', '=', call.id).where('state', '=', 'ringing').executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return false;
  const ended = { ...call, state: 'rejected', end_time: iso, modified_at: iso };
  await statusWebhook(deps, tx, target, ended, at, 'REJECTED');
  await terminateWebhook(deps, tx, target, ended, at);
  return true;
}

/** The call ends if it still rings (or is only pre-accepted) RING_TIMEOUT_MS after `at`. */
async function ringOut(deps: Deps, tx: Executor, channelId: string, callId: string, at: Date): Promise<void> {
  await enqueueJob(deps, tx, { kind: RING_JOB, refId: callId, at: new Date(at.getTime() + RING_TIMEOUT_MS), payload: { channel_id: channelId } });
}

// Nobody answered: the call ends unanswered, a terminate webhook with status FAILED (Meta's terminate
// statuses are COMPLETED and FAILED; an unanswered call was never COMPLETED).
registerJobHandler(RING_JOB, async (deps, tx, job, payload) => {
  const channelId = isObj(payload) && typeof payload.channel_id === 'string' ? payload.channel_id : undefined;
  if (!channelId) return { done: true };
  const call = await tx.selectFrom('calls').selectAll().where('id', '=', job.ref_id).where('channel_id', '=', channelId).executeTakeFirst();
  if (!call || !UNANSWERED.includes(call.state)) return { done: true };
  const at = deps.clock.now();
  const iso = at.toISOString();
  const res = await tx.updateTable('calls').set({ state: 'ended', end_time: iso, modified_at: iso }).where('id', '=', call.id).where('state', 'in', UNANSWERED).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 1) await terminateWebhook(deps, tx, await webhookTarget(tx, channelId), { ...call, state: 'ended', end_time: iso, modified_at: iso }, at);
  return { done: true };
});

// ---- actions on an existing call ----

export const LIVE = ['ringing', 'pre_accepted', 'accepted'];
const UNANSWERED = ['ringing', 'pre_accepted'];

async function act(deps: Deps, channel: ChannelRow, r: CallRequest): Promise<{ success: true }> {
  return transact(deps, async (tx: Transaction<Database>) => {
    const call = await tx.selectFrom('calls').selectAll().where('id', '=', r.call_id!).where('channel_id', '=', channel.id).executeTakeFirst();
    if (!call) throw fail('call_id', `no call ${r.call_id!.slice(0, 80)} on this phone number`);
    if (!LIVE.includes(call.state)) throw fail('call_id', `call ${call.id} has ended (${call.state}): no further action can be taken on it`);
    if (r.to !== undefined && r.to !== call.wa_id) throw fail('to', `call ${call.id} is with another user`);
    const at = deps.clock.now();
    const iso = at.toISOString();
    const move = async (from: string[], set: Partial<CallsTable>) => {
      const res = await tx.updateTable('calls').set({ ...set, modified_at: iso }).where('id', '=', call.id).where('state', 'in', from).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw fail('call_id', `call ${call.id} changed meanwhile; try again`);
    };
    if (r.action === 'terminate') {
      await move(LIVE, { state: 'ended', end_time: iso });
      await terminateWebhook(deps, tx, await webhookTarget(tx, channel.id), { ...call, state: 'ended', end_time: iso }, at);
      return { success: true };
    }
    if (call.direction === 'BUSINESS_INITIATED') throw fail('action', `${r.action} answers a call the user made; ${call.id} is the business's own call (end it with terminate)`);
    switch (r.action) {
      case 'pre_accept':
        if (call.state !== 'ringing') throw fail('action', `call ${call.id} is ${call.state === 'pre_accepted' ? 'pre-accepted already' : 'accepted already'}`);
        await move(['ringing'], { state: 'pre_accepted' });
        break;
      case 'accept':
        if (call.state === 'accepted') throw fail('action', `call ${call.id} is accepted already`);
        await move(['ringing', 'pre_accepted'], { state: 'accepted', start_time: iso });
        break;
      case 'reject':
        if (call.state === 'accepted') throw fail('action', `call ${call.id} is connected: end it with terminate`);
        await move(['ringing', 'pre_accepted'], { state: 'rejected', end_time: iso });
        // The rejected call ends: its terminate webhook, FAILED (it was never answered).
        await terminateWebhook(deps, tx, await webhookTarget(tx, channel.id), { ...call, state: 'rejected', end_time: iso }, at);
        break;
      default:
        throw fail('action', `${r.action} names no existing call`);
    }
    return { success: true };
  });
}

/** POST /calls on a sandbox number. */
export async function handleCallRequest(deps: Deps, channel: ChannelRow, r: CallRequest): Promise<unknown> {
  if (r.action === 'connect') return connect(deps, channel, r);
  // A call under way can always be ended, even after calling was turned off meanwhile.
  if (r.action !== 'terminate') assertCallingOn(await readCallingSettings(deps.db.kysely, channel.id));
  return act(deps, channel, r);
}

// ---- user-initiated calls (the sandbox's simulated users) ----

/** A simulated user calls the business: a connect webhook with the user's SDP offer. */
export async function userCalls(deps: Deps, channel: ChannelRow, from: string): Promise<{ id: string }> {
  assertCloudChannel(channel);
  return transact(deps, async (tx) => {
    const settings = await readCallingSettings(tx, channel.id);
    if (settings.status !== 'ENABLED') throw fail('type', 'the business has calling DISABLED: a WhatsApp user sees no call button (enable it with POST /calling/settings)');
    if (settings.sip.status === 'ENABLED') throw fail('type', "the business takes calls over SIP: the sandbox simulates calls over the calls endpoint only");
    // A user the number blocked cannot reach it.
    await refuseBlockedSender(tx, channel.id, from);
    const at = deps.clock.now();
    const iso = at.toISOString();
    const call: CallsTable = { id: newCallId(), channel_id: channel.id, wa_id: from, direction: 'USER_INITIATED', state: 'ringing', biz_opaque_callback_data: null, created_at: iso, start_time: null, end_time: null, modified_at: iso };
    await tx.insertInto('calls').values(call).execute();
    if (settings.callback_permission_status === 'ENABLED') await grantCallbackPermission(tx, channel.id, from, at);
    await connectWebhook(deps, tx, await webhookTarget(tx, channel.id), call, at, 'offer');
    await ringOut(deps, tx, channel.id, call.id, at);
    return { id: call.id };
  });
}

/** What the simulated user's action did to the call, as the webhooks tell the business. */
export interface UserCallOutcome {
  id: string;
  /** accepted: picked up; completed: hung up after talking; rejected: declined the business's call; cancelled: hung up before anyone answered. */
  outcome: 'accepted' | 'completed' | 'rejected' | 'cancelled';
}

async function liveCallOf(tx: Executor, channelId: string, callId: string, waId?: string): Promise<CallsTable> {
  let q = tx.selectFrom('calls').selectAll().where('id', '=', callId).where('channel_id', '=', channelId);
  if (waId !== undefined) q = q.where('wa_id', '=', waId);
  const call = await q.executeTakeFirst();
  if (!call) throw fail('call_id', `no call ${callId.slice(0, 80)} on this phone number${waId !== undefined ? ' with this user' : ''}`);
  if (!LIVE.includes(call.state)) throw fail('call_id', `call ${call.id} has ended (${call.state})`);
  return call;
}

const changedMeanwhile = (id: string) => fail('call_id', `call ${id} changed meanwhile; try again`);

/**
 * The simulated user picks up a business call that rings (the sandbox phone's Accept, or POST
 * /sandbox/v1/calls/{id}/accept): the same connect webhook (SDP answer) and ACCEPTED status as
 * when the sandbox answers for them. `waId`: only a call with this user (the phone's own user).
 */
export async function userAcceptsCall(deps: Deps, channel: ChannelRow, callId: string, waId?: string): Promise<UserCallOutcome> {
  return transact(deps, async (tx) => {
    const call = await liveCallOf(tx, channel.id, callId, waId);
    if (call.direction === 'USER_INITIATED') throw fail('call_id', `call ${call.id} is the user's own call: the business answers it (action accept on /calls)`);
    if (call.state !== 'ringing') throw fail('call_id', `call ${call.id} is connected already`);
    if (!(await answerRinging(deps, tx, await webhookTarget(tx, channel.id), call, deps.clock.now()))) throw changedMeanwhile(call.id);
    return { id: call.id, outcome: 'accepted' };
  });
}

/**
 * The simulated user hangs up (the sandbox phone's Decline or Hang up, or POST
 * /sandbox/v1/calls/{id}/terminate): a connected call ends COMPLETED with its duration; a business
 * call still ringing is declined (REJECTED, then a FAILED terminate, as Meta shows a rejected
 * call); the user's own call not yet answered is called off (a FAILED terminate).
 */
export async function userEndsCall(deps: Deps, channel: ChannelRow, callId: string, waId?: string): Promise<UserCallOutcome> {
  return transact(deps, async (tx) => {
    const call = await liveCallOf(tx, channel.id, callId, waId);
    const at = deps.clock.now();
    const iso = at.toISOString();
    const target = await webhookTarget(tx, channel.id);
    if (call.direction === 'BUSINESS_INITIATED' && call.state === 'ringing') {
      if (!(await declineRinging(deps, tx, target, call, at))) throw changedMeanwhile(call.id);
      return { id: call.id, outcome: 'rejected' };
    }
    const res = await tx.updateTable('calls').set({ state: 'ended', end_time: iso, modified_at: iso }).where('id', '=', call.id).where('state', '=', call.state).executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw changedMeanwhile(call.id);
    await terminateWebhook(deps, tx, target, { ...call, state: 'ended', end_time: iso, modified_at: iso }, at);
    return { id: call.id, outcome: call.state === 'accepted' ? 'completed' : 'cancelled' };
  });
}

/** The user's call under way with the number, if any (newest first): what the sandbox phone shows. */
export async function liveCallWith(db: Executor, channelId: string, waId: string): Promise<Pick<CallsTable, 'id' | 'direction' | 'state' | 'start_time' | 'created_at'> | undefined> {
  return db
    .selectFrom('calls')
    .select(['id', 'direction', 'state', 'start_time', 'created_at'])
    .where('channel_id', '=', channelId)
    .where('wa_id', '=', waId)
    .where('state', 'in', LIVE)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

// ---- call permission state ----

export async function permissionState(deps: Deps, channel: ChannelRow, waId: string): Promise<unknown> {
  const db = deps.db.kysely;
  const at = deps.clock.now();
  const p = await callPermission(db, channel.id, waId, at);
  const dayAgo = new Date(at.getTime() - 86_400_000).toISOString();
  const weekAgo = new Date(at.getTime() - 7 * 86_400_000).toISOString();
  // Permission requests sent: outbound interactive call_permission_request messages (template ones are not told apart).
  const requests = (since: string) =>
    db
      .selectFrom('messages')
      .select((e) => e.fn.countAll<string | number>().as('n'))
      .where('channel_id', '=', channel.id)
      .where('wa_id', '=', waId)
      .where('direction', '=', 'outbound')
      .where('type', '=', 'interactive')
      .where('content', 'like', '%"call_permission_request"%')
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  const [day, week] = [await requests(dayAgo), await requests(weekAgo)];
  const connected = (await connectedCallsToday(db, channel.id, waId, at)).count;
  // Meta's limits (Obtain User Call Permissions): 1 request a day, 2 a week per user; 100 connected calls a day.
  return {
    messaging_product: 'whatsapp',
    // Statuses: "granted" (with expiration_time when temporary) or "no_permission" (none, rejected or expired).
    permission: p.granted ? { status: 'granted', ...(p.expiration !== undefined ? { expiration_time: p.expiration } : {}) } : { status: 'no_permission' },
    actions: [
      {
        action_name: 'send_call_permission_request',
        can_perform_action: !p.granted && day < 1 && week < 2,
        limits: [
          { time_period: 'PT24H', max_allowed: 1, current_usage: day },
          { time_period: 'P7D', max_allowed: 2, current_usage: week },
        ],
      },
      {
        action_name: 'start_call',
        can_perform_action: p.granted && connected < CONNECTED_CALLS_PER_DAY,
        limits: [{ time_period: 'PT24H', max_allowed: CONNECTED_CALLS_PER_DAY, current_usage: connected }],
      },
    ],
  };
}
