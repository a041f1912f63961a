// Meta's WABA analytics fields (the WhatsApp Business Account node's `analytics`,
// `conversation_analytics` and `pricing_analytics`, GET /{version}/{waba-id}?fields=…), counted
// from the stored messages of the key's WABA's numbers (every channel of its WABA, no other).
//
// The window: start(…) and end(…) (Unix seconds, both required as Meta requires them) count the
// messages created from start up to, not including, end; the buckets are UTC half hours, days or
// months (Meta aligns to the WABA's time zone; openwaba stores UTC and says so here). A bucket is
// listed with its own bounds; buckets with nothing in them are left out, as Meta's examples leave
// them out. A window longer than a year (Meta's lookback), or than 90 days in half hours, is a 400.
//
// - analytics: outbound messages WhatsApp took (`sent`: status sent, delivered or read) and those
//   that reached the user (`delivered`: delivered or read). product_types 0 are template
//   (notification) messages, 2 the others (customer support), as Meta numbers them.
// - conversation_analytics: openwaba keeps no conversations, so they are derived: each UTC day on
//   which a number's delivered messages of one category reached one user is one conversation,
//   opened at that day's first such message. This is the GROUP BY approximation of Meta's 24-hour
//   window (a window from the first message would need every message in code); for traffic that
//   stays within a day the counts agree. Cost: the sandbox price of one message of the category
//   per conversation (services/usage.ts); service conversations are FREE_TIER and free.
// - pricing_analytics: the per-message pricing of services/channel-usage.ts (pricingRows), the
//   same computation as the Partner API's …/channels/{id}/info/usage.
import type { Deps } from '../deps.ts';
import { countryOf } from '../network/bsuid.ts';
import { bucketOf, periodExpr, type Bucket } from '../services/analytics-buckets.ts';
import { categoryOf, pricingCost, pricingRows, type PricingCategory } from '../services/channel-usage.ts';
import type { ChannelRow } from '../services/channels.ts';
import { badModifier, enumListModifier, listModifier, onlyModifiers, unixModifier, type ModifiedField } from './graph-field-modifiers.ts';

interface WabaNumber {
  id: string;
  phone_number: string;
  external_id: string;
}
interface Window {
  fromMs: number;
  untilMs: number;
  bucket: Bucket;
  /** The granularity as the answer names it. */
  wire: string;
}

const BUCKET_OF: Record<string, Bucket> = { HALF_HOUR: 'HALF_HOUR', DAY: 'DAY', DAILY: 'DAY', MONTH: 'MONTH', MONTHLY: 'MONTH' };

function windowOf(f: ModifiedField, names: Record<Bucket, string>): Window {
  const start = unixModifier(f, 'start', true);
  const end = unixModifier(f, 'end', true);
  const raw = (f.mods.get('granularity') ?? '').trim().replace(/^["']|["']$/g, '').toUpperCase();
  if (raw === '') throw badModifier(f.name, `granularity(${Object.values(names).join('|')}) is required`);
  const bucket = BUCKET_OF[raw];
  if (!bucket) throw badModifier(f.name, `granularity must be ${Object.values(names).join(', ')}, got "${raw.slice(0, 40)}"`);
  if (start >= end) throw badModifier(f.name, `start (${start}) must be before end (${end})`);
  const maxDays = bucket === 'HALF_HOUR' ? 90 : 366;
  if (end - start > maxDays * 86_400) throw badModifier(f.name, `the window from start to end is longer than ${maxDays} days, the most granularity ${names[bucket]} allows`);
  return { fromMs: start * 1000, untilMs: end * 1000, bucket, wire: names[bucket] };
}

/** The numbers of the key's WABA (its channels), narrowed to phone_numbers(…) when given. */
async function wabaNumbers(deps: Deps, ch: ChannelRow, f: ModifiedField): Promise<{ all: WabaNumber[]; asked: string[] | undefined }> {
  const all = await deps.db.kysely
    .selectFrom('channels')
    .select(['id', 'phone_number', 'external_id'])
    .where('partner_id', '=', ch.partner_id)
    .where('waba_account_id', '=', ch.waba_account_id)
    .orderBy('phone_number')
    .execute();
  const asked = listModifier(f, 'phone_numbers')?.map((p) => p.replace(/[\s+()-]/g, ''));
  // A number of another WABA is not looked at: it matches none of these, so nothing is counted for it.
  return { all: asked ? all.filter((n) => asked.includes(n.phone_number) || asked.includes(n.external_id)) : all, asked };
}

const countryCodes = (f: ModifiedField) => listModifier(f, 'country_codes')?.map((c) => c.toUpperCase());

/** Adds `n` of each metric to the point keyed by `key`, creating it from `base`. */
function add<P extends Record<string, unknown>>(points: Map<string, P>, key: string, base: () => P, metrics: Partial<Record<keyof P, number>>): void {
  const p = points.get(key) ?? base();
  for (const [m, n] of Object.entries(metrics) as [keyof P, number][]) (p as Record<keyof P, number>)[m] = ((p[m] as number | undefined) ?? 0) + n;
  points.set(key, p);
}

/** The points oldest first; within a bucket, in the order of their dimension values (the map's keys). */
const byStart = <P extends { start: number }>(points: Map<string, P>) =>
  [...points].sort(([ka, a], [kb, b]) => a.start - b.start || (ka < kb ? -1 : ka > kb ? 1 : 0)).map(([, p]) => p);

/** `analytics`: messages sent and delivered per bucket. */
export async function messagingAnalytics(deps: Deps, ch: ChannelRow, f: ModifiedField) {
  onlyModifiers(f, ['start', 'end', 'granularity', 'phone_numbers', 'country_codes', 'product_types']);
  const w = windowOf(f, { HALF_HOUR: 'HALF_HOUR', DAY: 'DAY', MONTH: 'MONTH' });
  const { all, asked } = await wabaNumbers(deps, ch, f);
  const countries = countryCodes(f);
  const products = listModifier(f, 'product_types');
  for (const p of products ?? []) if (p !== '0' && p !== '2') throw badModifier(f.name, `product_types: "${p.slice(0, 20)}" is not 0 (notification) or 2 (customer support)`);
  const points = new Map<string, { start: number; end: number; sent: number; delivered: number }>();
  if (all.length > 0) {
    const period = periodExpr(w.bucket);
    let q = deps.db.kysely
      .selectFrom('messages')
      .select([period.as('period'), 'status', 'type', (eb) => eb.fn.countAll<number>().as('n')])
      .where('partner_id', '=', ch.partner_id)
      .where('channel_id', 'in', all.map((n) => n.id))
      .where('direction', '=', 'outbound')
      .where('status', 'in', ['sent', 'delivered', 'read'])
      .where('created_at', '>=', new Date(w.fromMs).toISOString())
      .where('created_at', '<', new Date(w.untilMs).toISOString());
    if (countries) q = q.select('wa_id');
    const rows = await q.groupBy(countries ? [period, 'status', 'type', 'wa_id'] : [period, 'status', 'type']).execute();
    for (const r of rows) {
      if (countries && !countries.includes(countryOf((r as { wa_id?: string }).wa_id ?? ''))) continue;
      if (products && !products.includes(r.type === 'template' ? '0' : '2')) continue;
      const b = bucketOf(r.period, w.bucket);
      const n = Number(r.n);
      add(points, String(b.start), () => ({ ...b, sent: 0, delivered: 0 }), { sent: n, delivered: r.status === 'sent' ? 0 : n });
    }
  }
  return {
    phone_numbers: asked ?? all.map((n) => n.phone_number),
    ...(countries && { country_codes: countries }),
    granularity: w.wire,
    data_points: byStart(points),
  };
}

const METRIC = ['COST', 'CONVERSATION'] as const;
const CONVERSATION_DIMS = ['CONVERSATION_CATEGORY', 'CONVERSATION_TYPE', 'CONVERSATION_DIRECTION', 'COUNTRY', 'PHONE'] as const;
const CONVERSATION_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION', 'SERVICE'] as const;

/** `conversation_analytics`: conversations (see the head of this file) and their cost per bucket and dimension. */
export async function conversationAnalytics(deps: Deps, ch: ChannelRow, f: ModifiedField) {
  onlyModifiers(f, ['start', 'end', 'granularity', 'phone_numbers', 'country_codes', 'metric_types', 'conversation_categories', 'conversation_types', 'conversation_directions', 'dimensions']);
  const w = windowOf(f, { HALF_HOUR: 'HALF_HOUR', DAY: 'DAILY', MONTH: 'MONTHLY' });
  const dims = new Set(enumListModifier(f, 'dimensions', CONVERSATION_DIMS) ?? []);
  const metrics = new Set(enumListModifier(f, 'metric_types', METRIC) ?? METRIC);
  const categories = enumListModifier(f, 'conversation_categories', CONVERSATION_CATEGORIES);
  const types = enumListModifier(f, 'conversation_types', ['REGULAR', 'FREE_TIER', 'FREE_ENTRY_POINT'] as const);
  const directions = enumListModifier(f, 'conversation_directions', ['BUSINESS_INITIATED', 'USER_INITIATED'] as const);
  const countries = countryCodes(f);
  const { all } = await wabaNumbers(deps, ch, f);
  const phoneOf = new Map(all.map((n) => [n.id, n.phone_number]));
  const points = new Map<string, Record<string, unknown> & { start: number }>();
  if (all.length > 0) {
    const day = periodExpr('DAY');
    const rows = await deps.db.kysely
      .selectFrom('messages')
      .select(['channel_id', 'wa_id', 'category', (eb) => eb.fn.min('created_at').as('first')])
      .where('partner_id', '=', ch.partner_id)
      .where('channel_id', 'in', all.map((n) => n.id))
      .where('direction', '=', 'outbound')
      .where('status', 'in', ['delivered', 'read'])
      .where('created_at', '>=', new Date(w.fromMs).toISOString())
      .where('created_at', '<', new Date(w.untilMs).toISOString())
      .groupBy(['channel_id', 'wa_id', 'category', day])
      .execute();
    for (const r of rows) {
      const priced = categoryOf(r.category);
      const category = priced === 'MARKETING_LITE' ? 'MARKETING' : priced;
      const type = category === 'SERVICE' ? 'FREE_TIER' : 'REGULAR';
      const direction = category === 'SERVICE' ? 'USER_INITIATED' : 'BUSINESS_INITIATED';
      const country = countryOf(r.wa_id);
      if (categories && !categories.includes(category)) continue;
      if (types && !types.includes(type)) continue;
      if (directions && !directions.includes(direction)) continue;
      if (countries && !countries.includes(country)) continue;
      const b = bucketOf(String(r.first).slice(0, 16), w.bucket);
      const fields: Record<string, string> = {
        ...(dims.has('PHONE') && { phone_number: phoneOf.get(r.channel_id)! }),
        ...(dims.has('COUNTRY') && { country }),
        ...(dims.has('CONVERSATION_TYPE') && { conversation_type: type }),
        ...(dims.has('CONVERSATION_DIRECTION') && { conversation_direction: direction }),
        ...(dims.has('CONVERSATION_CATEGORY') && { conversation_category: category }),
      };
      const key = `${b.start}|${JSON.stringify(fields)}`;
      add(points, key, () => ({ ...b, ...(metrics.has('CONVERSATION') && { conversation: 0 }), ...fields, ...(metrics.has('COST') && { cost: 0 }) }), {
        ...(metrics.has('CONVERSATION') && { conversation: 1 }),
        ...(metrics.has('COST') && { cost: pricingCost(category as PricingCategory, 1) }),
      });
    }
  }
  const data_points = byStart(points).map((p) => (typeof p.cost === 'number' ? { ...p, cost: Math.round(p.cost * 10_000) / 10_000 } : p));
  return { data: [{ data_points }] };
}

const PRICING_DIMS = ['PRICING_CATEGORY', 'PRICING_TYPE', 'COUNTRY', 'PHONE', 'TIER'] as const;
const PRICING_CATEGORIES = ['MARKETING', 'MARKETING_LITE', 'UTILITY', 'AUTHENTICATION', 'SERVICE'] as const;

/** `pricing_analytics`: priced (delivered) messages and their cost per bucket and dimension. */
export async function pricingAnalytics(deps: Deps, ch: ChannelRow, f: ModifiedField) {
  onlyModifiers(f, ['start', 'end', 'granularity', 'phone_numbers', 'country_codes', 'metric_types', 'pricing_types', 'pricing_categories', 'dimensions', 'tiers']);
  const w = windowOf(f, { HALF_HOUR: 'HALF_HOUR', DAY: 'DAILY', MONTH: 'MONTHLY' });
  // TIER (Meta's volume tier of a price) is accepted and adds nothing: the sandbox price list has one tier.
  const dims = new Set(enumListModifier(f, 'dimensions', PRICING_DIMS) ?? []);
  const metrics = new Set(enumListModifier(f, 'metric_types', ['VOLUME', 'COST'] as const) ?? ['VOLUME', 'COST']);
  const categories = enumListModifier(f, 'pricing_categories', PRICING_CATEGORIES);
  const types = enumListModifier(f, 'pricing_types', ['REGULAR', 'FREE_CUSTOMER_SERVICE', 'FREE_ENTRY_POINT'] as const);
  listModifier(f, 'tiers');
  const countries = countryCodes(f);
  const { all } = await wabaNumbers(deps, ch, f);
  const phoneOf = new Map(all.map((n) => [n.id, n.phone_number]));
  const byRecipient = dims.has('COUNTRY') || countries !== undefined;
  const rows = await pricingRows(deps, { partnerId: ch.partner_id, channelIds: all.map((n) => n.id), fromMs: w.fromMs, untilMs: w.untilMs, bucket: w.bucket, byRecipient });
  const points = new Map<string, Record<string, unknown> & { start: number; volume: number }>();
  for (const r of rows) {
    const country = byRecipient ? countryOf(r.wa_id ?? '') : '';
    if (categories && !categories.includes(r.pricing_category)) continue;
    if (types && !types.includes(r.pricing_type)) continue;
    if (countries && !countries.includes(country)) continue;
    const fields: Record<string, string> = {
      ...(dims.has('PHONE') && { phone_number: phoneOf.get(r.channel_id)! }),
      ...(dims.has('COUNTRY') && { country }),
      ...(dims.has('PRICING_TYPE') && { pricing_type: r.pricing_type }),
      ...(dims.has('PRICING_CATEGORY') && { pricing_category: r.pricing_category }),
    };
    // The cost is summed per category (so that each sum is exact), then per point.
    const key = `${r.start}|${JSON.stringify(fields)}`;
    const p = points.get(key) ?? { start: r.start, end: r.end, ...fields, volume: 0, byCategory: new Map<PricingCategory, number>() };
    p.volume += r.volume;
    const byCategory = p.byCategory as Map<PricingCategory, number>;
    byCategory.set(r.pricing_category, (byCategory.get(r.pricing_category) ?? 0) + r.volume);
    points.set(key, p);
  }
  const data_points = byStart(points).map(({ byCategory, volume, ...p }) => {
    const cost = [...(byCategory as Map<PricingCategory, number>)].reduce((sum, [c, n]) => sum + pricingCost(c, n), 0);
    return { ...p, ...(metrics.has('VOLUME') && { volume }), ...(metrics.has('COST') && { cost: Math.round(cost * 10_000) / 10_000 }) };
  });
  return { data: [{ data_points }] };
}
