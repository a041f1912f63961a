// 360dialog's template list (GET /v1/configs/templates: `limit`, `offset`, `sort`, `filters` and
// the envelope `{count, filters, limit, offset, sort, total, waba_templates}`) for a number on
// Meta's network, built from Meta's cursor-paged message_templates edge.
//
// Meta neither sorts nor skips by offset, and gives no total, so the WABA's templates are read
// page by page (Meta's own filters narrowing them where it has them: name, status, category,
// language), then filtered exactly, sorted and cut here. A WABA holds at most a few thousand
// templates (Meta allows 250 names for most businesses, each in several languages); the reading
// stops after MAX_PAGES pages, and past that `total` counts only what was read.
//
// The items mirror the local list's (templateToWire) as far as Meta's data goes: id and
// external_id are Meta's template id, partner_id and waba_account_id the channel's, namespace the
// WABA's as openwaba shows it everywhere else (On-Premise sends name it; a send through Meta
// drops it, cloud-body.ts, so any value works). Meta's template objects carry no creation or
// modification time nor who made them: created_at, created_by, modified_at and modified_by are
// left out (absent rather than null, which typed clients take more readily), and a filter on a
// time matches nothing, a sort by one keeps Meta's order.
import type { ListEnvelope, ListQueryInput, ParsedList } from '../../partner-api/list-query.ts';
import { envelope } from '../../partner-api/list-query.ts';
import { parseTemplateListQuery, TEMPLATE_LIST } from '../../messaging/templates/list.ts';
import { normalizeStatus, wabaNamespace } from '../../messaging/templates/store.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { isObj, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { badAnswer } from './graph-errors.ts';
import { metaTemplatePage } from './templates-proxy.ts';

const PAGE_SIZE = '250';
const MAX_PAGES = 40;
const FIELDS = 'id,name,language,status,category,components,rejected_reason';

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

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** A list field's value in an item; undefined for the fields Meta does not give (times). */
function valueOf(t: MetaTemplateWire, field: string): string | undefined {
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
    case 'waba_account_id':
    case 'category':
    case 'language':
      return t[field];
    default:
      return undefined;
  }
}

function matches(t: MetaTemplateWire, filters: ParsedList['filters']): boolean {
  for (const [field, want] of Object.entries(filters)) {
    const have = valueOf(t, field);
    if (want === null ? have !== undefined && have !== '' : have !== String(want)) return false;
  }
  return true;
}

function compare(a: MetaTemplateWire, b: MetaTemplateWire, sort: string[]): number {
  for (const s of sort) {
    const desc = s.startsWith('-');
    const field = desc ? s.slice(1) : s;
    const x = valueOf(a, field);
    const y = valueOf(b, field);
    if (x === undefined || y === undefined || x === y) continue;
    return (x < y ? -1 : 1) * (desc ? -1 : 1);
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export async function listMetaTemplates360(api: MetaCloudApi, channel: ChannelRow, query: ListQueryInput): Promise<ListEnvelope & { waba_templates: MetaTemplateWire[] }> {
  const parsed = parseTemplateListQuery(query, TEMPLATE_LIST);
  const f = parsed.filters;
  const asString = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const metaFilters = {
    name: asString(f['business_templates.name']) ?? asString(f.name),
    status: asString(f.status),
    category: asString(f.category),
    language: asString(f.language),
  };
  const namespace = (await wabaNamespace(api.deps, channel.waba_account_id))?.namespace ?? '';
  const all: MetaTemplateWire[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await metaTemplatePage(api, channel, { ...metaFilters, limit: PAGE_SIZE, fields: FIELDS, after });
    if (!Array.isArray(answer.data)) throw badAnswer('a template list without data');
    for (const t of answer.data as unknown[]) if (isObj(t)) all.push(toWire(t, channel, namespace));
    const paging = isObj(answer.paging) ? answer.paging : {};
    const cursor = isObj(paging.cursors) ? paging.cursors.after : undefined;
    // Meta names a next page only when there is one.
    if (typeof paging.next !== 'string' || typeof cursor !== 'string' || cursor === '' || answer.data.length === 0) break;
    after = cursor;
  }
  const found = all.filter((t) => matches(t, f)).sort((a, b) => compare(a, b, parsed.sort));
  const items = found.slice(parsed.offset, parsed.offset + parsed.limit);
  return { ...envelope(parsed, found.length, items.length), waba_templates: items };
}

function toWire(t: GraphObject, channel: ChannelRow, namespace: string): MetaTemplateWire {
  const id = str(t.id);
  return {
    id,
    partner_id: channel.partner_id,
    waba_account_id: channel.waba_account_id,
    external_id: id,
    name: str(t.name),
    status: str(t.status).toUpperCase(),
    language: str(t.language),
    category: str(t.category).toUpperCase(),
    components: Array.isArray(t.components) ? t.components : [],
    rejected_reason: str(t.rejected_reason) || 'NONE',
    namespace,
  };
}
