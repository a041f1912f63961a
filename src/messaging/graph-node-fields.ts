// Graph's `fields=` on a node openwaba builds itself (the phone number node, the WhatsApp Business
// Account node): the names asked for, or the node's default set, and Graph's error for a name the
// node does not have.
import type { FastifyRequest } from 'fastify';
import type { ApiError } from '../errors.ts';
import { invalidParameter, metaError } from './errors.ts';
import { splitFields } from './graph-field-modifiers.ts';

/** `fields=a,b` (one string, as the query carries it, or already split) as names; the node's defaults when none. */
export function askedFields(fields: string | readonly string[] | undefined, defaults: readonly string[]): string[] {
  // Split at top-level commas: a field's modifiers may hold commas (`phone_numbers(["a","b"])`).
  const list = typeof fields === 'string' ? splitFields(fields) : (fields ?? []);
  const asked = list.map((f) => f.trim()).filter(Boolean);
  return asked.length > 0 ? asked : [...defaults];
}

/**
 * Graph's message word for word ("(#100) Tried accessing nonexisting field (<f>) on node type
 * (<NodeType>)"), in the Cloud body every other route's errors have: with `error_data.details` too,
 * which Graph leaves out here and clients read only when present. `noun` names the node in the
 * details ("a phone number"), `known` lists the fields it has.
 */
export function nonexistingField(nodeType: string, noun: string, field: string, known: readonly string[]): ApiError {
  const f = field.slice(0, 64);
  return metaError(400, 100, `Tried accessing nonexisting field (${f}) on node type (${nodeType})`, `fields: "${f}" is not a field of ${noun} (${known.join(', ')})`);
}

/** The request's `fields` query parameter as one string (undefined when absent); given twice is a 400. */
export function fieldsParam(request: FastifyRequest): string | undefined {
  const f = (request.query as { fields?: unknown } | undefined)?.fields;
  if (f === undefined) return undefined;
  if (typeof f !== 'string') throw invalidParameter('fields: must be given once, comma-separated');
  return f;
}
