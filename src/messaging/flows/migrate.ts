// Flow migration (Meta's POST /{destination-waba-id}/migrate_flows?source_waba_id=&source_flow_names=,
// pywa's migrate_flows): copies flows of another WABA into this one, with Meta's rules as pywa and
// Meta's Flows API reference state them:
// - both WABAs are the same owner's (Meta: the same business; openwaba: the same partner, checked
//   by the caller exactly as template migration checks it: templates/migrate.ts findPartnerWaba);
// - the named flows (source_flow_names), or all of the source's, at most 100 in a request;
// - a flow whose name the destination already has is skipped and reported in failed_flows (Meta's
//   error_code "4233041", "Flows Migration Error: Flow with the same name exists in destination
//   WABA."); the others are still copied;
// - a copy is PUBLISHED when its source is, otherwise DRAFT, with a new flow id. A published copy
//   must pass the destination's publish checks (flows/service.ts publishRefusal: an endpoint flow
//   needs a business public key on one of the destination's numbers); one that does not is copied
//   as a DRAFT (our choice: the copy is kept and can be published once the key is there).
// The copy carries the source's categories, endpoint_uri and Flow JSON (with its validation errors).
// A named flow the source does not have fails with error_code "100" (our choice: Meta's code for it
// is not documented). The answer is Meta's:
//   {"migrated_flows":[{source_name, source_id, migrated_id}], "failed_flows":[{source_name, error_code, error_message}]}
import type { Deps } from '../../deps.ts';
import { isUniqueViolation } from '../../db/index.ts';
import { fail, isObj, onlyKeys, str, type Obj } from '../validate/check.ts';
import { graphListParam } from '../graph-params.ts';
import { FLOW_NAME_MAX } from './input.ts';
import { publishRefusal } from './service.ts';
import { newFlowId, type FlowRow, type FlowScope } from './store.ts';

/** Meta: "Only 100 Flows can be migrated in a request". */
export const MAX_MIGRATED_FLOWS = 100;

export interface FlowMigrationRequest {
  /** The source WABA as the caller named it (openwaba's id or Meta's). */
  source: string;
  /** The flows to copy by name; undefined: all of the source's (the first 100, oldest first). */
  names?: string[];
}

export interface FlowMigrationResult {
  migrated_flows: { source_name: string; source_id: string; migrated_id: string }[];
  failed_flows: { source_name: string; error_code: string; error_message: string }[];
}

const SAME_NAME_CODE = '4233041';
const SAME_NAME = 'Flows Migration Error: Flow with the same name exists in destination WABA.';

/** source_flow_names: pywa's comma list (`",".join(names)`), a JSON array, or its JSON text; empty means all. */
function namesParam(v: unknown): string[] | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const list = graphListParam(v, 'source_flow_names', 'flow names');
  if (!Array.isArray(list)) throw fail('source_flow_names', 'must be a comma-separated list of flow names or an array of them');
  if (list.length > MAX_MIGRATED_FLOWS) throw fail('source_flow_names', `must name at most ${MAX_MIGRATED_FLOWS} flows (got ${list.length})`);
  const names = list.map((n, i) => str(n, `source_flow_names[${i}]`, { max: FLOW_NAME_MAX }));
  return names.length === 0 ? undefined : [...new Set(names)];
}

/** Meta's parameters (`source_waba_id`, `source_flow_names`), from the query string (as pywa sends them) or a JSON body (the body wins). */
export function parseFlowMigration(body: unknown, query: Obj): FlowMigrationRequest {
  if (body !== undefined && body !== null && !isObj(body)) throw fail('body', 'must be a JSON object such as {"source_waba_id":"…","source_flow_names":["…"]}');
  const b = (body ?? {}) as Obj;
  onlyKeys(b, 'body', ['source_waba_id', 'source_flow_names']);
  const pick = (k: string) => (b[k] !== undefined ? b[k] : query[k]);
  const rawSource = pick('source_waba_id');
  const source = str(typeof rawSource === 'number' && Number.isSafeInteger(rawSource) ? String(rawSource) : rawSource, 'source_waba_id', { max: 64 });
  if (!/^[A-Za-z0-9_-]+$/.test(source)) throw fail('source_waba_id', 'must be a WhatsApp Business Account id');
  const names = namesParam(pick('source_flow_names'));
  return names ? { source, names } : { source };
}

/** Copies one flow; the failure's reason, or the copy's id. */
async function copyFlow(deps: Deps, dest: FlowScope, src: FlowRow): Promise<string | undefined> {
  const now = deps.clock.now().toISOString();
  const row: FlowRow = { ...src, id: newFlowId(), partner_id: dest.partnerId, waba_account_id: dest.wabaAccountId, status: 'DRAFT', created_at: now, modified_at: now };
  if (src.status === 'PUBLISHED' && !(await publishRefusal(deps, row))) row.status = 'PUBLISHED';
  try {
    await deps.db.kysely.insertInto('flows').values(row).execute();
    return row.id;
  } catch (err) {
    // The name is taken in the destination (also by a creation at the same moment).
    if (isUniqueViolation(err)) return undefined;
    throw err;
  }
}

/** Copies the source's flows (both WABAs the same partner's: the caller checked) into the destination. */
export async function migrateFlows(deps: Deps, dest: FlowScope, sourceWabaAccountId: string, req: FlowMigrationRequest): Promise<FlowMigrationResult> {
  let q = deps.db.kysely.selectFrom('flows').selectAll().where('waba_account_id', '=', sourceWabaAccountId).where('partner_id', '=', dest.partnerId);
  if (req.names) q = q.where('name', 'in', req.names);
  const rows = await q.orderBy('created_at').orderBy('id').limit(MAX_MIGRATED_FLOWS).execute();
  const result: FlowMigrationResult = { migrated_flows: [], failed_flows: [] };
  for (const name of req.names ?? []) {
    if (!rows.some((r) => r.name === name)) result.failed_flows.push({ source_name: name, error_code: '100', error_message: 'Flows Migration Error: Flow with this name does not exist in source WABA.' });
  }
  const taken = new Set(
    rows.length === 0
      ? []
      : (
          await deps.db.kysely
            .selectFrom('flows')
            .select('name')
            .where('waba_account_id', '=', dest.wabaAccountId)
            .where('partner_id', '=', dest.partnerId)
            .where('name', 'in', rows.map((r) => r.name))
            .execute()
        ).map((r) => r.name),
  );
  for (const src of rows) {
    const id = taken.has(src.name) ? undefined : await copyFlow(deps, dest, src);
    if (id) result.migrated_flows.push({ source_name: src.name, source_id: src.id, migrated_id: id });
    else result.failed_flows.push({ source_name: src.name, error_code: SAME_NAME_CODE, error_message: SAME_NAME });
  }
  return result;
}
