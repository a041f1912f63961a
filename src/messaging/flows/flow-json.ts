// The sandbox's check of a Flow JSON asset, closer to Meta's Flow JSON validator: valid JSON, a
// supported `version`, screens with well-formed unique ids, layouts of known components, a
// terminal screen with a Footer, navigate actions and a routing_model that name existing screens,
// an endpoint (`data_api_version`) where the flow exchanges data (flow-json-screens.ts and
// flow-json-components.ts say what each rule is). Meta checks more (each component's properties
// and limits, which components a version has); those are left out rather than guessed at.
// What is wrong is reported as Meta reports it — entries of `validation_errors` in a 200 answer,
// with Meta's error names, line and column, and a pointer to the JSON path — and kept on the
// flow, where they stop its publication until a corrected asset is uploaded.
//
// A 10 MB hostile file costs one parse and bounded walks: at most 50 problems are made (the walk
// stops there), containers nest at most MAX_NESTING deep, and positions are found in one scan.
import { jsonDepthExceededAt } from '../../http/json-depth.ts';
import { jsonErrorOffset } from './json-error-position.ts';
import { lineColumns, locatePaths } from './flow-json-positions.ts';
import { at, pathText, Problems, segmentsOf, shown, typeName, type FlowValidationError } from './flow-json-problems.ts';
import { checkRoutingModel, checkScreens } from './flow-json-screens.ts';
import { isObj } from '../validate/check.ts';

export type { FlowValidationError } from './flow-json-problems.ts';

/** Meta: "The size is limited to 10 MB". */
export const MAX_FLOW_JSON_BYTES = 10 * 1024 * 1024;
/**
 * How deep arrays and objects may nest in a Flow JSON: far more than a flow needs (components nest
 * at most MAX_NESTING containers, a few levels each; screen data a few more), far less than what
 * makes parsing and reporting costly.
 */
const MAX_JSON_DEPTH = 128;
/** How many problems one answer lists: enough to fix a batch, not a megabyte of them. */
const MAX_ERRORS = 50;

export interface CheckedFlowJson {
  /** The asset as text, to keep; null when it cannot be kept as text (not UTF-8, or a NUL in it). */
  text: string | null;
  jsonVersion: string | null;
  dataApiVersion: string | null;
  errors: FlowValidationError[];
}


/**
 * The Flow JSON versions Meta takes, as far as this list knows (Meta's changelog: 1.x and 2.0
 * have expired; 7.x is current at the time of writing). A newer Meta version is refused until it
 * is added here: the sandbox cannot know what it would contain.
 */
export const FLOW_JSON_VERSIONS = ['2.1', '3.0', '3.1', '4.0', '5.0', '5.1', '6.0', '6.1', '6.2', '6.3', '7.0', '7.1', '7.2', '7.3'] as const;
/** Meta's data API versions (2.0 has expired). */
export const DATA_API_VERSIONS = ['3.0'] as const;

const syntaxError = (message: string, at?: { line: number; column: number }): FlowValidationError => ({
  error: 'INVALID_FLOW_JSON',
  error_type: 'FLOW_JSON_ERROR',
  message,
  ...(at ? { line_start: at.line, line_end: at.line, column_start: at.column, column_end: at.column } : {}),
});

function parseError(text: string, e: unknown): FlowValidationError {
  const offset = jsonErrorOffset(text);
  const at = offset >= 0 ? lineColumns(text, [offset]).get(offset) : undefined;
  // A text nested deeper than the parser's stack is a RangeError: say so without the engine's words.
  const why = e instanceof RangeError ? 'arrays and objects nest too deeply' : (e instanceof Error ? e.message : String(e)).slice(0, 300);
  return syntaxError(`Flow JSON is not valid JSON${at ? ` (line ${at.line}, column ${at.column})` : ''}: ${why}`, at);
}

/** A Flow JSON version: "major.minor", one of FLOW_JSON_VERSIONS; the version when it is. */
function checkVersion(v: unknown, p: Problems): string | null {
  const path = at(null, 'version');
  if (v === undefined) {
    p.add('MISSING_FLOW_JSON_VERSION', 'Flow JSON version is not specified: the top-level property "version" (e.g. "7.0") is required');
    return null;
  }
  if (typeof v !== 'string' || !/^\d{1,3}\.\d{1,3}$/.test(v)) {
    p.add('INVALID_FLOW_JSON_VERSION', `Invalid Flow JSON version: "version" must be a string such as "7.0" (got ${shown(v)})`, path);
    return null;
  }
  if ((FLOW_JSON_VERSIONS as readonly string[]).includes(v)) return v;
  const expired = Number(v.split('.')[0]) < 2 || v === '2.0';
  p.add(
    'UNSUPPORTED_FLOW_JSON_VERSION',
    `Unsupported Flow JSON version: ${v} ${expired ? 'has expired' : 'is not a Flow JSON version'}; use a current version such as "7.0" (supported: ${FLOW_JSON_VERSIONS.join(', ')})`,
    path,
  );
  return null;
}

/** The top-level properties that concern an endpoint: data_api_version and the older data_channel_uri. */
function checkEndpointProperties(doc: Record<string, unknown>, version: string | null, p: Problems): string | null {
  let dataApiVersion: string | null = null;
  const v = doc.data_api_version;
  if (v !== undefined) {
    if (typeof v === 'string' && (DATA_API_VERSIONS as readonly string[]).includes(v)) dataApiVersion = v;
    else p.add('INVALID_PROPERTY_VALUE', `Invalid value found for property "data_api_version": ${shown(v)}; it must be a string, one of ${DATA_API_VERSIONS.map((d) => `"${d}"`).join(', ')}`, at(null, 'data_api_version'));
  }
  // Meta: data_channel_uri is not supported from Flow JSON 3.0; the endpoint is the flow's endpoint_uri.
  if (doc.data_channel_uri !== undefined && version !== null && Number(version.split('.')[0]) >= 3) {
    p.add('INVALID_PROPERTY_VALUE', `Property "data_channel_uri" is not supported from Flow JSON version 3.0: set the flow's endpoint_uri (POST …/flows/{flow_id}) instead`, at(null, 'data_channel_uri'));
  }
  return dataApiVersion;
}

/** The problems as Meta's validation errors: each with the line and column of its path, and a pointer to it. */
function located(text: string, problems: Problems): FlowValidationError[] {
  const withPath = problems.list.filter((x) => x.path);
  const spans = locatePaths(
    text,
    withPath.map((x) => segmentsOf(x.path!)),
  );
  const offsets: number[] = [];
  for (const s of spans) if (s) offsets.push(s.start, Math.max(s.start, s.end - 1));
  const lc = lineColumns(text, offsets);
  const spanOf = new Map(withPath.map((x, i) => [x, spans[i]]));
  return problems.list.map((x) => {
    if (!x.path) return x.error;
    const span = spanOf.get(x);
    const start = span && lc.get(span.start);
    const end = span && lc.get(Math.max(span.start, span.end - 1));
    const position = start && end ? { line_start: start.line, line_end: end.line, column_start: start.column, column_end: end.column } : {};
    return { ...x.error, ...position, pointers: [{ ...position, path: pathText(x.path) }] };
  });
}

/** Checks an uploaded Flow JSON file (its bytes, already within MAX_FLOW_JSON_BYTES). */
export function checkFlowJson(bytes: Buffer): CheckedFlowJson {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { text: null, jsonVersion: null, dataApiVersion: null, errors: [syntaxError('Flow JSON is not valid JSON: the file is not UTF-8 text')] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // PostgreSQL text cannot hold NUL; a raw NUL is not valid JSON anyway (an escaped \u0000 is).
  const storable = text.includes('\u0000') ? null : text;
  // Nested deeper than any Flow JSON is: refused before the parse, which would build it all
  // (10 MB of "[" takes seconds and hundreds of MB) for checks that could not use it.
  const tooDeep = jsonDepthExceededAt(text, MAX_JSON_DEPTH);
  if (tooDeep >= 0) {
    const at = lineColumns(text, [tooDeep]).get(tooDeep);
    return { text: storable, jsonVersion: null, dataApiVersion: null, errors: [syntaxError(`Flow JSON arrays and objects nest deeper than ${MAX_JSON_DEPTH} levels${at ? ` (line ${at.line}, column ${at.column})` : ''}`, at)] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { text: storable, jsonVersion: null, dataApiVersion: null, errors: [parseError(text, e)] };
  }
  const problems = new Problems(MAX_ERRORS);
  if (!isObj(doc)) {
    problems.add('INVALID_PROPERTY_TYPE', `Expected the Flow JSON to be an object but found ${typeName(doc)}`);
    return { text: storable, jsonVersion: null, dataApiVersion: null, errors: located(text, problems) };
  }
  const jsonVersion = checkVersion(doc.version, problems);
  // Whether the flow uses an endpoint is read before the screens, whose data_exchange actions need one.
  const usesEndpoint = doc.data_api_version !== undefined;
  const screenIds = checkScreens(doc.screens, usesEndpoint, problems, jsonVersion);
  const dataApiVersion = checkEndpointProperties(doc, jsonVersion, problems);
  if (screenIds) checkRoutingModel(doc.routing_model, screenIds, usesEndpoint, problems);
  return { text: storable, jsonVersion, dataApiVersion, errors: located(text, problems) };
}
