// The sandbox's check of a Flow JSON asset: a JSON object with a `version` and a non-empty
// `screens` array whose screens have unique ids. Meta checks far more (components, routing model,
// actions); these are the mistakes a hand-written or generated asset makes first. What is wrong is
// reported as Meta reports it — entries of `validation_errors` in a 200 answer, with Meta's error
// names (INVALID_FLOW_JSON, MISSING_FLOW_JSON_VERSION, …) — and kept on the flow, where they stop
// its publication until a corrected asset is uploaded.
import { jsonErrorOffset } from './json-error-position.ts';

/** Meta: "The size is limited to 10 MB". */
export const MAX_FLOW_JSON_BYTES = 10 * 1024 * 1024;
/** How many problems one answer lists: enough to fix a batch, not a megabyte of them. */
const MAX_ERRORS = 50;

export interface FlowValidationError {
  error: string;
  error_type: 'FLOW_JSON_ERROR';
  message: string;
  line_start?: number;
  line_end?: number;
  column_start?: number;
  column_end?: number;
}

export interface CheckedFlowJson {
  /** The asset as text, to keep; null when it cannot be kept as text (not UTF-8, or a NUL in it). */
  text: string | null;
  jsonVersion: string | null;
  dataApiVersion: string | null;
  errors: FlowValidationError[];
}

const err = (error: string, message: string, at?: { line: number; column: number }): FlowValidationError => ({
  error,
  error_type: 'FLOW_JSON_ERROR',
  message,
  ...(at ? { line_start: at.line, line_end: at.line, column_start: at.column, column_end: at.column } : {}),
});

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function parseError(text: string, e: unknown): FlowValidationError {
  const offset = jsonErrorOffset(text);
  const at = offset >= 0 ? lineColumn(text, offset) : undefined;
  // A text nested deeper than the parser's stack is a RangeError: say so without the engine's words.
  const why = e instanceof RangeError ? 'arrays and objects nest too deeply' : (e instanceof Error ? e.message : String(e)).slice(0, 300);
  return err('INVALID_FLOW_JSON', `Flow JSON is not valid JSON${at ? ` (line ${at.line}, column ${at.column})` : ''}: ${why}`, at);
}

/** A Flow JSON version: "major.minor" (Meta's versions run from 2.1; older ones have expired). */
function versionErrors(v: unknown): FlowValidationError[] {
  if (v === undefined) return [err('MISSING_FLOW_JSON_VERSION', 'Flow JSON version is not specified: the top-level property "version" (e.g. "7.0") is required')];
  if (typeof v !== 'string' || !/^\d{1,3}\.\d{1,3}$/.test(v)) {
    return [err('INVALID_FLOW_JSON_VERSION', `Invalid Flow JSON version: "version" must be a string such as "7.0" (got ${JSON.stringify(v)?.slice(0, 40) ?? typeName(v)})`)];
  }
  if (Number(v.split('.')[0]) < 2) return [err('UNSUPPORTED_FLOW_JSON_VERSION', `Unsupported Flow JSON version: ${v} has expired; use a current version such as "7.0"`)];
  return [];
}

function screenErrors(screens: unknown, budget: number): FlowValidationError[] {
  if (screens === undefined) return [err('MISSING_REQUIRED_TYPE_PROPERTY', 'Required property "screens" is missing')];
  if (!Array.isArray(screens)) return [err('INVALID_PROPERTY_TYPE', `Expected "screens" to be array but found ${typeName(screens)}`)];
  if (screens.length === 0) return [err('MIN_ITEMS_REQUIRED', 'Property "screens" should have at least 1 item')];
  const out: FlowValidationError[] = [];
  const seen = new Map<string, number>();
  // At most `budget` errors are made: a file of a million bad screens must not build a million
  // error objects (memory, and seconds of a blocked event loop) to show the first 50.
  for (let i = 0; i < screens.length && out.length < budget; i++) {
    const s: unknown = screens[i];
    const at = `screens[${i}]`;
    if (!isObj(s)) {
      out.push(err('INVALID_PROPERTY_TYPE', `Expected ${at} to be object but found ${typeName(s)}`));
      continue;
    }
    if (s.id === undefined) out.push(err('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "id" is missing at ${at}`));
    else if (typeof s.id !== 'string' || s.id === '') out.push(err('INVALID_PROPERTY_TYPE', `Expected ${at}.id to be a non-empty string but found ${typeName(s.id)}`));
    else if (seen.has(s.id)) out.push(err('INVALID_PROPERTY_VALUE', `Screen id "${s.id.slice(0, 80)}" at ${at}.id is already used by screens[${seen.get(s.id)}]; screen ids must be unique`));
    else seen.set(s.id, i);
  }
  return out;
}

/** Checks an uploaded Flow JSON file (its bytes, already within MAX_FLOW_JSON_BYTES). */
export function checkFlowJson(bytes: Buffer): CheckedFlowJson {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { text: null, jsonVersion: null, dataApiVersion: null, errors: [err('INVALID_FLOW_JSON', 'Flow JSON is not valid JSON: the file is not UTF-8 text')] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // PostgreSQL text cannot hold NUL; a raw NUL is not valid JSON anyway (an escaped \u0000 is).
  const storable = text.includes('\u0000') ? null : text;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { text: storable, jsonVersion: null, dataApiVersion: null, errors: [parseError(text, e)] };
  }
  if (!isObj(doc)) {
    return { text: storable, jsonVersion: null, dataApiVersion: null, errors: [err('INVALID_PROPERTY_TYPE', `Expected the Flow JSON to be an object but found ${typeName(doc)}`)] };
  }
  const versionProblems = versionErrors(doc.version);
  const errors = [...versionProblems, ...screenErrors(doc.screens, MAX_ERRORS - versionProblems.length)];
  const jsonVersion = versionProblems.length === 0 ? (doc.version as string) : null;
  let dataApiVersion: string | null = null;
  if (doc.data_api_version !== undefined) {
    if (typeof doc.data_api_version === 'string' && /^\d{1,3}\.\d{1,3}$/.test(doc.data_api_version)) dataApiVersion = doc.data_api_version;
    else errors.push(err('INVALID_PROPERTY_VALUE', `Invalid value found for property "data_api_version": it must be a string such as "3.0"`));
  }
  if (errors.length > MAX_ERRORS) errors.splice(MAX_ERRORS);
  return { text: storable, jsonVersion, dataApiVersion, errors };
}
