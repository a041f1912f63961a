// Template lists. The 360 list (GET /v1/configs/templates and the Partner API's waba_templates)
// uses the one Partner API list implementation; Meta's list (GET /message_templates) pages with
// opaque before/after cursors over (name, language), unique within a WABA.
import { sql } from 'kysely';
import type { Deps } from '../../deps.ts';
import {
  applyFilters,
  applyOrderAndPage,
  envelope,
  parseListQuery,
  type ListEnvelope,
  type ListQueryInput,
  type ListSpec,
  type ParsedList,
} from '../../partner-api/list-query.ts';
import { invalidParameter } from '../errors.ts';
import { findTemplateById, normalizeStatus, templateToMeta, templateToWire, wabaNamespace, type TemplateRow, type TemplateWire } from './store.ts';

const s = (column: string) => ({ column: `templates.${column}`, type: 'string' as const });
export const TEMPLATE_LIST: ListSpec = {
  collection: 'waba_templates',
  // No prototype: `sort=constructor` or `filters={"toString":…}` must be an unknown field (a 400),
  // not Object's own property (which reached the SQL builder as a column and answered 500).
  fields: Object.assign(Object.create(null) as ListSpec['fields'], {
    id: s('id'),
    external_id: s('id'),
    partner_id: s('partner_id'),
    waba_account_id: s('waba_account_id'),
    'business_templates.name': s('name'),
    name: s('name'),
    status: s('status'),
    category: s('category'),
    language: s('language'),
    created_at: { column: 'templates.created_at', type: 'time' },
    modified_at: { column: 'templates.modified_at', type: 'time' },
  }),
  tieBreaker: 'templates.id',
  defaultSort: ['business_templates.name'],
  // 360dialog's template list answers `limit: 50` when none was asked for.
  defaultLimit: 50,
  maxLimit: 1000,
};

export type TemplateList = ListEnvelope & { waba_templates: TemplateWire[] };

/** Status and category filters take either casing (and 360's status words). */
export function parseTemplateListQuery(query: ListQueryInput, spec: ListSpec): ParsedList {
  const parsed = parseListQuery(query, spec);
  for (const k of ['status', 'category'] as const) {
    const v = parsed.filters[k];
    if (typeof v === 'string') parsed.filters[k] = k === 'status' ? normalizeStatus(v) : v.toUpperCase();
  }
  return parsed;
}

/** One WABA's templates, 360 format. */
export async function listTemplates(deps: Deps, wabaAccountId: string, query: ListQueryInput): Promise<TemplateList> {
  const parsed = parseTemplateListQuery(query, TEMPLATE_LIST);
  const base = deps.db.kysely.selectFrom('templates').where('templates.waba_account_id', '=', wabaAccountId);
  const filtered = applyFilters(base, parsed, TEMPLATE_LIST);
  const [rows, total, waba] = await Promise.all([
    applyOrderAndPage(filtered.selectAll('templates'), parsed, TEMPLATE_LIST).execute(),
    filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    wabaNamespace(deps, wabaAccountId),
  ]);
  const items = rows.map((r) => templateToWire(r, waba?.namespace ?? ''));
  return { ...envelope(parsed, Number(total.n), items.length), waba_templates: items };
}

/**
 * A partner's templates across all its WABAs (the Partner Hub's list): the same fields, filters
 * and sorts as one WABA's list, plus `q`, a case-insensitive part of the name. Newest first by
 * default, which the (partner_id, created_at) index serves.
 */
export const PARTNER_TEMPLATE_LIST: ListSpec = { ...TEMPLATE_LIST, search: ['templates.name'], defaultSort: ['-created_at'], defaultLimit: 25 };

export async function listPartnerTemplates(deps: Deps, partnerId: string, query: ListQueryInput): Promise<TemplateList> {
  const parsed = parseTemplateListQuery(query, PARTNER_TEMPLATE_LIST);
  // Each row's namespace is its own WABA's: joined by primary key rather than read per WABA.
  const base = deps.db.kysely
    .selectFrom('templates')
    .innerJoin('waba_accounts', 'waba_accounts.id', 'templates.waba_account_id')
    .where('templates.partner_id', '=', partnerId);
  const filtered = applyFilters(base, parsed, PARTNER_TEMPLATE_LIST);
  const [rows, total] = await Promise.all([
    applyOrderAndPage(filtered.selectAll('templates').select('waba_accounts.namespace as waba_namespace'), parsed, PARTNER_TEMPLATE_LIST).execute(),
    filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const items = rows.map((r) => templateToWire(r, r.waba_namespace));
  return { ...envelope(parsed, Number(total.n), items.length), waba_templates: items };
}

// ---- Meta's list ----

export const META_FIELDS = ['id', 'name', 'language', 'status', 'category', 'parameter_format', 'components', 'rejected_reason', 'library_template_name'] as const;
// library_template_name: shown (by Meta too) only on a template made from the template library.
const META_DEFAULT_FIELDS = ['id', 'name', 'language', 'status', 'category', 'parameter_format', 'components', 'library_template_name'];

export interface MetaListQuery {
  limit?: string;
  after?: string;
  before?: string;
  fields?: string;
  name?: string;
  status?: string;
  category?: string;
  language?: string;
  /** Graph's `summary`: total_count (or true), message_template_count; comma-separated. */
  summary?: string;
}

const encodeCursor = (name: string, language: string) => Buffer.from(JSON.stringify([name, language])).toString('base64url');

function decodeCursor(raw: string, param: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && !`${v[0]}${v[1]}`.includes('\u0000')) return [v[0], v[1]];
  } catch {
    /* below */
  }
  throw invalidParameter(`${param}: not a cursor from this API (use paging.cursors.${param} of a previous page)`);
}

function metaLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 25;
  if (!/^\d+$/.test(raw)) throw invalidParameter(`limit must be a positive integer, got "${raw.slice(0, 20)}"`);
  return Math.min(Math.max(Number(raw), 1), 1000);
}

/** The fields of Meta's template object asked for (`fields=`), or the list's defaults; `id` first. */
export function metaFields(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return META_DEFAULT_FIELDS;
  const asked = raw.split(',').map((f) => f.trim()).filter(Boolean);
  for (const f of asked) {
    if (!(META_FIELDS as readonly string[]).includes(f)) throw invalidParameter(`Tried accessing nonexisting field (${f.slice(0, 50)}) on node type (WhatsAppBusinessHSM); fields: ${META_FIELDS.join(', ')}`);
  }
  return ['id', ...asked.filter((f) => f !== 'id')];
}

/** One template as Meta's list shows it (and GET /message_templates/{id}), with these fields (metaFields()). */
export function metaTemplateItem(r: TemplateRow, fields: readonly string[]): Record<string, unknown> {
  const full = templateToMeta(r) as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => full[f] !== undefined).map((f) => [f, full[f]]));
}

/** GET /message_templates: `{data, paging:{cursors:{before,after}, next?, previous?}}`, ordered by name then language. */
export async function listTemplatesMeta(deps: Deps, wabaAccountId: string, q: MetaListQuery, pageUrl: (params: Record<string, string>) => string) {
  for (const [k, v] of Object.entries(q)) {
    // PostgreSQL text cannot hold NUL: refuse it on both databases alike.
    if (typeof v === 'string' && v.includes('\u0000')) throw invalidParameter(`${k} must not contain NUL characters`);
  }
  const limit = metaLimit(q.limit);
  const fields = metaFields(q.fields);
  if (q.after && q.before) throw invalidParameter('send either after or before, not both');
  let base = deps.db.kysely.selectFrom('templates').selectAll().where('waba_account_id', '=', wabaAccountId);
  // Meta matches `name` as a part of the template name.
  if (q.name) {
    const needle = `%${q.name.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    base = base.where(sql<boolean>`lower(name) like ${needle} escape '\\'`);
  }
  if (q.status) base = base.where('status', '=', normalizeStatus(q.status));
  if (q.category) base = base.where('category', '=', q.category.toUpperCase());
  if (q.language) base = base.where('language', '=', q.language);
  const backwards = q.before !== undefined && q.before !== '';
  let page = base;
  if (q.after) {
    const [n, l] = decodeCursor(q.after, 'after');
    page = page.where((eb) => eb.or([eb('name', '>', n), eb.and([eb('name', '=', n), eb('language', '>', l)])]));
  } else if (backwards) {
    const [n, l] = decodeCursor(q.before!, 'before');
    page = page.where((eb) => eb.or([eb('name', '<', n), eb.and([eb('name', '=', n), eb('language', '<', l)])]));
  }
  const dir = backwards ? 'desc' : 'asc';
  const rows = await page.orderBy('name', dir).orderBy('language', dir).limit(limit + 1).execute();
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  if (backwards) items.reverse();
  const data = items.map((r) => metaTemplateItem(r, fields));
  const first = items[0];
  const last = items.at(-1);
  const paging: Record<string, unknown> = {};
  if (first && last) {
    const before = encodeCursor(first.name, first.language);
    const after = encodeCursor(last.name, last.language);
    paging.cursors = { before, after };
    const common: Record<string, string> = { limit: String(limit), ...(q.fields ? { fields: q.fields } : {}), ...(q.name ? { name: q.name } : {}), ...(q.status ? { status: q.status } : {}), ...(q.category ? { category: q.category } : {}), ...(q.language ? { language: q.language } : {}) };
    // Forwards: more after this page when we read one extra row; earlier pages exist when we came by a cursor.
    const hasNext = backwards ? true : more;
    const hasPrevious = backwards ? more : Boolean(q.after);
    if (hasNext) paging.next = pageUrl({ ...common, after });
    if (hasPrevious) paging.previous = pageUrl({ ...common, before });
  }
  const asked = summaryAsked(q.summary);
  if (!asked) return { data, paging };
  const summary: Record<string, number> = {};
  if (asked.total) summary.total_count = Number((await base.clearSelect().select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  if (asked.all) {
    const all = deps.db.kysely.selectFrom('templates').where('waba_account_id', '=', wabaAccountId);
    summary.message_template_count = Number((await all.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  }
  return { data, paging, summary };
}

/**
 * Graph's `summary` of the message_templates edge (Meta's reference documents total_count,
 * message_template_count, message_template_limit and are_translations_complete): `total_count`
 * counts the templates matching the list's filters, all pages together (Graph's total_count of an
 * edge); `summary=true` (or 1) asks for it. `message_template_count` is every template of the
 * WABA. The limit and translation status are Meta's account facts, which openwaba does not model,
 * so those names (and unknown ones) are left out rather than refused: clients ask for them in one
 * list with total_count. Undefined when no summary openwaba gives was asked for.
 */
function summaryAsked(raw: string | undefined): { total: boolean; all: boolean } | undefined {
  if (raw === undefined) return undefined;
  const asked = new Set(raw.split(',').map((f) => f.trim().toLowerCase()));
  const total = asked.has('total_count') || asked.has('true') || asked.has('1');
  const all = asked.has('message_template_count');
  return total || all ? { total, all } : undefined;
}

/** One template of the WABA as Meta's template node (GET /{template-id}), or undefined when the WABA has no template of that id. */
export async function templateNode(deps: Deps, wabaAccountId: string, id: string, fields: string | undefined): Promise<Record<string, unknown> | undefined> {
  const asked = metaFields(fields);
  const row = await findTemplateById(deps, wabaAccountId, id);
  return row && metaTemplateItem(row, asked);
}
