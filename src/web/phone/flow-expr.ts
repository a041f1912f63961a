// Dynamic values of a Flow JSON, as the sandbox phone resolves them: references `${data.x}` (the
// screen's data), `${form.x}` (what the user entered on this screen) and the global
// `${screen.SCREEN.data.x}` / `${screen.SCREEN.form.x}` (Flow JSON 4.0+), inside any string of a
// component or an action payload; and the conditions of If components (`${form.age} >= 18 &&
// ${data.ok}`, `!${form.opt_in}`, `${data.kind} == 'pro'`). What is not understood resolves to
// undefined (a reference) or is reported as not simulated (a condition): never thrown past here.

export type Values = Record<string, unknown>;

export interface Scope {
  data: Values;
  form: Values;
  /** Screens the user went through (and the current one), for global references. */
  screens: Record<string, { data?: Values; form?: Values }>;
}

const REF = /\$\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)\s*\}/g;
const WHOLE_REF = /^\s*\$\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)\s*\}\s*$/;
/** How deep resolve() follows nested arrays and objects of a payload. */
const MAX_DEPTH = 32;

const own = (o: unknown, k: string): unknown =>
  o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k) ? (o as Values)[k] : undefined;

/** The value a reference path (`data.a.b`, `form.x`, `screen.S.form.x`) names, or undefined. */
export function lookup(path: string, scope: Scope): unknown {
  const parts = path.split('.');
  let v: unknown;
  let rest: string[];
  if (parts[0] === 'data' || parts[0] === 'form') {
    v = parts[0] === 'data' ? scope.data : scope.form;
    rest = parts.slice(1);
  } else if (parts[0] === 'screen' && parts.length >= 4 && (parts[2] === 'data' || parts[2] === 'form')) {
    v = own(own(scope.screens, parts[1]!), parts[2]!);
    rest = parts.slice(3);
  } else return undefined;
  for (const k of rest) v = Array.isArray(v) && /^\d+$/.test(k) ? v[Number(k)] : own(v, k);
  return v;
}

function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(asText).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A string with its references resolved: one whole reference gives its value (any type); references inside text give text. */
export function resolveString(s: string, scope: Scope): unknown {
  const whole = WHOLE_REF.exec(s);
  if (whole) return lookup(whole[1]!, scope);
  if (!s.includes('${')) return s;
  // Flow JSON 6.0 writes text with embedded references between backticks: `Hello ${data.name}`.
  const text = s.length >= 2 && s.startsWith('`') && s.endsWith('`') ? s.slice(1, -1) : s;
  return text.replace(REF, (_m, path: string) => asText(lookup(path, scope)));
}

/** A value (a payload, a data source …) with every string in it resolved. */
export function resolve(v: unknown, scope: Scope, depth = 0): unknown {
  if (typeof v === 'string') return resolveString(v, scope);
  if (depth >= MAX_DEPTH || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => resolve(x, scope, depth + 1));
  const out: Values = {};
  for (const [k, x] of Object.entries(v as Values)) out[k] = resolve(x, scope, depth + 1);
  return out;
}

/** A property as text (labels, headings): resolved, then shown as text. */
export function text(v: unknown, scope: Scope): string {
  return asText(resolve(v, scope));
}

/** A boolean property (required, visible, enabled …), possibly a reference or a condition string; `fallback` when absent. */
export function flag(v: unknown, scope: Scope, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const c = condition(v, scope);
    return c.ok ? c.value : fallback;
  }
  return truthy(v);
}

export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v) && v !== 'false';
}

// ---- conditions ------------------------------------------------------------------------------

type Token = { t: 'val'; v: unknown } | { t: 'op'; v: string };

const OPS = ['==', '!=', '>=', '<=', '&&', '||', '>', '<', '!', '(', ')'];

function tokenize(src: string, scope: Scope): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (src.startsWith('${', i)) {
      const end = src.indexOf('}', i);
      if (end < 0) return undefined;
      const m = /^\$\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)\s*\}$/.exec(src.slice(i, end + 1));
      if (!m) return undefined;
      out.push({ t: 'val', v: lookup(m[1]!, scope) });
      i = end + 1;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = src.indexOf(ch, i + 1);
      if (end < 0) return undefined;
      out.push({ t: 'val', v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'val', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const word = /^(true|false|null)\b/.exec(src.slice(i));
    if (word) {
      out.push({ t: 'val', v: word[1] === 'true' ? true : word[1] === 'false' ? false : null });
      i += word[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) return undefined;
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  return out;
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (op === '==' || op === '!=') {
    const same = typeof a === 'number' || typeof b === 'number' ? Number(a) === Number(b) : a === b || (a ?? null) === (b ?? null);
    return op === '==' ? same : !same;
  }
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return false;
  return op === '>' ? x > y : op === '>=' ? x >= y : op === '<' ? x < y : x <= y;
}

/** A condition's value; ok false when the sandbox cannot read it (the caller says it is not simulated). */
export function condition(src: string, scope: Scope): { ok: true; value: boolean } | { ok: false } {
  if (src.length > 2000) return { ok: false };
  const tokens = tokenize(src, scope);
  if (!tokens || tokens.length === 0) return { ok: false };
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos];
  const isOp = (v: string) => peek()?.t === 'op' && peek()!.v === v;
  // or := and ('||' and)* ; and := cmp ('&&' cmp)* ; cmp := unary (op unary)? ; unary := '!' unary | '(' or ')' | value
  function unary(): unknown {
    if (++depth > 64) throw new Error('too deep');
    try {
      if (isOp('!')) {
        pos++;
        return !truthy(unary());
      }
      if (isOp('(')) {
        pos++;
        const v = or();
        if (!isOp(')')) throw new Error('missing )');
        pos++;
        return v;
      }
      const tok = peek();
      if (tok?.t !== 'val') throw new Error('value expected');
      pos++;
      return tok.v;
    } finally {
      depth--;
    }
  }
  function cmp(): unknown {
    const left = unary();
    const tok = peek();
    if (tok?.t === 'op' && ['==', '!=', '>', '>=', '<', '<='].includes(tok.v)) {
      pos++;
      return compare(left, tok.v, unary());
    }
    return left;
  }
  function and(): unknown {
    let v = cmp();
    while (isOp('&&')) {
      pos++;
      const r = cmp();
      v = truthy(v) && truthy(r);
    }
    return v;
  }
  function or(): unknown {
    let v = and();
    while (isOp('||')) {
      pos++;
      const r = and();
      v = truthy(v) || truthy(r);
    }
    return v;
  }
  try {
    const v = or();
    if (pos !== tokens.length) return { ok: false };
    return { ok: true, value: truthy(v) };
  } catch {
    return { ok: false };
  }
}
