// Meta's Conversions API for Business Messaging (click-to-WhatsApp ads), as a sandbox WABA keeps
// it: one dataset per WABA and the events posted to it. Routes: routes/conversion-events.ts.
//
// What the sources say (Meta's "Conversions API for Business Messaging" guide; Kapso's and AWS End
// User Messaging Social's proxies of it; Zernio's client, whose allowlist says it was checked live
// on Graph v25.0):
//   GET  /{waba-id}/dataset           the WABA's dataset: {"data":[{"id":"<dataset id>"}]} ([] when none)
//   POST /{waba-id}/dataset           creates the WABA's dataset, or returns the one it has: {"id":"<dataset id>"}
//   POST /{dataset-id}/events         {data:[event, …], partner_agent?, test_event_code?}
//                                     → {"events_received":N,"messages":[],"fbtrace_id":"…"}
// An event: event_name, event_time (unix seconds), action_source "business_messaging",
// messaging_channel "whatsapp", user_data {whatsapp_business_account_id, ctwa_clid}, custom_data
// {currency, value} (both required for Purchase), event_id? (deduplication).
//
// Choices no source confirms (said here so they can be changed):
// - Event names: the five Zernio reports Meta accepts with action_source business_messaging
//   (LeadSubmitted, Purchase, AddToCart, InitiateCheckout, ViewContent). Another name answers code
//   100 with error_subcode 2804066, the subcode Zernio reports for "Messaging Event Invalid Event Type".
//   Every other refusal is Graph's plain code 100 "Invalid parameter" naming the field (no subcode:
//   we know of none documented for them).
// - event_time: no more than 7 days old (Meta's Conversions API limit for server events, and the
//   click attribution window) and not in the future (a minute of clock skew is allowed).
// - The batch is all or nothing, as Meta's Conversions API rejects a batch with an invalid event;
//   at most 1000 events a request (Meta's Conversions API batch limit).
// - ctwa_clid is checked for form only (1 to 1000 characters of base64url and '.'): openwaba does
//   not check that it names a click that led to this WABA. whatsapp_business_account_id must name
//   the key's WABA (its Meta-like id or openwaba's id).
// - Fields beyond these are kept as sent (Meta's events carry many optional ones).
import type { Deps } from '../deps.ts';
import { isoNow } from '../clock.ts';
import { safeIntegerDigits16, sortableRecordId } from '../ids.ts';
import { metaError } from './errors.ts';
import { fail, fromJsonText, isObj, num, str, type Obj } from './validate/check.ts';

export const CONVERSION_EVENT_NAMES = ['LeadSubmitted', 'Purchase', 'AddToCart', 'InitiateCheckout', 'ViewContent'] as const;
/** Meta's Conversions API takes up to 1000 events a request. */
export const MAX_EVENTS_PER_REQUEST = 1000;
/** How many events of a dataset the sandbox keeps (the newest). */
export const CONVERSION_EVENTS_KEPT = 200;
const MAX_AGE_SECONDS = 7 * 24 * 3600;
const FUTURE_SKEW_SECONDS = 60;
const CTWA_CLID = /^[A-Za-z0-9_.-]{1,1000}$/;
const CURRENCY = /^[A-Za-z]{3}$/;

export interface ConversionEvent {
  event_name: string;
  event_time: number;
  ctwa_clid: string;
  /** The event as sent (its own fields, checked ones normalised). */
  event: Obj;
}

export interface ConversionBatch {
  events: ConversionEvent[];
  /** Each whatsapp_business_account_id named, with the first event's index naming it (checkEventWabas). */
  wabaIds: Map<string, number>;
  partner_agent?: string;
  test_event_code?: string;
}

function optText(v: unknown, field: string, max: number): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return str(v, field, { max });
}

/** A Graph id given as a string or a JSON number. */
function idText(v: unknown, field: string): string {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return String(v);
  return str(v, field, { max: 64 }).trim();
}

/**
 * POST /{dataset-id}/events' parameters, checked as a whole (all or nothing); `nowSeconds` is the
 * clock's now. The WABA ids the events name are checked after, against the key (checkEventWabas).
 */
export function parseConversionEvents(p: Obj, nowSeconds: number): ConversionBatch {
  const data = fromJsonText(p.data);
  if (data === undefined || data === null || data === '') throw fail('data', 'is required: an array of events');
  if (!Array.isArray(data)) throw fail('data', 'must be an array of events');
  if (data.length === 0) throw fail('data', 'must contain at least one event');
  if (data.length > MAX_EVENTS_PER_REQUEST) throw fail('data', `must contain at most ${MAX_EVENTS_PER_REQUEST} events (got ${data.length})`);
  const wabaIds = new Map<string, number>();
  const events: ConversionEvent[] = [];
  for (let i = 0; i < data.length; i++) {
    const f = `data[${i}]`;
    const e = data[i];
    if (!isObj(e)) throw fail(f, 'must be an object');
    const name = str(e.event_name, `${f}.event_name`, { max: 100 });
    if (!(CONVERSION_EVENT_NAMES as readonly string[]).includes(name)) {
      throw metaError(400, 100, 'Invalid parameter', `${f}.event_name: "${name.slice(0, 100)}" is not an event of business messaging: use one of ${CONVERSION_EVENT_NAMES.join(', ')}`, { subcode: 2804066 });
    }
    const time = num(e.event_time, `${f}.event_time`);
    if (!Number.isInteger(time) || time <= 0) throw fail(`${f}.event_time`, 'must be a unix timestamp in seconds');
    if (time > nowSeconds + FUTURE_SKEW_SECONDS) throw fail(`${f}.event_time`, 'must not be in the future');
    if (time < nowSeconds - MAX_AGE_SECONDS) throw fail(`${f}.event_time`, 'must be within the last 7 days');
    const source = str(e.action_source, `${f}.action_source`, { max: 64 });
    if (source !== 'business_messaging') throw fail(`${f}.action_source`, 'must be "business_messaging"');
    const channel = str(e.messaging_channel, `${f}.messaging_channel`, { max: 64 });
    if (channel !== 'whatsapp') throw fail(`${f}.messaging_channel`, 'must be "whatsapp"');
    if (e.user_data === undefined) throw fail(`${f}.user_data`, 'is required');
    if (!isObj(e.user_data)) throw fail(`${f}.user_data`, 'must be an object');
    const u = e.user_data;
    const waba = idText(u.whatsapp_business_account_id, `${f}.user_data.whatsapp_business_account_id`);
    if (!wabaIds.has(waba)) wabaIds.set(waba, i);
    const clid = str(u.ctwa_clid, `${f}.user_data.ctwa_clid`, { max: 1000 });
    if (!CTWA_CLID.test(clid)) throw fail(`${f}.user_data.ctwa_clid`, "must be the ctwa_clid of the message's referral (letters, digits, '-', '_' and '.')");
    let custom: Obj | undefined;
    if (e.custom_data !== undefined && e.custom_data !== null) {
      if (!isObj(e.custom_data)) throw fail(`${f}.custom_data`, 'must be an object');
      custom = { ...e.custom_data };
      if (custom.currency !== undefined) {
        const c = str(custom.currency, `${f}.custom_data.currency`, { max: 3 });
        if (!CURRENCY.test(c)) throw fail(`${f}.custom_data.currency`, 'must be a 3-letter ISO 4217 currency code, such as "USD"');
        custom.currency = c.toUpperCase();
      }
      if (custom.value !== undefined) custom.value = num(custom.value, `${f}.custom_data.value`, { min: 0 });
    }
    if (name === 'Purchase') {
      if (custom?.currency === undefined) throw fail(`${f}.custom_data.currency`, 'is required for a Purchase event');
      if (custom.value === undefined) throw fail(`${f}.custom_data.value`, 'is required for a Purchase event');
    }
    const eventId = optText(e.event_id, `${f}.event_id`, 400);
    const event: Obj = { ...e, event_name: name, event_time: time, action_source: source, messaging_channel: channel, user_data: { ...u, whatsapp_business_account_id: waba, ctwa_clid: clid } };
    if (custom) event.custom_data = custom;
    if (eventId !== undefined) event.event_id = eventId;
    events.push({ event_name: name, event_time: time, ctwa_clid: clid, event });
  }
  const partner_agent = optText(p.partner_agent, 'partner_agent', 256);
  const test_event_code = optText(p.test_event_code, 'test_event_code', 256);
  return { events, wabaIds, ...(partner_agent !== undefined ? { partner_agent } : {}), ...(test_event_code !== undefined ? { test_event_code } : {}) };
}

/** Refuses a batch whose events name a WABA that is not the dataset's (`isKeysWaba`: the key's WABA). */
export async function checkEventWabas(batch: ConversionBatch, isKeysWaba: (id: string) => Promise<boolean>): Promise<void> {
  for (const [id, i] of batch.wabaIds) {
    if (!(await isKeysWaba(id))) throw fail(`data[${i}].user_data.whatsapp_business_account_id`, "must be the id of the dataset's WhatsApp Business Account");
  }
}

/** The WABA's dataset id, or undefined when it has none. */
export async function datasetOfWaba(deps: Deps, wabaAccountId: string): Promise<string | undefined> {
  const row = await deps.db.kysely.selectFrom('waba_conversion_datasets').select('dataset_id').where('waba_account_id', '=', wabaAccountId).executeTakeFirst();
  return row?.dataset_id;
}

/** The WABA's dataset, made if it has none (two creations at once: one wins, both answer its id). */
export async function ensureDataset(deps: Deps, wabaAccountId: string): Promise<string> {
  const had = await datasetOfWaba(deps, wabaAccountId);
  if (had) return had;
  await deps.db.kysely
    .insertInto('waba_conversion_datasets')
    .values({ waba_account_id: wabaAccountId, dataset_id: safeIntegerDigits16(), created_at: isoNow(deps.clock) })
    .onConflict((oc) => oc.column('waba_account_id').doNothing())
    .execute();
  return (await datasetOfWaba(deps, wabaAccountId))!;
}

/** Stores the batch's events and drops the dataset's oldest beyond CONVERSION_EVENTS_KEPT. */
export async function storeConversionEvents(deps: Deps, datasetId: string, batch: ConversionBatch): Promise<void> {
  const receivedAt = isoNow(deps.clock);
  // The newest CONVERSION_EVENTS_KEPT of a larger batch are all that would survive the trim.
  const kept = batch.events.slice(-CONVERSION_EVENTS_KEPT);
  await deps.db.kysely.transaction().execute(async (tx) => {
    // Posts to one dataset take turns (PostgreSQL: the dataset's row held), so that the trim below
    // keeps the bound however many arrive at once; SQLite's write transactions already take turns.
    if (deps.db.kind === 'postgres') await tx.selectFrom('waba_conversion_datasets').select('dataset_id').where('dataset_id', '=', datasetId).forUpdate().execute();
    await tx
      .insertInto('conversion_events')
      .values(
        kept.map((e) => ({
          id: sortableRecordId('cev'),
          dataset_id: datasetId,
          event_name: e.event_name,
          event_time: e.event_time,
          ctwa_clid: e.ctwa_clid,
          test_event_code: batch.test_event_code ?? null,
          partner_agent: batch.partner_agent ?? null,
          event: JSON.stringify(e.event),
          received_at: receivedAt,
        })),
      )
      .execute();
    const boundary = await tx
      .selectFrom('conversion_events')
      .select('id')
      .where('dataset_id', '=', datasetId)
      .orderBy('id', 'desc')
      .offset(CONVERSION_EVENTS_KEPT - 1)
      .limit(1)
      .executeTakeFirst();
    if (boundary) await tx.deleteFrom('conversion_events').where('dataset_id', '=', datasetId).where('id', '<', boundary.id).execute();
  });
}

export interface StoredConversionEvent {
  id: string;
  received_at: string;
  event_name: string;
  event_time: number;
  ctwa_clid: string;
  test_event_code: string | null;
  partner_agent: string | null;
  event: unknown;
}

/** The dataset's newest events, newest first. */
export async function listConversionEvents(deps: Deps, datasetId: string, limit: number): Promise<StoredConversionEvent[]> {
  const rows = await deps.db.kysely.selectFrom('conversion_events').selectAll().where('dataset_id', '=', datasetId).orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    received_at: r.received_at,
    event_name: r.event_name,
    event_time: Number(r.event_time),
    ctwa_clid: r.ctwa_clid,
    test_event_code: r.test_event_code,
    partner_agent: r.partner_agent,
    event: JSON.parse(r.event) as unknown,
  }));
}
