// 360dialog's multiple webhooks per number (GET/POST/PUT/PATCH /multi_webhook): up to three
// extra destinations besides the main webhook of /v1/configs/webhook, each a case-sensitive name,
// a URL and custom headers, and a switch. What the destinations receive, and when, is
// multi-webhook-delivery.ts; this file is the configuration: its checks and its storage.
//
// Where the reference (§4.1, 360dialog's "Set multiple webhooks" page and its OpenAPI) is unsure,
// the choices made, each the one most clients accept:
// - POST sets the switch and, when `destinations` is given, replaces the list (an empty list
//   clears it); without `destinations` the stored list is kept (`{"enabled":false}` switches the
//   copies off without losing the list, `{"enabled":true}` back on).
// - PUT and PATCH need the switch on ("Multi-webhook must be enabled first via POST"): 409
//   otherwise, as the state, not the body, is what is wrong.
// - PATCH takes the destination's fields at the top level (`{"name","url"?,"headers"?}`) or in a
//   `destinations` list (`{"destinations":[{"name",…}]}`, the shape of POST and PUT): the
//   reference names the fields but not the envelope. url and headers given replace; left out, kept.
// - No DELETE: the reference and the seeds have none; POST with the new list removes one.
// - GET answers `{"enabled":false,"destinations":[]}` for a number never configured (not a 404).
// - Cloud API numbers only (360dialog documents multiple webhooks for Cloud API numbers; an
//   On-Premise number has its own host, where the endpoint does not exist): every method, GET
//   included, answers 400 for a number hosted On-Premise (assertCloudNumber). GET too, so that a
//   client probing for the feature learns the rule at once rather than reading a configuration
//   that could never be changed nor take effect. A list stored while the number was on Cloud is
//   kept, unused (multi-webhook-delivery.ts makes no copies for an On-Premise number).
// - Copies still pending for a destination that is removed (POST with a list without it) or for
//   every destination of a number switched off (POST {"enabled":false}) end at once, as failed
//   (endPendingCopies), rather than being retried until their horizon.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { isoNow } from '../clock.ts';
import { ApiError } from '../errors.ts';
import { recordId } from '../ids.ts';
import type { ReservedHeaderException, WebhookUrlPolicy } from '../services/webhook-target-checks.ts';
import { fail, isObj, str, type Obj } from './validate/check.ts';
import { checkWebhookHeaders, checkWebhookUrl } from './webhook-url-policy.ts';
import { parseStoredHeaders } from '../webhooks/targets.ts';
import { COPIES_GIVEN_UP } from './multi-webhook-delivery.ts';

/** 360dialog: "Each phone number is limited to a maximum of 3 unique webhooks. This limit cannot be increased." */
export const MAX_DESTINATIONS = 3;
const MAX_NAME = 100;
const EXAMPLE = '{"name":"crm","url":"https://example.com/webhook","headers":{"Authorization":"Basic …"}}';

export interface Destination {
  name: string;
  url: string;
  headers: Record<string, string>;
}

export interface MultiWebhookConfig {
  enabled: boolean;
  destinations: Destination[];
}

/** A PATCH of one destination: what is given replaces, what is left out stays. */
export interface DestinationChange {
  name: string;
  url?: string;
  headers?: Record<string, string>;
}

const conflict = (message: string) => new ApiError(409, message);

/**
 * 360dialog: multiple webhooks are a Cloud API feature. A number hosted On-Premise is refused on
 * every method with a 400 in the endpoint's own body (`{"error"}`): the request is one this number
 * cannot make — the rule of 360dialog's own "not available for this number" errors (reference §4.3) —
 * and no change of its list or switch (what a 409 would suggest) makes it possible.
 */
export function assertCloudNumber(channel: Pick<ChannelRow, 'hosting_type'>): void {
  if (channel.hosting_type === 'onpremise') {
    throw new ApiError(400, 'Multiple webhooks are available for Cloud API numbers only; this number is hosted On-Premise: set its one webhook with POST /v1/configs/webhook');
  }
}

function bodyObject(v: unknown, allowed: readonly string[], example: string): Obj {
  if (!isObj(v)) throw fail('body', `must be a JSON object such as ${example}`);
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw fail(k, `is not a known field (allowed: ${allowed.join(', ')})`);
  return v;
}

// A JSON media type as RFC 9110 writes one: `application/json`, case-insensitive, with optional
// parameters (`; charset=utf-8`, a value a token or a quoted string) and optional whitespace.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*"';
// Whitespace has exactly one place to go (after the type, after each ";", after each parameter):
// a pattern where a run of blanks could be split between two places backtracks exponentially on
// a value that fails late (`application/json;` + ` ;` × 24 + a stray character took seconds).
const JSON_MEDIA_TYPE = new RegExp(`^[ \\t]*application/json[ \\t]*(?:;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|${QUOTED})[ \\t]*)?)*$`, 'i');

/**
 * The one reserved header a destination may name: 360dialog's own sample request gives
 * `{"Content-Type": "application/json"}`, which is what every delivery sends anyway, so it is taken
 * (and echoed by GET; deliveries set their own) rather than refused as a header openwaba sets
 * itself. Every check of other headers applies to it too (count, name, value: a string without
 * line breaks, at most 4096 characters), and its value must be application/json, with parameters
 * or not: `application/problem+json` and the like are refused as well, since the copies are sent
 * as application/json whatever is stored. Anything else is the 400 of any refused header.
 */
const JSON_CONTENT_TYPE: ReservedHeaderException = {
  name: 'content-type',
  accepts: (value) => JSON_MEDIA_TYPE.test(value),
  rule: '; only application/json (optionally with parameters such as "; charset=utf-8"), which every delivery sends, is accepted',
};

/** A destination's headers, by the checks of the main webhook's headers (with JSON_CONTENT_TYPE accepted). */
function destinationHeaders(v: unknown, policy: WebhookUrlPolicy, field: string): Record<string, string> {
  return checkWebhookHeaders(v, policy, field, JSON_CONTENT_TYPE);
}

/** One destination of a request body; `partial` (PATCH): url and headers may be left out. */
function destination(v: unknown, prefix: string, policy: WebhookUrlPolicy, partial: boolean): DestinationChange {
  const where = prefix.replace(/\.$/, '') || 'body';
  if (!isObj(v)) throw fail(where, `must be an object such as ${EXAMPLE}`);
  for (const k of Object.keys(v)) if (!['name', 'url', 'headers'].includes(k)) throw fail(`${prefix}${k}`, 'is not a known field (allowed: name, url, headers)');
  const name = str(v.name, `${prefix}name`, { max: MAX_NAME });
  const out: DestinationChange = { name };
  if (v.url !== undefined || !partial) {
    if (typeof v.url !== 'string') throw fail(`${prefix}url`, v.url === undefined || v.url === null ? 'is required' : 'must be a string');
    out.url = checkWebhookUrl(v.url, policy, `${prefix}url`);
  }
  if (v.headers !== undefined) out.headers = destinationHeaders(v.headers, policy, `${prefix}headers`);
  else if (!partial) out.headers = {};
  if (partial && out.url === undefined && out.headers === undefined) throw fail(`${prefix}url`, 'or headers is required: PATCH changes the url and/or the headers of the destination named by name');
  return out;
}

/** A `destinations` list of a body: an array of at most MAX_DESTINATIONS, names unique within it. */
function destinationList(v: unknown, policy: WebhookUrlPolicy, opts: { partial: boolean; min: number }): DestinationChange[] {
  if (v === undefined || v === null) throw fail('destinations', `is required: a list such as [${EXAMPLE}]`);
  if (!Array.isArray(v)) throw fail('destinations', `must be an array such as [${EXAMPLE}]`);
  if (v.length < opts.min) throw fail('destinations', 'must name at least one destination');
  if (v.length > MAX_DESTINATIONS) throw fail('destinations', `at most ${MAX_DESTINATIONS} destinations per number (got ${v.length})`);
  const list = v.map((d, i) => destination(d, `destinations[${i}].`, policy, opts.partial));
  const seen = new Set<string>();
  list.forEach((d, i) => {
    if (seen.has(d.name)) throw fail(`destinations[${i}].name`, `"${d.name}" is given twice; names are unique per number (case-sensitive)`);
    seen.add(d.name);
  });
  return list;
}

/** POST: `{"enabled": bool, "destinations"?: [...]}`. */
export function parseSetBody(v: unknown, policy: WebhookUrlPolicy): { enabled: boolean; destinations?: Destination[] } {
  const b = bodyObject(v, ['enabled', 'destinations'], `{"enabled":true,"destinations":[${EXAMPLE}]}`);
  if (b.enabled === undefined || b.enabled === null) throw fail('enabled', 'is required: true sends copies to the destinations, false stops them');
  if (typeof b.enabled !== 'boolean') throw fail('enabled', 'must be true or false');
  if (b.destinations === undefined) return { enabled: b.enabled };
  return { enabled: b.enabled, destinations: destinationList(b.destinations, policy, { partial: false, min: 0 }) as Destination[] };
}

/** PUT: `{"destinations": [...]}` (an `"enabled": true` beside it, as in POST's shape, is taken and changes nothing). */
export function parseAppendBody(v: unknown, policy: WebhookUrlPolicy): Destination[] {
  const b = bodyObject(v, ['destinations', 'enabled'], `{"destinations":[${EXAMPLE}]}`);
  if (b.enabled !== undefined && b.enabled !== true) throw fail('enabled', 'PUT adds destinations; switch the copies off with POST {"enabled":false}');
  return destinationList(b.destinations, policy, { partial: false, min: 1 }) as Destination[];
}

/** PATCH: `{"name", "url"?, "headers"?}` or `{"destinations": [{"name", "url"?, "headers"?}, …]}`. */
export function parsePatchBody(v: unknown, policy: WebhookUrlPolicy): DestinationChange[] {
  if (isObj(v) && 'destinations' in v) {
    bodyObject(v, ['destinations'], `{"destinations":[${EXAMPLE}]}`);
    return destinationList(v.destinations, policy, { partial: true, min: 1 });
  }
  bodyObject(v, ['name', 'url', 'headers'], '{"name":"crm","url":"https://example.com/new-webhook"}');
  return [destination(v, '', policy, true)];
}


const headersJson = (h: Record<string, string>) => (Object.keys(h).length > 0 ? JSON.stringify(h) : null);

export async function readMultiWebhook(deps: Deps, channelId: string): Promise<MultiWebhookConfig> {
  const db = deps.db.kysely;
  const [sw, rows] = await Promise.all([
    db.selectFrom('channel_multi_webhooks').select('enabled').where('channel_id', '=', channelId).executeTakeFirst(),
    db.selectFrom('channel_webhook_destinations').select(['name', 'url', 'headers']).where('channel_id', '=', channelId).orderBy('position').execute(),
  ]);
  return { enabled: sw?.enabled === 1, destinations: rows.map((r) => ({ name: r.name, url: r.url, headers: parseStoredHeaders(r.headers) })) };
}

/**
 * The number's switch, read in a change's transaction after writing its row: on PostgreSQL the
 * write locks the row until commit, so two changes of one number's list run one after the other
 * (two PUTs cannot together go past three); SQLite's write transactions are one at a time anyway.
 */
async function lockSwitch(tx: Transaction<Database>, channelId: string, now: string): Promise<boolean> {
  const row = await tx.updateTable('channel_multi_webhooks').set({ modified_at: now }).where('channel_id', '=', channelId).returning('enabled').executeTakeFirst();
  return row?.enabled === 1;
}

const notEnabled = () => conflict('Multiple webhooks are not enabled for this number: enable them first with POST /multi_webhook {"enabled":true}');

/** POST: sets the switch and, when given, replaces the list. A destination that keeps its name keeps its id. */
export async function setMultiWebhook(deps: Deps, channelId: string, input: { enabled: boolean; destinations?: Destination[] }): Promise<number> {
  return deps.db.kysely.transaction().execute(async (tx) => {
    const now = isoNow(deps.clock);
    const enabled = input.enabled ? 1 : 0;
    await tx
      .insertInto('channel_multi_webhooks')
      .values({ channel_id: channelId, enabled, created_at: now, modified_at: now })
      .onConflict((oc) => oc.column('channel_id').doUpdateSet({ enabled, modified_at: now }))
      .execute();
    const existing = await tx.selectFrom('channel_webhook_destinations').select(['id', 'name']).where('channel_id', '=', channelId).execute();
    // Switched off: the copies made and not yet delivered end now (the list is kept).
    if (!input.enabled) await endPendingCopies(deps, tx, existing.map((r) => r.id), COPIES_GIVEN_UP.disabled, now);
    if (!input.destinations) return existing.length;
    const list = input.destinations;
    const idOf = new Map(existing.map((r) => [r.name, r.id]));
    const kept = new Set(list.map((d) => d.name));
    const gone = existing.filter((r) => !kept.has(r.name)).map((r) => r.id);
    if (gone.length > 0) {
      await tx.deleteFrom('channel_webhook_destinations').where('id', 'in', gone).execute();
      // Removed: its copies end now. A destination added again under the same name is a new one
      // (a new id), so it does not bring them back (see COPIES_GIVEN_UP).
      if (input.enabled) await endPendingCopies(deps, tx, gone, COPIES_GIVEN_UP.removed, now);
    }
    for (const [position, d] of list.entries()) {
      const id = idOf.get(d.name);
      if (id) {
        await tx.updateTable('channel_webhook_destinations').set({ url: d.url, headers: headersJson(d.headers), position, modified_at: now }).where('id', '=', id).execute();
      } else {
        await insertDestination(tx, channelId, d, position, now);
      }
    }
    return list.length;
  });
}

/**
 * Ends the copies of these destinations that are still to be delivered: failed now, with the
 * reason as their last error (no attempt is written: none was made). Also those being delivered
 * right now (`delivering`, leased by a PostgreSQL instance; on SQLite claims are not written, so
 * they are `pending`): their outcome, fenced by the status, is then not written over this one —
 * the attempt itself stays in the log. A copy written concurrently (a main webhook's delivery
 * recorded in a transaction that still saw the destination) is ended by the dispatcher when it
 * comes due (multi-webhook-delivery.ts destinationTarget).
 *
 * On SQLite the statement walks the partial index of undelivered events (webhook_events_due,
 * which holds target_id), not the index by target, which would read every copy the destination
 * ever had (a month of them, kept for the log) with the database's write lock held: the statuses
 * are literals, as in the claims, so that the partial index applies, and `+target_id` keeps the
 * planner off the other index. PostgreSQL's planner chooses by its statistics.
 */
async function endPendingCopies(deps: Deps, tx: Transaction<Database>, destinationIds: string[], reason: string, now: string): Promise<void> {
  if (destinationIds.length === 0) return;
  const target = deps.db.kind === 'sqlite' ? sql`+target_id` : sql`target_id`;
  await tx
    .updateTable('webhook_events')
    .set({ status: 'failed', failed_at: now, lease_owner: null, last_error: reason })
    .where(sql<boolean>`status in ('pending', 'delivering')`)
    .where(sql<boolean>`${target} in (${sql.join(destinationIds)})`)
    .where('target_type', '=', 'channel_destination')
    .execute();
}

/** A new destination row (its own id: pending copies point at it, and follow it through renames of its URL). */
function insertDestination(tx: Transaction<Database>, channelId: string, d: Destination, position: number, now: string) {
  return tx
    .insertInto('channel_webhook_destinations')
    .values({ id: recordId('mwh'), channel_id: channelId, name: d.name, url: d.url, headers: headersJson(d.headers), position, created_at: now, modified_at: now })
    .execute();
}

/** PUT: appends; 409 when not enabled, for a name already there, or past MAX_DESTINATIONS. Returns how many there are now. */
export async function appendDestinations(deps: Deps, channelId: string, list: Destination[]): Promise<number> {
  return deps.db.kysely.transaction().execute(async (tx) => {
    const now = isoNow(deps.clock);
    if (!(await lockSwitch(tx, channelId, now))) throw notEnabled();
    const existing = await tx.selectFrom('channel_webhook_destinations').select(['name', 'position']).where('channel_id', '=', channelId).execute();
    const names = new Set(existing.map((r) => r.name));
    for (const d of list) if (names.has(d.name)) throw conflict(`A destination named "${d.name}" already exists on this number; change it with PATCH /multi_webhook`);
    const total = existing.length + list.length;
    if (total > MAX_DESTINATIONS) {
      throw conflict(`This number has ${existing.length} of at most ${MAX_DESTINATIONS} destinations; ${list.length} more would make ${total}`);
    }
    let position = existing.reduce((max, r) => Math.max(max, r.position), -1);
    for (const d of list) {
      position++;
      await insertDestination(tx, channelId, d, position, now);
    }
    return total;
  });
}

/** PATCH: changes the url and/or headers of destinations found by name; 409 when not enabled, 404 for a name not there (nothing changed). */
export async function updateDestinations(deps: Deps, channelId: string, changes: DestinationChange[]): Promise<void> {
  await deps.db.kysely.transaction().execute(async (tx) => {
    const now = isoNow(deps.clock);
    if (!(await lockSwitch(tx, channelId, now))) throw notEnabled();
    const rows = await tx.selectFrom('channel_webhook_destinations').select(['id', 'name']).where('channel_id', '=', channelId).execute();
    const idOf = new Map(rows.map((r) => [r.name, r.id]));
    for (const c of changes) {
      if (!idOf.has(c.name)) {
        const known = rows.map((r) => `"${r.name}"`).join(', ');
        throw new ApiError(404, `No destination named "${c.name}" on this number (names are case-sensitive; ${known ? `there are ${known}` : 'there are none'})`);
      }
    }
    for (const c of changes) {
      await tx
        .updateTable('channel_webhook_destinations')
        .set({ ...(c.url !== undefined ? { url: c.url } : {}), ...(c.headers !== undefined ? { headers: headersJson(c.headers) } : {}), modified_at: now })
        .where('id', '=', idOf.get(c.name)!)
        .execute();
    }
  });
}
