// What the Flow JSON check reports, in Meta's shape: entries of `validation_errors`, each
//   {error, error_type: "FLOW_JSON_ERROR", message, line_start, line_end, column_start, column_end,
//    pointers: [{line_start, line_end, column_start, column_end, path: "screens[0].layout.children[0].type"}]}
// as Meta's Flows API documents them. Lines and columns are 1-based; a range's end is the column of
// its last character. A syntax error has a position and no pointer; a structural one names the
// JSON path of what is wrong (the value itself, or the object a required property is missing
// from), located in the text after the check (flow-json-positions.ts).

export interface FlowErrorPosition {
  line_start: number;
  line_end: number;
  column_start: number;
  column_end: number;
}

export interface FlowErrorPointer extends Partial<FlowErrorPosition> {
  /** Meta's notation: `screens[0].layout.children[1].on-click-action.next.name`. */
  path: string;
}

export interface FlowValidationError extends Partial<FlowErrorPosition> {
  error: string;
  error_type: 'FLOW_JSON_ERROR';
  message: string;
  pointers?: FlowErrorPointer[];
}

/** A JSON path as a chain, so that walking a million components builds no million arrays. */
export interface JsonPath {
  readonly parent: JsonPath | null;
  readonly seg: string | number;
}

export const ROOT: JsonPath | null = null;
export const at = (parent: JsonPath | null, seg: string | number): JsonPath => ({ parent, seg });

export function segmentsOf(path: JsonPath | null): (string | number)[] {
  const out: (string | number)[] = [];
  for (let p = path; p; p = p.parent) out.push(p.seg);
  return out.reverse();
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `screens[0].layout.children[1].type`; an unusual key (a routing_model's) as `["…"]`. */
export function pathText(path: JsonPath | null): string {
  let s = '';
  for (const seg of segmentsOf(path)) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) s += s === '' ? seg : `.${seg}`;
    else s += `[${JSON.stringify(seg.length > 80 ? `${seg.slice(0, 80)}…` : seg)}]`;
  }
  return s;
}

/**
 * A value quoted for a message, cut short. An array or object is named, not written out: it may be
 * the whole 10 MB document (once per problem), or nested deeper than JSON.stringify's stack.
 */
export function shown(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === 'object') return 'an object';
  const s = typeof v === 'string' ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v) : JSON.stringify(v);
  return s === undefined ? typeof v : s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

export const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export interface Problem {
  error: FlowValidationError;
  /** Where in the document: located in the text once the check is done. */
  path?: JsonPath | null;
}

/**
 * The problems found so far, at most `max`: once full, the check stops walking, so a file of a
 * million bad screens builds no million error objects (memory, and seconds of a blocked event
 * loop) to show the first 50.
 */
export class Problems {
  readonly list: Problem[] = [];
  constructor(readonly max: number) {}

  get full(): boolean {
    return this.list.length >= this.max;
  }

  add(error: string, message: string, path?: JsonPath | null): void {
    if (this.full) return;
    this.list.push({ error: { error, error_type: 'FLOW_JSON_ERROR', message }, path });
  }
}
