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
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
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

function categoryOf(stored: string | null): PricingCategory {
  const c = (stored ?? '').toUpperCase();
  return c === 'MARKETING' || c === 'MARKETING_LITE' || c === 'UTILITY' || c === 'AUTHENTICATION' ? c : 'SERVICE';
}

const UNIT = 10_000;
const unitPrice = (c: PricingCategory) => (c === 'MARKETING_LITE' ? SANDBOX_PRICE_LIST.marketing : SANDBOX_PRICE_LIST[c.toLowerCase() as keyof typeof SANDBOX_PRICE_LIST]);

function periodBounds(key: string, g: Granularity): { start: number; end: number } {
  const [y, m, d] = key.split('-').map(Number) as [number, number, number | undefined];
  const start = g === 'DAY' ? Date.UTC(y, m - 1, d!) : Date.UTC(y, m - 1, 1);
  const end = g === 'DAY' ? Date.UTC(y, m - 1, d! + 1) : Date.UTC(y, m, 1);
  return { start: start / 1000, end: end / 1000 };
}

export async function channelUsage(deps: Deps, scope: { partnerId: string; clientId: string; channelId: string }, query: UsageQueryInput) {
  await getClient(deps, scope.partnerId, scope.clientId);
  const ch = await findChannel(deps, scope.partnerId, scope.channelId);
  if (!ch || ch.client_id !== scope.clientId) throw notFound(`Channel ${scope.channelId} not found for client ${scope.clientId}`);
  const raw = (query.granularity ?? '').trim().toUpperCase() || 'DAILY';
  const g = GRANULARITY[raw];
  if (!g) throw badRequest(`granularity must be DAILY or MONTHLY, got "${(query.granularity ?? '').slice(0, 40)}"`);
  const w = parseUsageQuery({ ...query, granularity: g.internal }, deps.clock.now());

  // ISO text timestamps truncate the same way on both dialects (as services/usage.ts does).
  const period = sql<string>`substr(created_at, 1, ${sql.lit(w.granularity === 'DAY' ? 10 : 7)})`;
  const rows = await deps.db.kysely
    .selectFrom('messages')
    .select([period.as('period'), 'category', (eb) => eb.fn.countAll<number>().as('n')])
    .where('partner_id', '=', scope.partnerId)
    .where('channel_id', '=', scope.channelId)
    .where('direction', '=', 'outbound')
    .where('status', 'in', ['delivered', 'read'])
    .where('created_at', '>=', new Date(w.fromMs).toISOString())
    .where('created_at', '<=', new Date(w.lastMs).toISOString())
    .groupBy([period, 'category'])
    .execute();

  // Two stored categories may map to one pricing category (unknown ones are SERVICE): summed.
  const points = new Map<string, PricingDataPoint>();
  for (const r of rows) {
    const category = categoryOf(r.category);
    const k = `${r.period}|${category}`;
    const { start, end } = periodBounds(r.period, w.granularity);
    const p = points.get(k) ?? {
      start,
      end,
      phone_number: ch.phone_number,
      pricing_type: category === 'SERVICE' ? 'FREE_CUSTOMER_SERVICE' : 'REGULAR',
      pricing_category: category,
      volume: 0,
      cost: 0,
    };
    p.volume += Number(r.n);
    points.set(k, p);
  }
  const data_points = [...points.values()]
    .map((p) => ({ ...p, cost: Math.round(unitPrice(p.pricing_category) * p.volume) / UNIT }))
    .sort((a, b) => a.start - b.start || a.pricing_category.localeCompare(b.pricing_category));
  return { pricing_analytics: { data: [{ data_points }] }, currency: CURRENCY, granularity: g.wire };
}
