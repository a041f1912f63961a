// One channel's pricing analytics (Partner API GET …/clients/{cid}/channels/{chid}/info/usage),
// counted from the stored messages. 360dialog documents the path, its query (start_date and
// end_date as Unix timestamps, granularity) and that it returns "pricing breakdowns for a specific
// phone number … for any messages delivered within a specified date range", "aligned with Meta's
// pricing structure" and "includes MM Lite messaging"; it shows no response body. Our answer is
// therefore Meta's own pricing analytics shape (the WABA's `pricing_analytics` field), which a
// client aligned with Meta's structure reads:
//
//   {"pricing_analytics":{"data":[{"data_points":[{"start":<unix>,"end":<unix>,"phone_number":"…",
//     "pricing_type":"REGULAR"|"FREE_CUSTOMER_SERVICE","pricing_category":"MARKETING"|"MARKETING_LITE"|
//     "UTILITY"|"AUTHENTICATION"|"SERVICE","volume":n,"cost":x}]}]},
//    "currency":"EUR","granularity":"DAILY"|"MONTHLY"}
//
// What counts: the channel's outbound messages that reached the user (status delivered or read;
// the docs say "messages delivered"), in the period of their creation (UTC). Users' messages are
// not priced and not listed (Meta's pricing analytics lists only what the business sent). Data
// points with no messages are left out, as Meta leaves them out. Costs: the sandbox price list
// (services/usage.ts; MM Lite at the marketing price, service free).
import type { Deps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import { bucketOf, periodExpr, type Bucket } from './analytics-buckets.ts';
import { getClient } from './clients.ts';
import { findChannel } from './channels.ts';
import { CURRENCY, parseUsageQuery, SANDBOX_PRICE_LIST, type Granularity, type UsageQueryInput } from './usage.ts';

export type PricingCategory = 'MARKETING' | 'MARKETING_LITE' | 'UTILITY' | 'AUTHENTICATION' | 'SERVICE';
export interface PricingDataPoint {
  start: number;
  end: number;
  phone_number: string;
  pricing_type: 'REGULAR' | 'FREE_CUSTOMER_SERVICE';
  pricing_category: PricingCategory;
  volume: number;
  cost: number;
}

/** Meta's granularity names (DAILY, MONTHLY) and the balance endpoint's (DAY, MONTH), any case. */
const GRANULARITY: Record<string, { internal: Granularity; wire: 'DAILY' | 'MONTHLY' }> = {
  DAILY: { internal: 'DAY', wire: 'DAILY' },
  DAY: { internal: 'DAY', wire: 'DAILY' },
  MONTHLY: { internal: 'MONTH', wire: 'MONTHLY' },
  MONTH: { internal: 'MONTH', wire: 'MONTHLY' },
};

export function categoryOf(stored: string | null): PricingCategory {
  const c = (stored ?? '').toUpperCase();
  return c === 'MARKETING' || c === 'MARKETING_LITE' || c === 'UTILITY' || c === 'AUTHENTICATION' ? c : 'SERVICE';
}

const UNIT = 10_000;
const unitPrice = (c: PricingCategory) => (c === 'MARKETING_LITE' ? SANDBOX_PRICE_LIST.marketing : SANDBOX_PRICE_LIST[c.toLowerCase() as keyof typeof SANDBOX_PRICE_LIST]);

/** What a pricing row is counted over: the channels (all of one partner), from and until (exclusive), in buckets. */
export interface PricingScope {
  partnerId: string;
  channelIds: readonly string[];
  fromMs: number;
  untilMs: number;
  bucket: Bucket;
  /** Group by recipient too (for Meta's COUNTRY dimension). */
  byRecipient?: boolean;
}
export interface PricingRow {
  start: number;
  end: number;
  channel_id: string;
  wa_id?: string;
  pricing_type: PricingDataPoint['pricing_type'];
  pricing_category: PricingCategory;
  volume: number;
}

/**
 * The pricing computation both this endpoint and Graph's pricing_analytics (services/waba-analytics.ts)
 * use: the channels' delivered (or read) outbound messages per bucket and pricing category.
 */
export async function pricingRows(deps: Deps, s: PricingScope): Promise<PricingRow[]> {
  if (s.channelIds.length === 0) return [];
  const period = periodExpr(s.bucket);
  let q = deps.db.kysely
    .selectFrom('messages')
    .select(['channel_id', period.as('period'), 'category', (eb) => eb.fn.countAll<number>().as('n')])
    .where('partner_id', '=', s.partnerId)
    .where('channel_id', 'in', [...s.channelIds])
    .where('direction', '=', 'outbound')
    .where('status', 'in', ['delivered', 'read'])
    .where('created_at', '>=', new Date(s.fromMs).toISOString())
    .where('created_at', '<', new Date(s.untilMs).toISOString());
  if (s.byRecipient) q = q.select('wa_id');
  const rows = await q.groupBy(s.byRecipient ? ['channel_id', 'wa_id', period, 'category'] : ['channel_id', period, 'category']).execute();
  // Two stored categories may map to one pricing category (unknown ones are SERVICE), and two
  // minutes to one half hour: summed.
  const out = new Map<string, PricingRow>();
  for (const r of rows) {
    const category = categoryOf(r.category);
    const { start, end } = bucketOf(r.period, s.bucket);
    const waId = s.byRecipient ? (r as { wa_id?: string }).wa_id : undefined;
    const k = `${r.channel_id}|${waId ?? ''}|${start}|${category}`;
    const p = out.get(k) ?? { start, end, channel_id: r.channel_id, ...(waId !== undefined && { wa_id: waId }), pricing_type: pricingTypeOf(category), pricing_category: category, volume: 0 };
    p.volume += Number(r.n);
    out.set(k, p);
  }
  return [...out.values()];
}

export const pricingTypeOf = (c: PricingCategory): PricingDataPoint['pricing_type'] => (c === 'SERVICE' ? 'FREE_CUSTOMER_SERVICE' : 'REGULAR');
/** The sandbox price of `volume` messages of the category, in CURRENCY. */
export const pricingCost = (c: PricingCategory, volume: number) => Math.round(unitPrice(c) * volume) / UNIT;

export async function channelUsage(deps: Deps, scope: { partnerId: string; clientId: string; channelId: string }, query: UsageQueryInput) {
  await getClient(deps, scope.partnerId, scope.clientId);
  const ch = await findChannel(deps, scope.partnerId, scope.channelId);
  if (!ch || ch.client_id !== scope.clientId) throw notFound(`Channel ${scope.channelId} not found for client ${scope.clientId}`);
  const raw = (query.granularity ?? '').trim().toUpperCase() || 'DAILY';
  const g = GRANULARITY[raw];
  if (!g) throw badRequest(`granularity must be DAILY or MONTHLY, got "${(query.granularity ?? '').slice(0, 40)}"`);
  const w = parseUsageQuery({ ...query, granularity: g.internal }, deps.clock.now());

  const rows = await pricingRows(deps, { partnerId: scope.partnerId, channelIds: [scope.channelId], fromMs: w.fromMs, untilMs: w.lastMs + 1, bucket: w.granularity });
  const data_points = rows
    .map((p): PricingDataPoint => ({ start: p.start, end: p.end, phone_number: ch.phone_number, pricing_type: p.pricing_type, pricing_category: p.pricing_category, volume: p.volume, cost: pricingCost(p.pricing_category, p.volume) }))
    .sort((a, b) => a.start - b.start || a.pricing_category.localeCompare(b.pricing_category));
  return { pricing_analytics: { data: [{ data_points }] }, currency: CURRENCY, granularity: g.wire };
}
