// 360dialog's template list (GET /v1/configs/templates: `limit`, `offset`, `sort`, `filters` and
// the envelope `{count, filters, limit, offset, sort, total, waba_templates}`) for a number on
// Meta's network, built from Meta's cursor-paged message_templates edge.
//
// Meta neither sorts nor skips by offset, and gives no total, so the WABA's templates are read
// page by page (Meta's own filters narrowing them where one maps one-to-one onto ours, see
// metaQuery), then filtered exactly, sorted and cut here. A WABA holds at most a few thousand
// templates (Meta allows 250 names for most businesses, each in several languages); the reading
// stops after MAX_PAGES pages or READ_BUDGET bytes, and past that `total` counts only what was read.
//
// Reading every page is costly (Graph calls count against the WABA's template-management rate
// limit), so one reading serves many lists: per MetaCloudApi (one per app) and per (Meta WABA,
// what is asked of Meta), one reading is in flight at a time, shared by every list that needs it,
// and its result is kept for CACHE_TTL_MS (the clock's time), whatever offset, limit, sort or local
// filter each list then applies. The channel's credentials are opened once per list, not per page.
//
// The items mirror the local list's (templateToWire) as far as Meta's data goes: id and
// external_id are Meta's template id, partner_id and waba_account_id the channel's, namespace the
// WABA's as openwaba shows it everywhere else (On-Premise sends name it; a send through Meta
// drops it, cloud-body.ts, so any value works). Meta's template objects carry no creation or
// modification time nor who made them: created_at, created_by, modified_at and modified_by are
// left out (absent rather than null, which typed clients take more readily), and a filter on a
// time matches nothing, a sort by one keeps Meta's order.
import type { Deps } from '../../deps.ts';
import type { ListEnvelope, ListQueryInput, ParsedList } from '../../partner-api/list-query.ts';
import { envelope } from '../../partner-api/list-query.ts';
import { parseTemplateListQuery, TEMPLATE_LIST } from '../../messaging/templates/list.ts';
import { normalizeStatus, wabaNamespace } from '../../messaging/templates/store.ts';
import type { ChannelRow } from '../../services/channels.ts';
import type { MetaCredentials } from './channels.ts';
import { withQuery, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { isObj } from '../../messaging/validate/check.ts';
import { badAnswer } from './graph-errors.ts';

const PAGE_SIZE = '250';
const MAX_PAGES = 40;
const FIELDS = 'id,name,language,status,category,components,rejected_reason';
/** One page is read up to this (as templates-proxy.ts's TEMPLATE_LIST_MAX_BYTES). */
const PAGE_MAX_BYTES = 16 * 1024 * 1024;
/**
 * What one reading keeps, all pages together (the JSON size of the templates kept, about what
 * they weigh in memory). Past it the reading stops after the page that crossed it (so at most
 * this plus one page is held) and the list answers what was read, as past MAX_PAGES: a WABA that
 * large still gets a usable list, where a 502 would make it unlistable for good (and each retry
 * would read the 32 MiB again).
 */
const READ_BUDGET = 32 * 1024 * 1024;
/**
 * How long a reading's result answers lists. A template created or deleted through openwaba
 * (createMetaTemplate, deleteMetaTemplate) drops its WABA's readings at once
 * (forgetMetaTemplateLists), and so does Meta's webhook of a template's change (network/meta/
 * inbound.ts); a change made elsewhere that Meta does not report to this instance shows within
 * this time (with several instances, each keeps its own readings).
 */
export const CACHE_TTL_MS = 30_000;
/** Kept readings per app, at most: this many, and this many bytes (READ_BUDGET) in all; the oldest go first. */
const CACHE_MAX_ENTRIES = 64;
const CACHE_MAX_BYTES = 64 * 1024 * 1024;

// Meta's filters of the list that mean exactly what ours do (status after normalizeStatus): only
// these are asked of Meta. PENDING is not (ours also counts Meta's IN_APPEAL), nor any value Meta
// may not know (category TRANSACTIONAL, status "FOO"), which Meta would answer with a 400 where
// the local list answers an empty list: those are filtered here only.
const META_STATUSES = new Set(['APPROVED', 'REJECTED', 'PAUSED', 'DISABLED']);
const META_CATEGORIES = new Set(['AUTHENTICATION', 'MARKETING', 'UTILITY']);
/** A template name as Meta allows one, and a language code as templates have (validate.ts). */
const META_NAME = /^[a-z0-9_]{1,512}$/;
const META_LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/;

export interface MetaTemplateWire {
  id: string;
  partner_id: string;
  waba_account_id: string;
  external_id: string;
  name: string;
  status: string;
  language: string;
  category: string;
  components: unknown[];
  rejected_reason: string;
  namespace: string;
}

/** A template as read from Meta (shared by every list a reading serves: never changed). */
interface MetaTemplate {
  id: string;
  name: string;
  status: string;
  language: string;
  category: string;
  components: unknown[];
  rejected_reason: string;
  /** Its place in Meta's order: what ties keep. */
  pos: number;
}

interface Reading {
  templates: MetaTemplate[];
  /** The JSON size of the templates kept. */
  bytes: number;
}

interface CacheEntry {
  reading: Promise<Reading>;
  /** When the reading finished (clock ms); undefined while it runs. */
  doneAt?: number;
  bytes: number;
}

type Cache = Map<string, CacheEntry>;
/** Per app (its Deps): the template proxies and Meta's webhooks of one app drop the same readings. */
const caches = new WeakMap<Deps, Cache>();

function cacheOf(api: MetaCloudApi): Cache {
  let c = caches.get(api.deps);
  if (!c) caches.set(api.deps, (c = new Map()));
  return c;
}

const keyPrefix = (wabaId: string) => `${wabaId}\n`;

/**
 * Drops the kept readings of a Meta WABA (and makes a reading in flight answer only the lists
 * already waiting for it): its templates changed through openwaba, or Meta reported a change.
 */
export function forgetMetaTemplateLists(deps: Deps, wabaId: string): void {
  const cache = caches.get(deps);
  if (!cache) return;
  for (const key of [...cache.keys()]) if (key.startsWith(keyPrefix(wabaId))) cache.delete(key);
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** A list field's value in an item; undefined for the fields Meta does not give (times). */
function valueOf(t: MetaTemplate, channel: ChannelRow, field: string): string | undefined {
  switch (field) {
    case 'id':
    case 'external_id':
      return t.id;
    case 'business_templates.name':
    case 'name':
      return t.name;
    case 'status':
      // As the local list: 360's in-review words and Meta's IN_APPEAL filter as PENDING.
      return normalizeStatus(t.status);
    case 'partner_id':
      return channel.partner_id;
    case 'waba_account_id':
      return channel.waba_account_id;
    case 'category':
    case 'language':
      return t[field];
    default:
      return undefined;
  }
}

function matches(t: MetaTemplate, channel: ChannelRow, filters: ParsedList['filters']): boolean {
  for (const [field, want] of Object.entries(filters)) {
    const have = valueOf(t, channel, field);
    if (want === null ? have !== undefined && have !== '' : have !== String(want)) return false;
  }
  return true;
}

const DIGITS = /^\d+$/;

/** Two values of a field in order: ids (Meta's, all digits) as numbers, anything else as text. */
function order(field: string, x: string, y: string): number {
  if ((field === 'id' || field === 'external_id') && DIGITS.test(x) && DIGITS.test(y)) {
    const a = x.replace(/^0+(?=\d)/, '');
    const b = y.replace(/^0+(?=\d)/, '');
    if (a.length !== b.length) return a.length < b.length ? -1 : 1;
    if (a !== b) return a < b ? -1 : 1;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

function compare(a: MetaTemplate, b: MetaTemplate, sort: string[], channel: ChannelRow): number {
  for (const s of sort) {
    const desc = s.startsWith('-');
    const field = desc ? s.slice(1) : s;
    const x = valueOf(a, channel, field);
    const y = valueOf(b, channel, field);
    // A time (which Meta does not give) sorts nothing: Meta's order stands.
    if (x === undefined || y === undefined) continue;
    const o = order(field, x, y);
    if (o !== 0) return desc ? -o : o;
  }
  return a.pos - b.pos;
}

/**
 * What is asked of Meta for a list's filters: only the values Meta knows and that mean there what
 * they mean here (the rest are applied here only, as all of them are anyway).
 */
function metaQuery(f: ParsedList['filters']): Record<string, string | undefined> {
  const asString = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const name = asString(f['business_templates.name']) ?? asString(f.name);
  const status = asString(f.status);
  const category = asString(f.category);
  const language = asString(f.language);
  return {
    name: name !== undefined && META_NAME.test(name) ? name : undefined,
    status: status !== undefined && META_STATUSES.has(status) ? status : undefined,
    category: category !== undefined && META_CATEGORIES.has(category) ? category : undefined,
    language: language !== undefined && META_LANGUAGE.test(language) ? language : undefined,
  };
}

export async function listMetaTemplates360(api: MetaCloudApi, channel: ChannelRow, query: ListQueryInput): Promise<ListEnvelope & { waba_templates: MetaTemplateWire[] }> {
  const parsed = parseTemplateListQuery(query, TEMPLATE_LIST);
  const f = parsed.filters;
  const [reading, waba] = await Promise.all([sharedReading(api, channel, metaQuery(f)), wabaNamespace(api.deps, channel.waba_account_id)]);
  const found = reading.templates.filter((t) => matches(t, channel, f)).sort((a, b) => compare(a, b, parsed.sort, channel));
  const items = found.slice(parsed.offset, parsed.offset + parsed.limit).map((t) => toWire(t, channel, waba?.namespace ?? ''));
  return { ...envelope(parsed, found.length, items.length), waba_templates: items };
}

/** The reading of the channel's Meta WABA for this query: a kept one, the one in flight, or a new one. */
async function sharedReading(api: MetaCloudApi, channel: ChannelRow, q: Record<string, string | undefined>): Promise<Reading> {
  const creds = await api.credentials(channel);
  const cache = cacheOf(api);
  const now = api.deps.clock.now().getTime();
  for (const [k, e] of cache) if (e.doneAt !== undefined && (now - e.doneAt >= CACHE_TTL_MS || now < e.doneAt)) cache.delete(k);
  // Per channel too: two tenants' numbers attached to one Meta WABA never share a reading (each is
  // read with its own channel's token, whose permissions may differ).
  const key = keyPrefix(creds.wabaId) + JSON.stringify([channel.id, q.name, q.status, q.category, q.language]);
  const kept = cache.get(key);
  if (kept) return kept.reading;
  const entry: CacheEntry = { reading: readAll(api, creds, q), bytes: 0 };
  cache.set(key, entry);
  entry.reading.then(
    (r) => {
      // Dropped meanwhile (a template created or deleted): answers its waiting lists, is not kept.
      if (cache.get(key) !== entry) return;
      entry.doneAt = api.deps.clock.now().getTime();
      entry.bytes = r.bytes;
      trim(cache);
    },
    () => {
      // A failure answers the lists waiting for it; the next list reads anew.
      if (cache.get(key) === entry) cache.delete(key);
    },
  );
  return entry.reading;
}

/** Drops the oldest finished readings past CACHE_MAX_ENTRIES or CACHE_MAX_BYTES. */
function trim(cache: Cache): void {
  let bytes = 0;
  for (const e of cache.values()) bytes += e.bytes;
  for (const [k, e] of cache) {
    if (cache.size <= CACHE_MAX_ENTRIES && bytes <= CACHE_MAX_BYTES) break;
    if (e.doneAt === undefined) continue;
    cache.delete(k);
    bytes -= e.bytes;
  }
}

/** Meta's pages for the query, read in order, within MAX_PAGES and READ_BUDGET. */
async function readAll(api: MetaCloudApi, creds: MetaCredentials, q: Record<string, string | undefined>): Promise<Reading> {
  const templates: MetaTemplate[] = [];
  let bytes = 0;
  let after: string | undefined;
  for (let page = 1; ; page++) {
    const path = withQuery(`${creds.wabaId}/message_templates`, { ...q, limit: PAGE_SIZE, fields: FIELDS, after });
    const answer: GraphObject = await api.jsonAs(creds, 'GET', path, undefined, { maxBytes: PAGE_MAX_BYTES });
    if (!Array.isArray(answer.data)) throw badAnswer('a template list without data');
    for (const t of answer.data as unknown[]) {
      if (!isObj(t)) continue;
      const m = fromMeta(t, templates.length);
      bytes += JSON.stringify(m).length;
      templates.push(m);
    }
    const paging = isObj(answer.paging) ? answer.paging : {};
    const cursor = isObj(paging.cursors) ? paging.cursors.after : undefined;
    // Meta names a next page only when there is one. Past MAX_PAGES or READ_BUDGET the rest is
    // not read: the list (and its `total`) is then what was read.
    if (typeof paging.next !== 'string' || typeof cursor !== 'string' || cursor === '' || answer.data.length === 0) break;
    if (page >= MAX_PAGES || bytes >= READ_BUDGET) break;
    after = cursor;
  }
  return { templates, bytes };
}

function fromMeta(t: GraphObject, pos: number): MetaTemplate {
  return {
    id: str(t.id),
    name: str(t.name),
    status: str(t.status).toUpperCase(),
    language: str(t.language),
    category: str(t.category).toUpperCase(),
    components: Array.isArray(t.components) ? t.components : [],
    rejected_reason: str(t.rejected_reason) || 'NONE',
    pos,
  };
}

function toWire(t: MetaTemplate, channel: ChannelRow, namespace: string): MetaTemplateWire {
  return {
    id: t.id,
    partner_id: channel.partner_id,
    waba_account_id: channel.waba_account_id,
    external_id: t.id,
    name: t.name,
    status: t.status,
    language: t.language,
    category: t.category,
    components: t.components,
    rejected_reason: t.rejected_reason,
    namespace,
  };
}
