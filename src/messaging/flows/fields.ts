// Meta's `fields` on a flow: which of the flow object's fields an answer carries, for the Partner
// API's flow routes and the Messaging API's (messaging/routes/flows.ts) alike. One flow may also
// be asked for `preview` (preview.ts) and `health_status` (endpoint-health.ts), which are made on
// demand rather than read.
import type { Deps } from '../../deps.ts';
import { invalidParameter } from '../errors.ts';
import { flowHealthStatus } from './endpoint-health.ts';
import { flowPreview, splitPreviewField } from './preview.ts';
import { DEFAULT_FLOW_FIELDS, FLOW_FIELDS, flowToWire, type FlowField, type FlowMeta, type FlowScope } from './store.ts';

/** Meta's `fields`: the asked ones (id always), each a known field. */
export function parseFlowFields(raw: string | undefined, fallback: readonly FlowField[]): readonly FlowField[] {
  if (raw === undefined || raw.trim() === '') return fallback;
  const asked = raw.split(',').map((f) => f.trim()).filter(Boolean);
  for (const f of asked) {
    if (!(FLOW_FIELDS as readonly string[]).includes(f)) throw invalidParameter(`(#100) Tried accessing nonexisting field (${f.slice(0, 50)}) on node type (Flow); fields: ${FLOW_FIELDS.join(', ')}`);
  }
  return asked as FlowField[];
}

/** What one flow's GET answers without `fields`: Meta's defaults, and the asset's and endpoint's fields when the flow has them. */
export const ONE_FLOW_FIELDS: readonly FlowField[] = [...DEFAULT_FLOW_FIELDS, 'json_version', 'data_api_version', 'endpoint_uri'];

/** One flow in Meta's shape with the asked `fields`, `preview` and `health_status` included. */
export async function flowWithFields(
  deps: Deps,
  scope: FlowScope,
  f: FlowMeta,
  waba: { external_id: string; name: string; fb_business_id: string },
  rawFields: string | undefined,
): Promise<{ id: string } & Record<string, unknown>> {
  // preview / preview.invalidate(true|false): a link to the flow's preview page (preview.ts).
  const split = splitPreviewField(rawFields, invalidParameter);
  const { preview } = split;
  // health_status: the flow's health now, its endpoint pinged (endpoint-health.ts).
  const asked = split.rest?.split(',').map((x) => x.trim()) ?? [];
  const health = asked.includes('health_status');
  const rest = health ? asked.filter((x) => x !== 'health_status' && x !== '').join(',') : split.rest;
  const fields = (preview || health) && rest === '' ? (['id'] as const) : parseFlowFields(rest, ONE_FLOW_FIELDS);
  return {
    ...flowToWire(f, fields, waba),
    ...(preview ? { preview: await flowPreview(deps, scope, f.id, preview.invalidate) } : {}),
    ...(health ? { health_status: await flowHealthStatus(deps, f, waba) } : {}),
  };
}
