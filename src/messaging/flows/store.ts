// WhatsApp Flows: one store behind the Partner API's flows routes, the Hub's Flows pages and the
// check of flow sends. A flow belongs to one WABA of one partner; its id is Meta's kind of id (16
// digits) and its name is unique in the WABA. Every lookup here names both the WABA and the
// partner (FlowScope): the callers have checked that the WABA is the partner's, and the flow's own
// partner_id is a second lock on the same door, so that a mistake in one check alone never hands
// one partner's flow to another. Statuses are Meta's: DRAFT (new, editable, sendable only with mode "draft"),
// PUBLISHED (sendable, no longer editable), DEPRECATED (retired for good); BLOCKED and THROTTLED
// are set by Meta's endpoint monitoring, which the sandbox does not simulate.
import type { Selectable } from 'kysely';
import type { FlowsTable, FlowStatus } from '../../db/schema.ts';
import type { Executor } from '../../db/index.ts';
import type { Deps } from '../../deps.ts';
import { safeIntegerDigits16 } from '../../ids.ts';
import type { FlowValidationError } from './flow-json.ts';

export type FlowRow = Selectable<FlowsTable>;
/** A flow without its asset: what lists and state changes read. */
export type FlowMeta = Omit<FlowRow, 'flow_json'>;
export type { FlowStatus };

/**
 * Meta's flow categories. SHOPPING is newer than the others and not in every copy of Meta's
 * list; it is accepted, since refusing a category Meta takes would fail a valid request.
 */
export const FLOW_CATEGORIES = ['SIGN_UP', 'SIGN_IN', 'APPOINTMENT_BOOKING', 'LEAD_GENERATION', 'SHOPPING', 'CONTACT_US', 'CUSTOMER_SUPPORT', 'SURVEY', 'OTHER'] as const;

/** Every column but the asset. */
export const FLOW_META_COLUMNS = [
  'id',
  'partner_id',
  'waba_account_id',
  'name',
  'categories',
  'status',
  'endpoint_uri',
  'json_version',
  'data_api_version',
  'asset_name',
  'validation_errors',
  'created_at',
  'modified_at',
] as const satisfies readonly (keyof FlowMeta)[];

/** 16 digits like Meta's flow ids, below 2^53: a client may send a flow_id as a JSON number (Meta takes it either way). */
export const newFlowId = safeIntegerDigits16;

/** Whose flows a request may touch: one WABA of one partner (the WABA already checked to be the partner's). */
export interface FlowScope {
  partnerId: string;
  wabaAccountId: string;
}

/** The flows of the scope: its WABA's, and its partner's. */
export function flowsOf(scope: FlowScope, tx: Executor) {
  return tx.selectFrom('flows').where('flows.waba_account_id', '=', scope.wabaAccountId).where('flows.partner_id', '=', scope.partnerId);
}

export function findFlow(deps: Deps, scope: FlowScope, flowId: string, tx: Executor = deps.db.kysely): Promise<FlowMeta | undefined> {
  return flowsOf(scope, tx).select(FLOW_META_COLUMNS).where('id', '=', flowId).executeTakeFirst();
}

export async function flowAsset(deps: Deps, scope: FlowScope, flowId: string): Promise<Pick<FlowRow, 'asset_name' | 'flow_json'> | undefined> {
  return flowsOf(scope, deps.db.kysely).select(['asset_name', 'flow_json']).where('id', '=', flowId).executeTakeFirst();
}

/** Whether the flow has a kept asset, and its name, without reading the asset itself (up to 10 MB). */
export async function flowAssetInfo(deps: Deps, scope: FlowScope, flowId: string): Promise<{ name: string | null; kept: boolean } | undefined> {
  const row = await flowsOf(scope, deps.db.kysely)
    .select((eb) => ['asset_name', eb('flow_json', 'is not', null).as('kept')])
    .where('id', '=', flowId)
    .executeTakeFirst();
  // SQLite answers the comparison as 0/1, PostgreSQL as a boolean.
  return row && { name: row.asset_name, kept: Boolean(Number(row.kept)) };
}

/** A WABA's flows, newest first (at most `limit`, after `offset`), and how many it has. */
export async function listFlows(deps: Deps, scope: FlowScope, page: { limit: number; offset: number }): Promise<{ rows: FlowMeta[]; total: number }> {
  const base = flowsOf(scope, deps.db.kysely);
  const [rows, total] = await Promise.all([
    base.select(FLOW_META_COLUMNS).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

export const validationErrorsOf = (f: Pick<FlowRow, 'validation_errors'>) => JSON.parse(f.validation_errors) as FlowValidationError[];

/** Meta's flow fields, in the order Meta lists them. */
export const FLOW_FIELDS = ['id', 'name', 'status', 'categories', 'validation_errors', 'json_version', 'data_api_version', 'endpoint_uri', 'whatsapp_business_account'] as const;
export type FlowField = (typeof FLOW_FIELDS)[number];
/** What Meta answers when no `fields` are asked for. */
export const DEFAULT_FLOW_FIELDS: readonly FlowField[] = ['id', 'name', 'status', 'categories', 'validation_errors'];

/**
 * Meta's flow object with the asked fields (id always). A field with no value (no asset yet, no
 * endpoint) is left out, as Meta leaves it out.
 */
export function flowToWire(f: FlowMeta, fields: readonly FlowField[], waba?: { external_id: string; name: string }): { id: string } & Record<string, unknown> {
  const all: Record<FlowField, unknown> = {
    id: f.id,
    name: f.name,
    status: f.status,
    categories: JSON.parse(f.categories) as string[],
    validation_errors: validationErrorsOf(f),
    json_version: f.json_version ?? undefined,
    data_api_version: f.data_api_version ?? undefined,
    endpoint_uri: f.endpoint_uri ?? undefined,
    whatsapp_business_account: waba ? { id: waba.external_id, name: waba.name } : undefined,
  };
  const out: Record<string, unknown> = { id: f.id };
  for (const k of fields) if (all[k] !== undefined) out[k] = all[k];
  return out as { id: string } & Record<string, unknown>;
}
