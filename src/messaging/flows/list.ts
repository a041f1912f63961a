// A partner's flows across all its WABAs (the Partner Hub's Flows page), with the Partner API's
// list conventions (partner-api/list-query.ts): `limit/offset/sort/filters`, `q` a case-insensitive
// part of the name. Read through the partner's WABAs (waba_accounts_partner_client, then
// flows_waba_name per WABA) and the flow's own partner_id both: the two locks of store.ts.
import type { Deps } from '../../deps.ts';
import { applyFilters, applyOrderAndPage, envelope, parseListQuery, type ListEnvelope, type ListQueryInput, type ListSpec } from '../../partner-api/list-query.ts';
import { FLOW_META_COLUMNS, type FlowMeta } from './store.ts';

const s = (column: string) => ({ column: `flows.${column}`, type: 'string' as const });

export const PARTNER_FLOW_LIST: ListSpec = {
  collection: 'flows',
  // No prototype: `sort=constructor` must be an unknown field (a 400), as in the other lists.
  fields: Object.assign(Object.create(null) as ListSpec['fields'], {
    id: s('id'),
    name: s('name'),
    status: s('status'),
    waba_account_id: s('waba_account_id'),
    created_at: { column: 'flows.created_at', type: 'time' },
    modified_at: { column: 'flows.modified_at', type: 'time' },
  }),
  tieBreaker: 'flows.id',
  defaultSort: ['-created_at'],
  defaultLimit: 25,
  maxLimit: 1000,
  search: ['flows.name'],
};

export type PartnerFlowList = ListEnvelope & { flows: FlowMeta[] };

export async function listPartnerFlows(deps: Deps, partnerId: string, query: ListQueryInput): Promise<PartnerFlowList> {
  const base = deps.db.kysely
    .selectFrom('flows')
    .innerJoin('waba_accounts', 'waba_accounts.id', 'flows.waba_account_id')
    .where('waba_accounts.partner_id', '=', partnerId)
    .where('flows.partner_id', '=', partnerId);
  const parsed = parseListQuery(query, PARTNER_FLOW_LIST);
  // Statuses are Meta's upper-case words; a lower-case one (as typed in a URL) means the same.
  if (typeof parsed.filters.status === 'string') parsed.filters.status = parsed.filters.status.toUpperCase();
  const filtered = applyFilters(base, parsed, PARTNER_FLOW_LIST);
  const [items, n] = await Promise.all([
    applyOrderAndPage(filtered.select(FLOW_META_COLUMNS.map((c) => `flows.${c}` as const)), parsed, PARTNER_FLOW_LIST).execute(),
    filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { ...envelope(parsed, Number(n.n), items.length), flows: items };
}
