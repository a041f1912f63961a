// Usage statistics of a client (or one of its channels): the `usage` array of the Partner API's
// balance object (GET …/clients/{cid}/info/balance), counted from the stored messages.
//
// What counts: every inbound message (user-initiated) and every outbound message that WhatsApp
// took (status sent, delivered or read — not accepted-only, not failed); outbound messages are
// business-initiated. A message is counted in the period of its created_at (UTC).
// The categories partition the count (inbound messages are `service`), and so do business- and
// user-initiated. Only business-initiated messages of a priced category are paid.
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import { getClient } from './clients.ts';
import { findChannel } from './channels.ts';

export type Granularity = 'DAY' | 'MONTH';
export const CATEGORIES = ['marketing', 'utility', 'authentication', 'service'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * The sandbox price list, in EUR per business-initiated message, kept in ten-thousandths of a
 * euro so that sums stay exact. Illustrative figures of the order of Meta's per-message rates;
 * they are not 360dialog's prices. Service messages (and everything users send) are free.
 * A configurable, per-country price list can replace this table later.
 */
export const SANDBOX_PRICE_LIST: Record<Category, number> = {
  marketing: 600, // 0.0600 EUR
  utility: 200, // 0.0200 EUR
  authentication: 300, // 0.0300 EUR
  service: 0,
};
const UNIT = 10_000;
export const CURRENCY = 'EUR';

/**
 * A stored message's category in the usage statistics. A message sent through the Marketing
 * Messages Lite API is stored as `marketing_lite` (its statuses' pricing.category, as Meta names
 * it: messaging/marketing-messages.ts) and is a marketing message, at the marketing price (Meta:
 * "rates for marketing messages across Cloud API and MM Lite API are consistent").
 */
function categoryOf(stored: string | null): Category {
  const c = (stored ?? '').toLowerCase();
  if (c === 'marketing_lite') return 'marketing';
  return (CATEGORIES as readonly string[]).includes(c) ? (c as Category) : 'service';
}

/** Limits of one request: a year of days, or ten years of months. */
export const MAX_PERIODS: Record<Granularity, number> = { DAY: 366, MONTH: 120 };
/** 9999-12-31T23:59:59Z: the last second an ISO timestamp can name. */
const MAX_UNIX = 253_402_300_799;

export interface UsageQueryInput {
  start_date?: string;
  end_date?: string;
  granularity?: string;
}

export interface UsageWindow {
  granularity: Granularity;
  /** First and last millisecond counted (both inclusive). */
  fromMs: number;
  lastMs: number;
}

function unixSeconds(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const s = raw.trim();
  if (!/^\d{1,16}$/.test(s)) throw badRequest(`${name} must be a Unix timestamp in seconds (e.g. 1696118400), got "${s.slice(0, 40)}"`);
  const n = Number(s);
  if (n > MAX_UNIX) {
    const hint = n <= MAX_UNIX * 1000 ? ' — this looks like milliseconds; send seconds' : '';
    throw badRequest(`${name} must be a Unix timestamp in seconds not after 9999-12-31, got ${s}${hint}`);
  }
  return n;
}

function periodStart(ms: number, g: Granularity): number {
  const d = new Date(ms);
  return g === 'DAY' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextPeriod(ms: number, g: Granularity): number {
  const d = new Date(ms);
  return g === 'DAY' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The starts of every period the window touches, oldest first. */
export function periodsOf(w: UsageWindow): number[] {
  const out: number[] = [];
  for (let p = periodStart(w.fromMs, w.granularity); p <= w.lastMs; p = nextPeriod(p, w.granularity)) out.push(p);
  return out;
}

/** How many periods the window touches, without listing them. */
function periodCount(w: UsageWindow): number {
  const a = new Date(w.fromMs);
  const b = new Date(w.lastMs);
  if (w.granularity === 'MONTH') return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth() + 1;
  return Math.round((periodStart(w.lastMs, 'DAY') - periodStart(w.fromMs, 'DAY')) / 86_400_000) + 1;
}

const periodKey = (ms: number, g: Granularity) => new Date(ms).toISOString().slice(0, g === 'DAY' ? 10 : 7);

/**
 * Parses `start_date`, `end_date` (Unix seconds, both inclusive) and `granularity` (DAY or MONTH,
 * any case; default MONTH). Without end_date: now. Without start_date: the start of the period
 * 29 days (DAY) or 11 months (MONTH) before end_date's period.
 */
export function parseUsageQuery(q: UsageQueryInput, now: Date): UsageWindow {
  const g = (q.granularity ?? '').trim().toUpperCase() || 'MONTH';
  if (g !== 'DAY' && g !== 'MONTH') throw badRequest(`granularity must be DAY or MONTH, got "${(q.granularity ?? '').slice(0, 40)}"`);
  const granularity: Granularity = g;
  const end = unixSeconds(q.end_date, 'end_date');
  const start = unixSeconds(q.start_date, 'start_date');
  const lastMs = end !== undefined ? end * 1000 + 999 : now.getTime();
  let fromMs: number;
  if (start !== undefined) fromMs = start * 1000;
  else {
    const last = new Date(periodStart(lastMs, granularity));
    fromMs =
      granularity === 'DAY'
        ? Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate() - 29)
        : Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - 11, 1);
  }
  if (fromMs > lastMs) {
    throw badRequest(`start_date (${start ?? 'default'}) must not be after end_date (${end ?? 'now'})`);
  }
  const w = { granularity, fromMs: Math.max(0, fromMs), lastMs };
  const n = periodCount(w);
  if (n > MAX_PERIODS[granularity]) {
    throw badRequest(
      `The range from start_date to end_date spans ${n} ${granularity === 'DAY' ? 'days' : 'months'}; at most ${MAX_PERIODS[granularity]} are allowed with granularity ${granularity}`,
    );
  }
  return w;
}

type Triple = { quantity: number; paid_quantity: number; price: number };
type Group = 'business_initiated' | 'user_initiated' | Category;
export type UsagePeriod = {
  period_date: string;
  quantity: number;
  paid_quantity: number;
  free_quantity: number;
  free_tier: number;
  free_entry_point: number;
  total_price: number;
} & { [K in `${Group}_${'quantity' | 'paid_quantity' | 'price'}`]: number };

const price = (units: number) => Math.round(units) / UNIT;

function emptyTriples() {
  const t = (): Triple => ({ quantity: 0, paid_quantity: 0, price: 0 });
  return { business_initiated: t(), user_initiated: t(), marketing: t(), utility: t(), authentication: t(), service: t() };
}

function toWire(periodMs: number, t: ReturnType<typeof emptyTriples>): UsagePeriod {
  const quantity = t.business_initiated.quantity + t.user_initiated.quantity;
  const paid = t.business_initiated.paid_quantity + t.user_initiated.paid_quantity;
  const out: Record<string, string | number> = {
    period_date: new Date(periodMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    quantity,
    paid_quantity: paid,
    free_quantity: quantity - paid,
    // Free because of the category (service) — there is no monthly allowance to use up.
    free_tier: quantity - paid,
    // Free because the conversation came from an ad or a Page button: the sandbox has none.
    free_entry_point: 0,
  };
  let total = 0;
  for (const [name, v] of Object.entries(t)) {
    out[`${name}_quantity`] = v.quantity;
    out[`${name}_paid_quantity`] = v.paid_quantity;
    out[`${name}_price`] = price(v.price);
    if (name === 'business_initiated' || name === 'user_initiated') total += v.price;
  }
  out.total_price = price(total);
  return out as UsagePeriod;
}

export interface UsageScope {
  partnerId: string;
  clientId: string;
  channelId?: string;
}

/**
 * One GROUP BY over the messages of the partner's clients (optionally one channel of theirs) in
 * the window → for each client id asked for, one usage row per period (zeros included).
 */
export async function computeUsageByClient(
  deps: Deps,
  scope: { partnerId: string; clientIds: readonly string[]; channelId?: string },
  w: UsageWindow,
): Promise<Map<string, UsagePeriod[]>> {
  const clientIds = [...new Set(scope.clientIds)];
  const periods = periodsOf(w);
  const byClient = new Map(clientIds.map((id) => [id, new Map(periods.map((p) => [periodKey(p, w.granularity), emptyTriples()]))]));
  if (clientIds.length > 0) {
    // ISO text timestamps truncate the same way on both dialects: 'YYYY-MM-DD' or 'YYYY-MM'.
    // The length is a literal, so the SELECT and GROUP BY expressions are identical for PostgreSQL.
    const period = sql<string>`substr(created_at, 1, ${sql.lit(w.granularity === 'DAY' ? 10 : 7)})`;
    let q = deps.db.kysely
      .selectFrom('messages')
      .select(['client_id', period.as('period'), 'direction', 'category', (eb) => eb.fn.countAll<number>().as('n')])
      .where('partner_id', '=', scope.partnerId)
      .where('client_id', 'in', clientIds)
      .where('created_at', '>=', new Date(w.fromMs).toISOString())
      .where('created_at', '<=', new Date(w.lastMs).toISOString())
      .where((eb) => eb.or([eb('direction', '=', 'inbound'), eb('status', 'in', ['sent', 'delivered', 'read'])]));
    if (scope.channelId) q = q.where('channel_id', '=', scope.channelId);
    const rows = await q.groupBy(['client_id', period, 'direction', 'category']).execute();
    for (const r of rows) {
      const t = byClient.get(r.client_id)?.get(r.period);
      if (!t) continue;
      const n = Number(r.n);
      const cat = categoryOf(r.category);
      const business = r.direction === 'outbound';
      const units = business ? SANDBOX_PRICE_LIST[cat] * n : 0;
      const paid = units > 0 ? n : 0;
      for (const triple of [business ? t.business_initiated : t.user_initiated, t[cat]]) {
        triple.quantity += n;
        triple.paid_quantity += paid;
        triple.price += units;
      }
    }
  }
  return new Map(
    [...byClient].map(([id, byKey]) => [id, periods.map((p) => toWire(p, byKey.get(periodKey(p, w.granularity))!))]),
  );
}

/** The balance object (reference §1.4). Partner-payment: no prepaid balance, so `balance` is 0 (see below). */
export async function clientBalance(deps: Deps, scope: UsageScope, query: UsageQueryInput) {
  await getClient(deps, scope.partnerId, scope.clientId);
  if (scope.channelId) {
    const ch = await findChannel(deps, scope.partnerId, scope.channelId);
    if (!ch || ch.client_id !== scope.clientId) throw notFound(`Channel ${scope.channelId} not found for client ${scope.clientId}`);
  }
  const w = parseUsageQuery(query, deps.clock.now());
  const usage = (await computeUsageByClient(deps, { partnerId: scope.partnerId, clientIds: [scope.clientId], channelId: scope.channelId }, w)).get(scope.clientId)!;
  return {
    // Partner-payment clients have no prepaid balance. The reference allows null, but a widely
    // used .NET client reads a non-nullable decimal: 0 is accepted by every client we know.
    balance: 0,
    currency: CURRENCY,
    last_renewal: null,
    granularity: w.granularity,
    estimated_template_cost: price(SANDBOX_PRICE_LIST.marketing),
    bi_price_for_currency_and_client_country: price(SANDBOX_PRICE_LIST.marketing),
    ui_price_for_currency_and_client_country: price(SANDBOX_PRICE_LIST.service),
    usage,
  };
}
