// The samples a new template gives for Meta's review: a value for each placeholder of a text, and
// a media header's upload handle. Shared by the template's own components (components.ts) and
// the cards of a carousel (carousel.ts).
import { arr, fail, obj, onlyKeys, str, type Obj } from '../validate/check.ts';
import type { PlaceholderInfo } from './placeholders.ts';

/** Examples of a text's placeholders: `{<kind>_text: [...]}` or `{<kind>_text_named_params: [...]}`. */
export function textExamples(c: Obj, f: string, info: PlaceholderInfo, kind: 'header' | 'body'): Obj | undefined {
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

/** A media header's sample: Meta's upload handle (any non-empty string in the sandbox). */
export function headerHandle(c: Obj, f: string): Obj {
  const ex = obj(c.example, `${f}.example`);
  onlyKeys(ex, `${f}.example`, ['header_handle']);
  const handles = arr(ex.header_handle, `${f}.example.header_handle`, { min: 1, max: 1 });
  return { header_handle: [str(handles[0], `${f}.example.header_handle[0]`, { max: 2048 })] };
}
