// Form-encoded bodies (application/x-www-form-urlencoded) for every Partner API route with a body:
// 360dialog's Partner API "accepts form-encoded request bodies", and clients built on a
// form-posting library (PHP's http_build_query, Python requests' data=, curl -d) send them.
//
// How a form becomes the body the JSON route validates, and why here:
//
// - Parsing: qs, with the bracket notation http_build_query and qs produce
//   (`components[0][type]=BODY`, `a[]=x&a[]=y`), within limits that refuse (never silently cut)
//   what no real client sends: more than FORM_MAX_PARAMETERS fields, brackets nested deeper than
//   FORM_MAX_DEPTH, an array index of FORM_MAX_ARRAY or more. Keys that would reach an object's
//   prototype are refused as the JSON parser refuses them (`__proto__`, `constructor[prototype]`),
//   and broken percent-encoding is refused instead of being kept as raw text. qs builds
//   prototype-less objects (plainObjects), copied into ordinary ones once the keys are checked, so
//   that the handler sees what JSON.parse would have given.
//
// - Types: a form carries only strings, so the strings are converted where the route's own TypeBox
//   body schema wants an integer, a number, a boolean or null, with Ajv's coercion rules ("5" → 5,
//   "true"/"false" → booleans, "" → null where null is allowed; "5.5" for an integer stays a string
//   and is refused) by a second Ajv instance whose verdict is thrown away (booleans as PHP and
//   Python write them, "1"/"0" and "True"/"False", are read before, by formBooleans below):
//   Fastify's validator then checks the converted body exactly as it checks a JSON one, so the
//   schema stays the one source of truth and the refusals read the same. This runs in the form parser, and only there: the app's
//   Ajv keeps coerceTypes: false, so a JSON `"max_channels":"5"` is still refused. (The other ways
//   were worse: coercion in Fastify's validator would need a second validator compiler for the whole
//   Partner API, replacing Fastify's configured one for params and queries too; a preValidation hook
//   would split one concern between a parser and a hook; TypeBox's Value.Convert reads "" as 0 and
//   truncates "5.7" to 5.) Routes whose handler checks the body itself (templates, flows: the body
//   schema is Type.Unknown) name the typed fields of a form in their route config, `formFields`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import qs from 'qs';
import type { TSchema } from 'typebox';
import { ApiError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * For a route whose body schema is Type.Unknown (its handler checks the body): the typed fields
     * a form body's strings are converted to. Only conversion: the handler's checks still decide.
     */
    formFields?: TSchema;
  }
}

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const FORM_MAX_PARAMETERS = 1000;
export const FORM_MAX_DEPTH = 12;
export const FORM_MAX_ARRAY = 100;

const malformed = (why: string) => new ApiError(400, `Malformed form body: ${why}`);

const PROTOTYPE_KEYS = 'keys named __proto__, or constructor with a prototype key, are not allowed';

/** The segments of a form key: `a[b][0]` → a, b, 0 (dots are not separators: allowDots is off). */
function keySegments(key: string): string[] {
  return key.split(/[[\]]/).filter((s) => s !== '');
}

function refusePrototypeKey(key: string): void {
  const segments = keySegments(key);
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === '__proto__' || (segments[i] === 'constructor' && segments[i + 1] === 'prototype')) throw malformed(PROTOTYPE_KEYS);
  }
}

/** Percent-decoding that refuses broken sequences (qs would keep them as raw text). */
function decode(text: string, _default: unknown, _charset: unknown, type: 'key' | 'value'): string {
  let out: string;
  try {
    out = decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw malformed(`broken percent-encoding in ${type === 'key' ? 'a field name' : 'a value'} ("${text.slice(0, 40)}")`);
  }
  if (type === 'key') refusePrototypeKey(out);
  return out;
}

const QS_OPTIONS: qs.IParseOptions & { decoder: typeof decode } = {
  depth: FORM_MAX_DEPTH,
  strictDepth: true,
  arrayLimit: FORM_MAX_ARRAY,
  parameterLimit: FORM_MAX_PARAMETERS,
  throwOnLimitExceeded: true,
  allowPrototypes: false,
  plainObjects: true,
  allowDots: false,
  charset: 'utf-8',
  charsetSentinel: false,
  interpretNumericEntities: false,
  comma: false,
  duplicates: 'combine',
  decoder: decode,
};

/** qs's prototype-less objects as ordinary ones (the keys are checked already). */
function toPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object') {
    // Object.fromEntries defines own properties: no key can reach a prototype even if one got here.
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => {
        if (k === '__proto__') throw malformed(PROTOTYPE_KEYS);
        return [k, toPlain(x)];
      }),
    );
  }
  return v;
}

/** Parses a form body into the object a JSON body would have been (before type conversion). */
export function parseFormBody(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = qs.parse(text, QS_OPTIONS);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const message = (err as Error).message ?? '';
    if (/parameter limit/i.test(message)) throw malformed(`more than ${FORM_MAX_PARAMETERS} fields`);
    if (/depth/i.test(message)) throw malformed(`field names nest deeper than ${FORM_MAX_DEPTH} brackets`);
    if (/array limit/i.test(message)) throw malformed(`an array is longer than ${FORM_MAX_ARRAY} items (or an index is ${FORM_MAX_ARRAY} or more)`);
    throw malformed(message.slice(0, 200) || 'it cannot be read');
  }
  return toPlain(parsed) as Record<string, unknown>;
}

// The converter: Ajv with coercion, checking nothing that matters (formats are not even looked at);
// allErrors, so that one wrong field does not stop the conversion of the next.
const converter = new Ajv({ coerceTypes: true, allErrors: true, strict: false, validateFormats: false, useDefaults: false, removeAdditional: false, addUsedSchema: false });
const converters = new WeakMap<object, ValidateFunction>();

// Booleans as form-building libraries write them. Ajv's coercion knows only "true"/"false", but
// PHP's http_build_query writes a PHP true as "1" and false as "0", and Python's str(True) /
// requests' data={"enabled": True} sends "True"/"False". A form field the schema types as a boolean
// therefore also takes 1/0 and true/false in any case; anything else ("yes", "on", "2", "") stays a
// string and is refused by the route's validator as before. Forms only: JSON is never coerced.
const FORM_BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

type SchemaNode = Record<string, unknown>;
const isNode = (v: unknown): v is SchemaNode => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The schema and the branches of its anyOf/oneOf/allOf (recursively): where a value may be checked. */
function branches(schema: unknown, out: SchemaNode[] = [], depth = 0): SchemaNode[] {
  if (!isNode(schema) || depth > 16) return out;
  out.push(schema);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) for (const b of list) branches(b, out, depth + 1);
  }
  return out;
}

const typesOf = (node: SchemaNode): unknown[] => (Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type]);
const takesBoolean = (nodes: SchemaNode[]) => nodes.some((n) => typesOf(n).includes('boolean'));
// A field that may also be text (a union with a string, a string const or enum) keeps its text.
const takesText = (nodes: SchemaNode[]) =>
  nodes.some((n) => typesOf(n).includes('string') || typeof n.const === 'string' || (Array.isArray(n.enum) && n.enum.some((e) => typeof e === 'string')));

/** The schemas a property of an object value is checked against. */
function propertySchemas(nodes: SchemaNode[], key: string): SchemaNode[] {
  const out: SchemaNode[] = [];
  for (const n of nodes) {
    const props = n.properties;
    if (isNode(props) && Object.hasOwn(props, key)) {
      branches(props[key], out);
      continue;
    }
    const patterns = n.patternProperties;
    let matched = false;
    if (isNode(patterns)) {
      for (const [pattern, s] of Object.entries(patterns)) {
        try {
          if (new RegExp(pattern, 'u').test(key)) {
            branches(s, out);
            matched = true;
          }
        } catch {
          // A pattern this engine cannot read: no conversion through it.
        }
      }
    }
    if (!matched && isNode(n.additionalProperties)) branches(n.additionalProperties, out);
  }
  return out;
}

/** The schemas an array value's item at `index` is checked against. */
function itemSchemas(nodes: SchemaNode[], index: number): SchemaNode[] {
  const out: SchemaNode[] = [];
  for (const n of nodes) {
    if (Array.isArray(n.prefixItems) && index < n.prefixItems.length) branches(n.prefixItems[index], out);
    else if (isNode(n.items)) branches(n.items, out);
  }
  return out;
}

/** Reads a form boolean ("1", "True", "FALSE", …) where the schema wants a boolean; returns the value. */
function formBooleans(nodes: SchemaNode[], value: unknown, depth: number): unknown {
  if (nodes.length === 0 || depth > FORM_MAX_DEPTH + 2) return value;
  if (typeof value === 'string') {
    if (!takesBoolean(nodes) || takesText(nodes)) return value;
    return FORM_BOOLEANS.get(value.toLowerCase()) ?? value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = formBooleans(itemSchemas(nodes, i), value[i], depth + 1);
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = formBooleans(propertySchemas(nodes, key), record[key], depth + 1);
  }
  return value;
}

/** Converts a form body's strings in place to the types `schema` wants. */
export function convertFormTypes(schema: unknown, body: Record<string, unknown>): void {
  if (schema === null || typeof schema !== 'object') return;
  formBooleans(branches(schema), body, 0);
  let convert = converters.get(schema);
  if (!convert) {
    try {
      convert = converter.compile(schema);
    } catch {
      // A schema this converter cannot read: no conversion, and Fastify's validator refuses the
      // strings with a 400, rather than a form answering 500.
      convert = (() => true) as unknown as ValidateFunction;
    }
    converters.set(schema, convert);
  }
  convert(body);
}

function formSchemaOf(request: FastifyRequest): unknown {
  return request.routeOptions.config?.formFields ?? request.routeOptions.schema?.body;
}

/**
 * Registers the form parser in a Partner API scope. `bodyLimit` only where a route family keeps a
 * smaller limit for forms (the token route); otherwise each route's own limit applies.
 */
export function addFormBodyParser(scope: FastifyInstance, opts: { bodyLimit?: number } = {}): void {
  if (scope.hasContentTypeParser(FORM_CONTENT_TYPE)) scope.removeContentTypeParser(FORM_CONTENT_TYPE);
  scope.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string', ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}) }, (request, text, done) => {
    try {
      const body = parseFormBody(text as string);
      convertFormTypes(formSchemaOf(request), body);
      done(null, body);
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/**
 * Partner API routes with a body list both content types in the OpenAPI document, as token.ts
 * does by hand; as a hook, so that a new route cannot forget it.
 */
export function documentFormBodies(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    const schema = route.schema as ({ body?: unknown; consumes?: string[] } & Record<string, unknown>) | undefined;
    if (schema?.body !== undefined && schema.consumes === undefined) schema.consumes = ['application/json', FORM_CONTENT_TYPE];
  });
}
