// What a flow's creation and metadata update take (Meta's POST /{waba_id}/flows and
// POST /{flow_id}), checked field by field with the field named in the refusal.
//
// endpoint_uri is where WhatsApp posts a flow's data exchange, from Meta's servers: Meta wants
// https, and a private or loopback address is never reachable from there. It follows the
// platform's webhook URL policy (OPENWABA_WEBHOOK_URL_POLICY, services/webhook-target-checks.ts):
// `strict` (the default in production) applies the rules of a Cloud API webhook, https only and a
// public host; `local` (the default elsewhere) also takes http and loopback, so that a flow under
// development can name http://localhost:3000/flow.
import { invalidParameter } from '../errors.ts';
import { isObj, type Obj } from '../validate/check.ts';
import { checkWebhookUrl, WebhookTargetError, type WebhookUrlPolicy } from '../../services/webhook-target-checks.ts';
import { FLOW_CATEGORIES } from './store.ts';

export const FLOW_NAME_MAX = 200;

export interface FlowMetadata {
  name?: string;
  categories?: string[];
  /** null: clear it. */
  endpointUri?: string | null;
}

export interface NewFlowInput extends FlowMetadata {
  name: string;
  categories: string[];
  cloneFlowId?: string;
  /** The Flow JSON given inline (Meta's `flow_json`, a JSON-encoded string), as bytes. */
  flowJson?: Buffer;
  publish: boolean;
}

const CREATE_FIELDS = ['name', 'categories', 'endpoint_uri', 'clone_flow_id', 'clone_template', 'template', 'flow_json', 'publish'];
// application_id connects a Meta app to the flow; the sandbox has no apps, so it is taken and ignored.
const UPDATE_FIELDS = ['name', 'categories', 'endpoint_uri', 'application_id'];

function knownFields(b: Obj, allowed: string[]): void {
  for (const k of Object.keys(b)) if (!allowed.includes(k)) throw invalidParameter(`${k.slice(0, 50)}: is not a known field (allowed: ${allowed.join(', ')})`);
}

function text(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string') throw invalidParameter(`${field}: must be a string`);
  const s = v.trim();
  if (s === '') throw invalidParameter(`${field}: must not be empty`);
  if ([...s].length > max) throw invalidParameter(`${field}: must be at most ${max} characters`);
  if (s.includes('\u0000')) throw invalidParameter(`${field}: must not contain NUL characters`);
  return s;
}

/** Meta's categories: an array, or (form-encoded clients) the array as a JSON string; at least one. */
function categories(v: unknown): string[] {
  let list = v;
  if (typeof v === 'string') {
    try {
      list = JSON.parse(v);
    } catch {
      list = [v];
    }
  }
  if (!Array.isArray(list)) throw invalidParameter(`categories: must be an array of ${FLOW_CATEGORIES.join(', ')}`);
  if (list.length === 0) throw invalidParameter('categories: at least one category is required');
  for (const c of list) {
    if (typeof c !== 'string' || !(FLOW_CATEGORIES as readonly string[]).includes(c)) {
      throw invalidParameter(`categories: ${JSON.stringify(c)?.slice(0, 50) ?? typeof c} is not a flow category (${FLOW_CATEGORIES.join(', ')})`);
    }
  }
  return [...new Set(list as string[])];
}

export const ENDPOINT_URI_MAX = 2048;

/**
 * The endpoint URI if it passes the policy; otherwise Meta's "(#100) Invalid Endpoint URI" with
 * the broken rule, naming the field: `(#100) Invalid Endpoint URI: endpoint_uri must use https
 * (OPENWABA_WEBHOOK_URL_POLICY=strict)`.
 */
export function checkFlowEndpointUri(v: string, policy: WebhookUrlPolicy): string {
  try {
    return checkWebhookUrl(v, policy, 'endpoint_uri');
  } catch (e) {
    if (e instanceof WebhookTargetError) throw invalidParameter(`(#100) Invalid Endpoint URI: ${e.message}`);
    throw e;
  }
}

function endpointUri(v: unknown, policy: WebhookUrlPolicy): string | null {
  if (v === null || v === '') return null;
  if (typeof v !== 'string' || v.length > ENDPOINT_URI_MAX) {
    throw invalidParameter(`(#100) Invalid Endpoint URI: endpoint_uri must be an absolute ${policy === 'strict' ? 'https://' : 'http(s)://'} URL of at most ${ENDPOINT_URI_MAX} characters`);
  }
  if (v.includes('\u0000')) throw invalidParameter('(#100) Invalid Endpoint URI: endpoint_uri must not contain NUL characters');
  return checkFlowEndpointUri(v, policy);
}

export function parseNewFlow(body: unknown, policy: WebhookUrlPolicy): NewFlowInput {
  if (!isObj(body)) throw invalidParameter('body: must be a JSON object such as {"name":"Sign up","categories":["SIGN_UP"]}');
  knownFields(body, CREATE_FIELDS);
  if (body.name === undefined) throw invalidParameter('name: is required');
  if (body.categories === undefined) throw invalidParameter(`categories: is required (one or more of ${FLOW_CATEGORIES.join(', ')})`);
  const out: NewFlowInput = { name: text(body.name, 'name', FLOW_NAME_MAX), categories: categories(body.categories), publish: false };
  if (body.endpoint_uri !== undefined) out.endpointUri = endpointUri(body.endpoint_uri, policy);
  if (body.clone_flow_id !== undefined) {
    if (typeof body.clone_flow_id !== 'string' || !/^\d{1,32}$/.test(body.clone_flow_id)) throw invalidParameter('clone_flow_id: must be the id of a flow (digits)');
    out.cloneFlowId = body.clone_flow_id;
  }
  // A template of Meta's flow library (clone_template; kairon sends it as `template`): the sandbox
  // has no library, so the flow starts without an asset, as one created from nothing does.
  const template = body.clone_template ?? body.template;
  if (template !== undefined) text(template, body.clone_template !== undefined ? 'clone_template' : 'template', 200);
  if (out.cloneFlowId !== undefined && template !== undefined) throw invalidParameter('Only one clone source can be set: send clone_flow_id or clone_template, not both');
  if (body.flow_json !== undefined) {
    // Meta takes the Flow JSON encoded as a string; an object is taken as the JSON it is.
    if (typeof body.flow_json === 'string') out.flowJson = Buffer.from(body.flow_json, 'utf8');
    else if (isObj(body.flow_json)) out.flowJson = Buffer.from(JSON.stringify(body.flow_json), 'utf8');
    else throw invalidParameter('flow_json: must be the Flow JSON as a string');
    if (out.cloneFlowId !== undefined) throw invalidParameter('flow_json: send flow_json or clone_flow_id, not both');
  }
  if (body.publish !== undefined) {
    if (typeof body.publish !== 'boolean') throw invalidParameter('publish: must be true or false');
    out.publish = body.publish;
  }
  return out;
}

export function parseFlowUpdate(body: unknown, policy: WebhookUrlPolicy): FlowMetadata {
  if (body === undefined) return {};
  if (!isObj(body)) throw invalidParameter('body: must be a JSON object such as {"name":"New name"}');
  knownFields(body, UPDATE_FIELDS);
  const out: FlowMetadata = {};
  if (body.name !== undefined) out.name = text(body.name, 'name', FLOW_NAME_MAX);
  if (body.categories !== undefined) out.categories = categories(body.categories);
  if (body.endpoint_uri !== undefined) out.endpointUri = endpointUri(body.endpoint_uri, policy);
  if (body.application_id !== undefined) text(body.application_id, 'application_id', 64);
  return out;
}
