// The calls of a number on Meta's network, written down from Meta's `calls` webhooks (in the same
// transaction that forwards them, inbound.ts): one row per Meta call id in `calls`, as the sandbox
// keeps its own calls (messaging/call-lifecycle.ts), so the 24-hour limit on connected business-initiated
// calls (messaging/call-limits.ts) and the views of calls see them too.
//
// Meta's shapes (Calling API webhook reference): value.calls[] {id, from, to, event: connect |
// terminate, timestamp, direction, status?, start_time?, end_time?} and value.statuses[] {id,
// timestamp, type: "call", status: RINGING | ACCEPTED | REJECTED, recipient_id}. A call only moves
// forward (ringing → accepted → ended/rejected): webhooks that come late or twice change nothing
// already known. What cannot be read (no id, a time that is no time) is skipped, never thrown: the
// notification must still be answered 200, or Meta would retry it for days.
import type { Executor } from '../../db/index.ts';
import type { CallsTable } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v !== '' && v.length <= max ? v : undefined);

/** What one webhook item says about a call. */
interface CallFact {
  id: string;
  waId: string;
  direction?: CallsTable['direction'];
  state: 'ringing' | 'accepted' | 'rejected' | 'ended';
  at: string;
  start?: string;
  end?: string;
  opaque?: string;
}

const RANK: Record<string, number> = { ringing: 0, pre_accepted: 1, accepted: 2, rejected: 3, ended: 3 };

/** Meta's epoch seconds (a string or a number) as ISO, never later than now; undefined if it is no time. */
function isoOf(v: unknown, now: Date): string | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return new Date(Math.min(n * 1000, now.getTime())).toISOString();
}

function callFact(c: unknown, now: Date): CallFact | undefined {
  if (!isObj(c)) return undefined;
  const id = text(c.id, 256);
  const direction: CallsTable['direction'] | undefined = c.direction === 'BUSINESS_INITIATED' || c.direction === 'USER_INITIATED' ? c.direction : undefined;
  if (!id || !direction) return undefined;
  const waId = text(direction === 'BUSINESS_INITIATED' ? c.to : c.from, 128);
  if (!waId) return undefined;
  const at = isoOf(c.timestamp, now) ?? now.toISOString();
  const opaque = text(c.biz_opaque_callback_data, 512);
  const base = { id, waId, direction, at, ...(opaque !== undefined ? { opaque } : {}) };
  if (c.event === 'connect') {
    // A call under way. Only ACCEPTED, or a COMPLETED terminate's start_time, marks a call connected:
    // whether Meta sends a business call's connect (its SDP answer) before or only after the user
    // picks up is not confirmed by the sources at hand, so it is not counted as connected.
    return { ...base, state: 'ringing' };
  }
  if (c.event === 'terminate') {
    const start = isoOf(c.start_time, now);
    const end = isoOf(c.end_time, now) ?? at;
    return { ...base, state: 'ended', end, ...(start !== undefined && c.status !== 'FAILED' ? { start } : {}) };
  }
  return undefined;
}

function statusFact(s: unknown, now: Date): CallFact | undefined {
  if (!isObj(s) || s.type !== 'call') return undefined;
  const id = text(s.id, 256);
  const waId = text(s.recipient_id, 128);
  if (!id || !waId) return undefined;
  const at = isoOf(s.timestamp, now) ?? now.toISOString();
  const opaque = text(s.biz_opaque_callback_data, 512);
  const base = { id, waId, at, ...(opaque !== undefined ? { opaque } : {}) };
  // Call statuses are Meta's for business-initiated calls; a call first seen by one is taken as such.
  if (s.status === 'RINGING') return { ...base, state: 'ringing' };
  if (s.status === 'ACCEPTED') return { ...base, state: 'accepted', start: at };
  if (s.status === 'REJECTED') return { ...base, state: 'rejected', end: at };
  return undefined;
}

const earlier = (a: string | null, b: string | undefined) => (a === null ? (b ?? null) : b !== undefined && b < a ? b : a);

/** Writes one fact: a new row, or the known row of this channel moved forward. Another channel's call id is left alone. */
async function record(tx: Executor, channelId: string, f: CallFact, now: string): Promise<void> {
  const row: CallsTable = {
    id: f.id,
    channel_id: channelId,
    wa_id: f.waId,
    direction: f.direction ?? 'BUSINESS_INITIATED',
    state: f.state,
    biz_opaque_callback_data: f.opaque ?? null,
    created_at: f.at,
    start_time: f.start ?? null,
    end_time: f.end ?? null,
    modified_at: now,
  };
  const ins = await tx.insertInto('calls').values(row).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
  if (ins) return;
  const known = await tx.selectFrom('calls').selectAll().where('id', '=', f.id).where('channel_id', '=', channelId).executeTakeFirst();
  if (!known) return;
  const forward = (RANK[f.state] ?? 0) > (RANK[known.state] ?? 0);
  const set: Partial<CallsTable> = {
    state: forward ? f.state : known.state,
    created_at: earlier(known.created_at, f.at) ?? known.created_at,
    start_time: known.start_time ?? f.start ?? null,
    end_time: known.end_time ?? f.end ?? null,
    biz_opaque_callback_data: known.biz_opaque_callback_data ?? f.opaque ?? null,
  };
  if (f.direction !== undefined && known.direction !== f.direction) set.direction = f.direction;
  const same = (Object.keys(set) as (keyof CallsTable)[]).every((k) => set[k] === known[k]);
  if (same) return;
  await tx.updateTable('calls').set({ ...set, modified_at: now }).where('id', '=', f.id).where('channel_id', '=', channelId).execute();
}

/** Records the calls and call statuses of one `calls` change of Meta's for the channel. */
export async function recordMetaCalls(deps: Deps, tx: Executor, channelId: string, value: Obj): Promise<void> {
  const now = deps.clock.now();
  const iso = now.toISOString();
  const facts = [
    ...(Array.isArray(value.calls) ? value.calls.slice(0, 100).map((c) => callFact(c, now)) : []),
    ...(Array.isArray(value.statuses) ? value.statuses.slice(0, 100).map((s) => statusFact(s, now)) : []),
  ];
  for (const f of facts) if (f) await record(tx, channelId, f, iso);
}
