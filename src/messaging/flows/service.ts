// A flow's life, with Meta's rules and Meta's error codes (Flows API "Error Codes"):
//
//   create        DRAFT; the name is unique in the WABA (#100 "Flow name is not unique");
//                 clone_flow_id copies another flow of the WABA (its asset and endpoint);
//                 flow_json + publish:true creates it published when the JSON is valid.
//   update/asset  DRAFT only (#139001 "Flow can't be updated": a published flow is cloned instead);
//                 an asset's problems come back as validation_errors in a 200, as at Meta.
//   publish       DRAFT only (#139002 "Publishing Flow in invalid state"), with an asset and no
//                 validation errors (#139002 "Publishing Flow with validation errors"); a flow
//                 that uses an endpoint (data_api_version in its JSON) also needs endpoint_uri
//                 and a business public key on one of the WABA's numbers (#139002), and its
//                 endpoint_uri must pass today's webhook URL policy (#100 Invalid Endpoint URI).
//                 Unlike Meta, publishing does not call the endpoint: existing clients publish
//                 flows whose endpoint does not run yet (or runs only on a laptop), and a publish
//                 that depended on another server would make the lifecycle flaky; the flow's
//                 `health_status` field (endpoint-health.ts) pings it on demand instead.
//   deprecate     PUBLISHED (or THROTTLED/BLOCKED) → DEPRECATED (#139003 otherwise).
//   delete        DRAFT only (#139004 "Can't delete published Flow").
//
// Every change is one conditional UPDATE (… AND status = what was read): when another request
// changed the flow in between, nothing is written and the flow is read and judged again.
import type { Deps } from '../../deps.ts';
import { ApiError, notFound } from '../../errors.ts';
import { isUniqueViolation } from '../../db/index.ts';
import { invalidParameter, metaError } from '../errors.ts';
import { wabaHasBusinessKey } from './business-key.ts';
import { checkFlowJson, type CheckedFlowJson, type FlowValidationError } from './flow-json.ts';
import type { FlowMetadata, NewFlowInput } from './input.ts';
import { checkFlowEndpointUri } from './input.ts';
import { findFlow, flowsOf, newFlowId, validationErrorsOf, type FlowMeta, type FlowRow, type FlowScope, type FlowStatus } from './store.ts';

export type { FlowScope };

/** Meta's Flows errors carry their number and title in the message: `(#139002) Publishing Flow in invalid state: …`. */
function flowError(code: number, title: string, details: string): ApiError {
  return metaError(400, code, title, `(#${code}) ${title}: ${details}`);
}

export const flowNotFound = (flowId: string) => notFound(`Flow ${flowId} not found`);
const notUnique = (name: string) => invalidParameter(`(#100) Flow name is not unique: a flow named "${name.slice(0, 200)}" already exists in this WhatsApp Business Account`);
/** A flow that has been published (whatever Meta did to it since) can be deprecated. */
export const DEPRECATABLE: readonly FlowStatus[] = ['PUBLISHED', 'THROTTLED', 'BLOCKED'];

async function mustFind(deps: Deps, scope: FlowScope, flowId: string): Promise<FlowMeta> {
  const f = await findFlow(deps, scope, flowId);
  if (!f) throw flowNotFound(flowId);
  return f;
}

function cannotUpdate(f: FlowMeta): ApiError {
  return flowError(139001, "Flow can't be updated", `flow ${f.id} is ${f.status}; only DRAFT flows change (create a copy with clone_flow_id and publish that)`);
}

/** Runs `attempt` against the flow as read; a second time when the flow changed under the first. */
async function withFlow<T>(deps: Deps, scope: FlowScope, flowId: string, attempt: (f: FlowMeta) => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 2; i++) {
    const done = await attempt(await mustFind(deps, scope, flowId));
    if (done !== undefined) return done;
  }
  throw new ApiError(409, `Flow ${flowId} was changed by another request at the same time; try again`);
}

function assetValues(checked: CheckedFlowJson, assetName: string) {
  return {
    asset_name: assetName,
    flow_json: checked.text,
    json_version: checked.jsonVersion,
    data_api_version: checked.dataApiVersion,
    validation_errors: JSON.stringify(checked.errors),
  };
}

/** Why this flow cannot be published now, or undefined when it can. */
export async function publishRefusal(deps: Deps, f: FlowMeta): Promise<ApiError | undefined> {
  const state = 'Publishing Flow in invalid state';
  const invalid = 'Publishing Flow with validation errors';
  if (f.status !== 'DRAFT') return flowError(139002, state, `flow ${f.id} is ${f.status}; only DRAFT flows can be published`);
  if (f.asset_name === null) return flowError(139002, invalid, `flow ${f.id} has no Flow JSON yet; upload one with POST …/flows/${f.id}/assets (asset_type=FLOW_JSON)`);
  let errors = validationErrorsOf(f);
  // Judged by today's rules: an asset that passed the check of an earlier build (fewer rules) is
  // checked again, and the errors it has now are kept on the flow (only if the flow is unchanged).
  if (errors.length === 0) {
    const stored = await deps.db.kysely.selectFrom('flows').select('flow_json').where('id', '=', f.id).executeTakeFirst();
    if (stored?.flow_json != null) {
      errors = checkFlowJson(Buffer.from(stored.flow_json, 'utf8')).errors;
      if (errors.length > 0) {
        await deps.db.kysely.updateTable('flows').set({ validation_errors: JSON.stringify(errors) }).where('id', '=', f.id).where('modified_at', '=', f.modified_at).execute();
      }
    }
  }
  if (errors.length > 0) return flowError(139002, invalid, `flow ${f.id} has ${errors.length} validation error${errors.length === 1 ? '' : 's'}, the first: ${errors[0]!.message}`);
  if (f.data_api_version !== null) {
    if (!f.endpoint_uri) return flowError(139002, 'Publishing without specifying endpoint_uri is forbidden', `flow ${f.id} uses an endpoint (data_api_version ${f.data_api_version}); set its endpoint_uri first`);
    // Set under another policy (a flow made on a laptop's `local`, cloned or carried over): judged by today's.
    try {
      checkFlowEndpointUri(f.endpoint_uri, deps.config.webhookUrlPolicy);
    } catch (err) {
      if (err instanceof ApiError) return new ApiError(err.status, `${err.message}; set another endpoint_uri for flow ${f.id} before publishing it`, { extra: err.extra });
      throw err;
    }
    if (!(await wabaHasBusinessKey(deps, f.waba_account_id))) {
      return flowError(139002, 'Missing Flows Signed Public Key', `flow ${f.id} uses an endpoint; upload a business public key for a number of this WABA first (POST /whatsapp_business_encryption)`);
    }
  }
  return undefined;
}

export interface CreatedFlow {
  id: string;
  validation_errors: FlowValidationError[];
}

export async function createFlow(deps: Deps, scope: FlowScope, input: NewFlowInput): Promise<CreatedFlow> {
  const now = deps.clock.now().toISOString();
  const row: FlowRow = {
    id: newFlowId(),
    partner_id: scope.partnerId,
    waba_account_id: scope.wabaAccountId,
    name: input.name,
    categories: JSON.stringify(input.categories),
    status: 'DRAFT',
    endpoint_uri: input.endpointUri ?? null,
    json_version: null,
    data_api_version: null,
    asset_name: null,
    flow_json: null,
    validation_errors: '[]',
    created_at: now,
    modified_at: now,
  };
  if (input.cloneFlowId !== undefined) {
    const source = await flowsOf(scope, deps.db.kysely).selectAll().where('id', '=', input.cloneFlowId).executeTakeFirst();
    // Meta: (#100) "Flow with specified ID does not exist" — in the body, so a 400, not the path's 404.
    if (!source) throw invalidParameter(`(#100) Flow with specified ID does not exist: clone_flow_id ${input.cloneFlowId} is not a flow of this WhatsApp Business Account`);
    Object.assign(row, {
      endpoint_uri: input.endpointUri !== undefined ? input.endpointUri : source.endpoint_uri,
      json_version: source.json_version,
      data_api_version: source.data_api_version,
      asset_name: source.asset_name,
      flow_json: source.flow_json,
      validation_errors: source.validation_errors,
    });
  }
  let checked: CheckedFlowJson | undefined;
  if (input.flowJson !== undefined) {
    checked = checkFlowJson(input.flowJson);
    Object.assign(row, assetValues(checked, 'flow.json'));
  }
  if (input.publish && checked && checked.errors.length === 0) {
    const refusal = await publishRefusal(deps, row);
    if (refusal) throw refusal;
    row.status = 'PUBLISHED';
  }
  try {
    await deps.db.kysely.insertInto('flows').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw notUnique(input.name);
    throw err;
  }
  return { id: row.id, validation_errors: validationErrorsOf(row) };
}

export async function updateFlowMetadata(deps: Deps, scope: FlowScope, flowId: string, change: FlowMetadata): Promise<void> {
  await withFlow(deps, scope, flowId, async (f) => {
    if (f.status !== 'DRAFT') throw cannotUpdate(f);
    const values = {
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.categories !== undefined ? { categories: JSON.stringify(change.categories) } : {}),
      ...(change.endpointUri !== undefined ? { endpoint_uri: change.endpointUri } : {}),
      modified_at: deps.clock.now().toISOString(),
    };
    try {
      const r = await deps.db.kysely.updateTable('flows').set(values).where('id', '=', f.id).where('partner_id', '=', scope.partnerId).where('status', '=', 'DRAFT').executeTakeFirst();
      return Number(r.numUpdatedRows) > 0 ? true : undefined;
    } catch (err) {
      if (isUniqueViolation(err)) throw notUnique(change.name ?? f.name);
      throw err;
    }
  });
}

/** A new Flow JSON for a DRAFT flow: kept with its validation errors, which are the answer. */
export async function uploadFlowAsset(deps: Deps, scope: FlowScope, flowId: string, file: Buffer, assetName: string): Promise<FlowValidationError[]> {
  const checked = checkFlowJson(file);
  return withFlow(deps, scope, flowId, async (f) => {
    if (f.status !== 'DRAFT') throw cannotUpdate(f);
    const values = { ...assetValues(checked, assetName), modified_at: deps.clock.now().toISOString() };
    const r = await deps.db.kysely.updateTable('flows').set(values).where('id', '=', f.id).where('partner_id', '=', scope.partnerId).where('status', '=', 'DRAFT').executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? checked.errors : undefined;
  });
}

export async function publishFlow(deps: Deps, scope: FlowScope, flowId: string): Promise<void> {
  await withFlow(deps, scope, flowId, async (f) => {
    const refusal = await publishRefusal(deps, f);
    if (refusal) throw refusal;
    // The flow must still be the one judged: a concurrent upload or update changes modified_at
    // (and one within the same millisecond that brought validation errors still fails the last test).
    const r = await deps.db.kysely
      .updateTable('flows')
      .set({ status: 'PUBLISHED', modified_at: deps.clock.now().toISOString() })
      .where('id', '=', f.id)
      .where('partner_id', '=', scope.partnerId)
      .where('status', '=', 'DRAFT')
      .where('modified_at', '=', f.modified_at)
      .where('validation_errors', '=', '[]')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? true : undefined;
  });
}

export async function deprecateFlow(deps: Deps, scope: FlowScope, flowId: string): Promise<void> {
  await withFlow(deps, scope, flowId, async (f) => {
    if (f.status === 'DEPRECATED') throw flowError(139003, 'Flow is already deprecated', `flow ${f.id} is DEPRECATED`);
    if (!DEPRECATABLE.includes(f.status)) throw flowError(139003, "Can't deprecate unpublished Flow", `flow ${f.id} is ${f.status}; only published flows are deprecated (delete a DRAFT instead)`);
    const r = await deps.db.kysely
      .updateTable('flows')
      .set({ status: 'DEPRECATED', modified_at: deps.clock.now().toISOString() })
      .where('id', '=', f.id)
      .where('partner_id', '=', scope.partnerId)
      .where('status', '=', f.status)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? true : undefined;
  });
}

export async function deleteFlow(deps: Deps, scope: FlowScope, flowId: string): Promise<void> {
  await withFlow(deps, scope, flowId, async (f) => {
    if (f.status !== 'DRAFT') throw flowError(139004, "Can't delete published Flow", `flow ${f.id} is ${f.status}; only DRAFT flows can be deleted (deprecate a published one instead)`);
    const r = await deps.db.kysely.deleteFrom('flows').where('id', '=', f.id).where('partner_id', '=', scope.partnerId).where('status', '=', 'DRAFT').executeTakeFirst();
    return Number(r.numDeletedRows) > 0 ? true : undefined;
  });
}
