// The components of a new template, checked against Meta's rules and stored as Meta returns them
// (upper-case types, canonical order HEADER, BODY, FOOTER, BUTTONS). Every violation is a 400
// naming the field, e.g. `components[1].text: must be at most 1024 characters (got 1100)`.
import { arr, bool, fail, isObj, obj, oneOf, onlyKeys, str, type Obj } from '../validate/check.ts';
import { buttonsComponent, expiryMinutes } from './buttons.ts';
import { analyzePlaceholders, type ParameterFormat, type PlaceholderInfo } from './placeholders.ts';

export const COMPONENT_TYPES = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'] as const;
export const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'] as const;

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

export interface CheckedComponents {
  components: Obj[];
  /** The kind of placeholders used (header and body agree), or null when there are none. */
  parameterFormat: ParameterFormat | null;
}

/** Examples of a text's placeholders: `{<kind>_text: [...]}` or `{<kind>_text_named_params: [...]}`. */
function examples(c: Obj, f: string, info: PlaceholderInfo, kind: 'header' | 'body'): Obj | undefined {
  if (info.format === null) return undefined;
  const ex = obj(c.example, `${f}.example`);
  if (info.format === 'POSITIONAL') {
    const key = `${kind}_text`;
    onlyKeys(ex, `${f}.example`, [key]);
    if (kind === 'header') {
      const list = arr(ex[key], `${f}.example.${key}`, { min: 1, max: 1 });
      return { [key]: [str(list[0], `${f}.example.${key}[0]`, { max: 60 })] };
    }
    // body_text is a list holding one list: a sample value for each {{n}}, in order.
    const outer = arr(ex[key], `${f}.example.${key}`, { min: 1, max: 1 });
    const values = arr(outer[0], `${f}.example.${key}[0]`, { min: info.names.length, max: info.names.length });
    return { [key]: [values.map((v, i) => str(v, `${f}.example.${key}[0][${i}]`, { max: 1024 }))] };
  }
  const key = `${kind}_text_named_params`;
  onlyKeys(ex, `${f}.example`, [key]);
  const list = arr(ex[key], `${f}.example.${key}`, { min: info.names.length, max: info.names.length });
  const seen = new Set<string>();
  const out = list.map((p, i) => {
    const o = obj(p, `${f}.example.${key}[${i}]`);
    onlyKeys(o, `${f}.example.${key}[${i}]`, ['param_name', 'example']);
    const name = str(o.param_name, `${f}.example.${key}[${i}].param_name`, { max: 100 });
    if (!info.names.includes(name)) throw fail(`${f}.example.${key}[${i}].param_name`, `"${name}" is not a placeholder of the text (placeholders: ${info.names.join(', ')})`);
    if (seen.has(name)) throw fail(`${f}.example.${key}[${i}].param_name`, `"${name}" is given twice`);
    seen.add(name);
    return { param_name: name, example: str(o.example, `${f}.example.${key}[${i}].example`, { max: 1024 }) };
  });
  return { [key]: out };
}

function header(c: Obj, f: string): { comp: Obj; info: PlaceholderInfo | null } {
  onlyKeys(c, f, ['type', 'format', 'text', 'example']);
  const format = oneOf(upper(c.format), `${f}.format`, HEADER_FORMATS);
  if (format === 'TEXT') {
    const text = str(c.text, `${f}.text`, { max: 60 });
    const info = analyzePlaceholders(text, `${f}.text`);
    if (info.names.length > 1) throw fail(`${f}.text`, `a text header may hold at most one placeholder (found ${info.names.length})`);
    const example = examples(c, f, info, 'header');
    if (!example && c.example !== undefined) throw fail(`${f}.example`, 'is only allowed when the text has a placeholder');
    return { comp: { type: 'HEADER', format, text, ...(example ? { example } : {}) }, info };
  }
  if (c.text !== undefined) throw fail(`${f}.text`, `is only allowed for TEXT headers (this one is ${format})`);
  if (format === 'LOCATION') {
    if (c.example !== undefined) throw fail(`${f}.example`, 'is not allowed for LOCATION headers');
    return { comp: { type: 'HEADER', format }, info: null };
  }
  // Media headers need a sample: Meta's upload handle (any non-empty string in the sandbox).
  const ex = obj(c.example, `${f}.example`);
  onlyKeys(ex, `${f}.example`, ['header_handle']);
  const handles = arr(ex.header_handle, `${f}.example.header_handle`, { min: 1, max: 1 });
  return { comp: { type: 'HEADER', format, example: { header_handle: [str(handles[0], `${f}.example.header_handle[0]`, { max: 2048 })] } }, info: null };
}

export const AUTH_BODY = '*{{1}}* is your verification code.';
export const AUTH_SECURITY = ' For your security, do not share this code.';

function body(c: Obj, f: string, category: string): { comp: Obj; info: PlaceholderInfo } {
  if (category === 'AUTHENTICATION') {
    // Meta writes the text of authentication templates itself; the code is {{1}}.
    onlyKeys(c, f, ['type', 'add_security_recommendation']);
    const security = bool(c.add_security_recommendation, `${f}.add_security_recommendation`) ?? false;
    const text = AUTH_BODY + (security ? AUTH_SECURITY : '');
    return { comp: { type: 'BODY', text, add_security_recommendation: security }, info: analyzePlaceholders(text, `${f}.text`) };
  }
  onlyKeys(c, f, ['type', 'text', 'example']);
  const text = str(c.text, `${f}.text`, { max: 1024 });
  const info = analyzePlaceholders(text, `${f}.text`);
  const example = examples(c, f, info, 'body');
  if (!example && c.example !== undefined) throw fail(`${f}.example`, 'is only allowed when the text has placeholders');
  return { comp: { type: 'BODY', text, ...(example ? { example } : {}) }, info };
}

function footer(c: Obj, f: string, category: string): Obj {
  if (category === 'AUTHENTICATION') {
    onlyKeys(c, f, ['type', 'code_expiration_minutes']);
    const minutes = expiryMinutes(c.code_expiration_minutes, `${f}.code_expiration_minutes`);
    return { type: 'FOOTER', text: `This code expires in ${minutes} minutes.`, code_expiration_minutes: minutes };
  }
  onlyKeys(c, f, ['type', 'text']);
  const text = str(c.text, `${f}.text`, { max: 60 });
  if (/\{\{.*?\}\}/.test(text)) throw fail(`${f}.text`, 'a footer may not hold placeholders');
  return { type: 'FOOTER', text };
}

export function checkComponents(v: unknown, f: string, category: string, declared?: ParameterFormat): CheckedComponents {
  const list = arr(v, f, { min: 1, max: COMPONENT_TYPES.length });
  const byType = new Map<string, Obj>();
  const formats: { field: string; format: ParameterFormat }[] = [];
  list.forEach((raw, i) => {
    const cf = `${f}[${i}]`;
    if (!isObj(raw)) throw fail(cf, 'must be an object');
    const type = oneOf(upper(raw.type), `${cf}.type`, COMPONENT_TYPES);
    if (byType.has(type)) throw fail(`${cf}.type`, `a template has at most one ${type} component`);
    let comp: Obj;
    if (type === 'HEADER') {
      if (category === 'AUTHENTICATION') throw fail(`${cf}.type`, 'AUTHENTICATION templates have no HEADER');
      const h = header(raw, cf);
      if (h.info?.format) formats.push({ field: `${cf}.text`, format: h.info.format });
      comp = h.comp;
    } else if (type === 'BODY') {
      const b = body(raw, cf, category);
      if (b.info.format && category !== 'AUTHENTICATION') formats.push({ field: `${cf}.text`, format: b.info.format });
      comp = b.comp;
    } else if (type === 'FOOTER') comp = footer(raw, cf, category);
    else comp = buttonsComponent(raw, cf, category);
    byType.set(type, comp);
  });
  if (!byType.has('BODY')) throw fail(f, 'must include a BODY component');
  if (category === 'AUTHENTICATION') {
    const otp = (byType.get('BUTTONS')?.buttons as Obj[] | undefined)?.some((b) => b.type === 'OTP');
    if (!otp) throw fail(f, 'AUTHENTICATION templates need a BUTTONS component with one OTP button');
  }
  let parameterFormat: ParameterFormat | null = null;
  for (const x of formats) {
    if (parameterFormat && x.format !== parameterFormat) throw fail(x.field, 'uses another kind of placeholder than the rest of the template ({{1}} or {{name}}, not both)');
    parameterFormat = x.format;
  }
  if (category === 'AUTHENTICATION') parameterFormat = 'POSITIONAL';
  if (declared && parameterFormat && declared !== parameterFormat) {
    throw fail('parameter_format', `is ${declared} but the placeholders are ${parameterFormat === 'NAMED' ? 'named ({{name}})' : 'numbered ({{1}})'}`);
  }
  return { components: COMPONENT_TYPES.filter((t) => byType.has(t)).map((t) => byType.get(t)!), parameterFormat };
}
