// A sandbox number's calling settings, the switch of the WhatsApp Business Calling API on the
// sandbox network (Meta's "Calling API", served by 360dialog under /calling/…; routes/calling.ts):
// Meta's `calling` object of POST /{phone-number-id}/settings: status, call_icon_visibility,
// call_hours, callback_permission_status, sip. Calls need status ENABLED (and SIP off: "When SIP is
// enabled, you cannot use calling related endpoints"); the On-Premise API has no Calling API at all.
// Stored in `calling_settings` (migration 0032). The calls themselves: call-lifecycle.ts.
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { transact } from '../webhooks/outbox.ts';
import { metaError } from './errors.ts';
import { fail, fromJsonText, isObj, obj, oneOf, onlyKeys, str, arr, type Obj } from './validate/check.ts';

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

export function assertCallingOn(s: CallingSettings): void {
  // Meta's code for calling that is not enabled is not in the sources at hand: a Graph 400 (code 100) saying so.
  if (s.status !== 'ENABLED') throw metaError(400, 100, 'Calling not enabled', 'Calling is not enabled for this phone number: POST /calling/settings {"calling":{"status":"ENABLED"}} first');
  if (s.sip.status === 'ENABLED') throw metaError(400, 100, 'SIP enabled', 'SIP is enabled for this phone number: calls are signalled over SIP, not the calls endpoint (set calling.sip.status DISABLED)');
}
