// Meta's Message History API over openwaba's own store (routes/message-history.ts serves it).
//
// Sources (Meta's reference pages, read through copies of them; v23.0, the events page also v25.0):
// - "WhatsApp Business Account Message History API" (developers.facebook.com/documentation/
//   business-messaging/whatsapp/reference/whatsapp-business-phone-number/whatsapp-business-account-message-history-api):
//   GET /{Version}/{Phone-Number-ID}/message_history, query message_id (a WAMID filter), fields
//   (default "id, message_id"; available "id, message_id, events{delivery_status,webhook_update_state,
//   timestamp,application,webhook_uri,error_description}"), limit (1..100, default 25), after, before.
//   200: {data:[{id, message_id, events:{data:[{id, delivery_status, timestamp, webhook_update_state,
//   application:{id}, webhook_uri, error_description}]}}], paging:{cursors:{before, after}, next, previous}}.
// - "WhatsApp Business Message History Events API" (…/reference/message-history/whatsapp-business-message-history-events-api):
//   GET /{Version}/{Message-History-ID}/events, query delivery_status (a status filter; the v23 page calls it
//   status_filter: both are taken), fields (default "cursor, node{id,delivery_status,occurrence_timestamp}";
//   node also has error_description, status_timestamp, application, webhook_update_state ("ERROR"|"SUCCESS"),
//   webhook_uri), limit (1..100, default 25), after, before.
//   200: {data:[{cursor, node:{id, delivery_status:"SENT", occurrence_timestamp, status_timestamp, application}}], paging}.
//   Errors are GraphAPIError bodies (400, 401, 403, 404 "Message History ID does not exist or is not accessible", 422, 500).
//
// openwaba's choices where those pages leave it open (not confirmed by a source):
// - The history of a message is its outbound row: the statuses stored on it (sent_at, delivered_at,
//   read_at, failed_at, and the error of a failure) are its events. That holds for sandbox numbers
//   and for numbers on Meta's network alike (Meta's status webhooks are stored as they arrive,
//   network/meta/inbound.ts), so both are answered from the store. Inbound messages have no history.
// - The entry's id is the base64url of its WAMID (Meta's are numeric ids of its own; clients take
//   them as opaque strings), an event's id the base64url of `<wamid>:<status>`. Nothing to store.
// - Without `fields` the entries carry their events too: the page's examples (requests without
//   fields) show them, and a client reading `events` finds them. The events edge without `fields`
//   gives every node field openwaba holds.
// - delivery_status is the status in capitals: SENT, DELIVERED, READ (the pages' examples), FAILED (inferred).
// - Fields openwaba does not hold (webhook_update_state, application, webhook_uri) are accepted and
//   left out, as Graph leaves out a field with no value; an unknown field is Graph's code 100 error.
// - Newest message first (the page does not say); a message_id that is not one of this number's
//   outbound messages (unknown, inbound, or another channel's) is a 400 code 100 naming message_id,
//   the same answer for each; an unknown history id is Graph's node error (400, code 100, subcode 33).
import type { Deps } from '../deps.ts';
import type { MessagesTable } from '../db/schema.ts';
import type { ChannelRow } from '../services/channels.ts';
import { encodeGraphCursor, graphCursorPage, graphPaging, type GraphPageUrl } from './graph-params.ts';
import { splitFields } from './graph-field-modifiers.ts';
import { nonexistingField } from './graph-node-fields.ts';
import { fail } from './validate/check.ts';
import { graphNodeNotFound } from './media/not-found.ts';

/** Meta: "limit integer [min: 1, max: 100] … Default is 25". */
const MAX_PAGE = 100;
const STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;
type Status = (typeof STATUSES)[number];

const ENTRY_FIELDS = ['id', 'message_id', 'events'] as const;
const EVENT_FIELDS = ['id', 'delivery_status', 'webhook_update_state', 'timestamp', 'application', 'webhook_uri', 'error_description'] as const;
const EDGE_FIELDS = ['cursor', 'node'] as const;
const NODE_FIELDS = ['id', 'delivery_status', 'error_description', 'occurrence_timestamp', 'status_timestamp', 'application', 'webhook_update_state', 'webhook_uri'] as const;

export interface HistoryQuery {
  message_id?: string;
  fields?: string;
  limit?: string;
  after?: string;
  before?: string;
}
export interface EventsQuery {
  delivery_status?: string;
  status_filter?: string;
  fields?: string;
  limit?: string;
  after?: string;
  before?: string;
}
export type PageUrl = GraphPageUrl;

type Row = Pick<MessagesTable, 'id' | 'created_at' | 'sent_at' | 'delivered_at' | 'read_at' | 'failed_at' | 'error_code' | 'error_title'>;
const COLUMNS = ['id', 'created_at', 'sent_at', 'delivered_at', 'read_at', 'failed_at', 'error_code', 'error_title'] as const;

export const historyId = (wamid: string) => Buffer.from(wamid).toString('base64url');
const eventId = (wamid: string, s: Status) => Buffer.from(`${wamid}:${s}`).toString('base64url');
const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * `fields=a,b{c,d}` as top-level names, each with its sub-fields (undefined: all). Graph's error for
 * a name the node does not have; no `fields` gives `defaults` with all their sub-fields.
 */
function parseFields(fields: string | undefined, top: readonly string[], sub: readonly string[], nested: string, types: [node: string, noun: string, sub: string, subNoun: string]): Map<string, Set<string> | undefined> {
  const out = new Map<string, Set<string> | undefined>();
  if (fields !== undefined && fields.length > 2000) throw fail('fields', 'is too long (2,000 characters at most)');
  const pieces = splitFields(fields ?? '').map((f) => f.trim()).filter(Boolean);
  if (pieces.length === 0) {
    for (const f of top) out.set(f, undefined);
    return out;
  }
  for (const piece of pieces) {
    const m = /^([A-Za-z_][A-Za-z0-9_]{0,63})(?:\{([^{}]*)\})?$/.exec(piece);
    if (!m) throw fail('fields', `cannot read "${piece.slice(0, 64)}": a field name, or ${nested}{name,…}`);
    const name = m[1]!;
    if (!top.includes(name)) throw nonexistingField(types[0], types[1], name, top);
    if (m[2] === undefined) {
      out.set(name, undefined);
      continue;
    }
    if (name !== nested) throw fail('fields', `${name} has no sub-fields`);
    const names = m[2].split(',').map((s) => s.trim()).filter(Boolean);
    for (const n of names) if (!sub.includes(n)) throw nonexistingField(types[2], types[3], n, sub);
    out.set(name, names.length > 0 ? new Set(names) : undefined);
  }
  return out;
}

/** The row's events, in the order they happened. */
function eventsOf(r: Row): { status: Status; at: string }[] {
  return STATUSES.filter((s) => r[`${s}_at`]).map((s) => ({ status: s, at: r[`${s}_at`]! }));
}

function eventBody(r: Row, e: { status: Status; at: string }, want: Set<string> | undefined, timeKeys: readonly string[]) {
  const has = (f: string) => want === undefined || want.has(f);
  const out: Record<string, unknown> = { id: eventId(r.id, e.status) };
  if (has('delivery_status')) out.delivery_status = e.status.toUpperCase();
  for (const k of timeKeys) if (has(k)) out[k] = unix(e.at);
  if (has('error_description') && e.status === 'failed' && r.error_code) out.error_description = `(#${r.error_code}) ${r.error_title ?? 'Message failed to send'}`;
  return out;
}

/** An outbound message of this channel, or undefined (unknown, inbound, or another channel's: one answer). */
async function ownMessage(deps: Deps, channel: ChannelRow, wamid: string): Promise<Row | undefined> {
  return deps.db.kysely.selectFrom('messages').select(COLUMNS).where('id', '=', wamid).where('channel_id', '=', channel.id).where('direction', '=', 'outbound').executeTakeFirst();
}

const HISTORY_KEY = /^\d{4}-\d\d-\d\dT[0-9:.]{1,20}Z\|\S{1,300}$/;

/** GET /message_history: the channel's outbound messages with their delivery status events, Graph-paged. */
export async function listMessageHistory(deps: Deps, channel: ChannelRow, q: HistoryQuery, pageUrl: PageUrl) {
  const want = parseFields(q.fields, ENTRY_FIELDS, EVENT_FIELDS, 'events', ['WhatsAppMessageHistory', 'a message history entry', 'MessageDeliveryStatusEvent', 'a delivery status event']);
  const { limit, after, before } = graphCursorPage(q, { prefix: 'mh', key: HISTORY_KEY, max: MAX_PAGE });
  let rows: Row[];
  let more = false;
  if (q.message_id !== undefined) {
    if (q.message_id === '' || q.message_id.length > 300) throw fail('message_id', 'must be a message id (wamid) this number sent');
    const r = await ownMessage(deps, channel, q.message_id);
    if (!r) throw fail('message_id', 'no message this number sent has this id');
    rows = after !== undefined || before !== undefined ? [] : [r];
  } else {
    let sel = deps.db.kysely.selectFrom('messages').select(COLUMNS).where('channel_id', '=', channel.id).where('direction', '=', 'outbound');
    const cut = (c: string) => c.split('|') as [string, string];
    if (after !== undefined) {
      const [at, id] = cut(after);
      sel = sel.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
    }
    if (before !== undefined) {
      const [at, id] = cut(before);
      sel = sel.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]));
    }
    const dir = before !== undefined ? 'asc' : 'desc';
    rows = await sel.orderBy('created_at', dir).orderBy('id', dir).limit(limit + 1).execute();
    more = rows.length > limit;
    rows = rows.slice(0, limit);
    if (before !== undefined) rows.reverse();
  }
  const data = rows.map((r) => {
    const entry: Record<string, unknown> = { id: historyId(r.id) };
    if (want.has('message_id')) entry.message_id = r.id;
    if (want.has('events')) entry.events = { data: eventsOf(r).map((e) => eventBody(r, e, want.get('events'), ['timestamp'])) };
    return entry;
  });
  if (rows.length === 0) return { data };
  const first = encodeGraphCursor('mh', `${rows[0]!.created_at}|${rows[0]!.id}`);
  const last = encodeGraphCursor('mh', `${rows[rows.length - 1]!.created_at}|${rows[rows.length - 1]!.id}`);
  return { data, paging: graphPaging({ first, last, more, after, before, limit, pageUrl }) };
}

const EVENT_KEY = /^(sent|delivered|read|failed)$/;

/** GET /message_history/{history-id}/events: one entry's delivery status events, Graph-paged. */
export async function listHistoryEvents(deps: Deps, channel: ChannelRow, history: string, q: EventsQuery, pageUrl: PageUrl) {
  const wamid = /^[A-Za-z0-9_-]{1,400}$/.test(history) ? Buffer.from(history, 'base64url').toString() : '';
  const r = wamid.length > 0 ? await ownMessage(deps, channel, wamid) : undefined;
  if (!r || historyId(r.id) !== history) throw graphNodeNotFound('get', history);
  const want = parseFields(q.fields, EDGE_FIELDS, NODE_FIELDS, 'node', ['WhatsAppMessageHistoryEventsEdge', 'a message history events edge', 'WhatsAppBusinessMessageDeliveryStatusOccurrence', 'a delivery status occurrence']);
  if (q.delivery_status !== undefined && q.status_filter !== undefined && q.delivery_status !== q.status_filter) throw fail('status_filter', 'cannot differ from delivery_status: give one of them');
  const filter = q.delivery_status ?? q.status_filter;
  if (filter !== undefined && !(STATUSES as readonly string[]).includes(filter.toLowerCase())) throw fail(q.delivery_status !== undefined ? 'delivery_status' : 'status_filter', `must be one of ${STATUSES.map((s) => s.toUpperCase()).join(', ')}`);
  const { limit, after, before } = graphCursorPage(q, { prefix: 'mhe', key: EVENT_KEY, max: MAX_PAGE });
  const rank = (s: string) => STATUSES.indexOf(s as Status);
  let all = eventsOf(r).filter((e) => filter === undefined || e.status === filter.toLowerCase());
  if (after !== undefined) all = all.filter((e) => rank(e.status) > rank(after));
  if (before !== undefined) all = all.filter((e) => rank(e.status) < rank(before));
  const more = all.length > limit;
  const page = before !== undefined ? all.slice(-limit) : all.slice(0, limit);
  const data = page.map((e) => {
    const edge: Record<string, unknown> = {};
    if (want.has('cursor')) edge.cursor = encodeGraphCursor('mhe', e.status);
    if (want.has('node')) edge.node = eventBody(r, e, want.get('node'), ['occurrence_timestamp', 'status_timestamp']);
    return edge;
  });
  if (page.length === 0) return { data };
  const first = encodeGraphCursor('mhe', page[0]!.status);
  const last = encodeGraphCursor('mhe', page[page.length - 1]!.status);
  return { data, paging: graphPaging({ first, last, more, after, before, limit, pageUrl }) };
}
