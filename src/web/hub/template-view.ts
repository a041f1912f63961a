// A stored template's components as the Hub's template page shows them: header, body, footer and
// buttons with their placeholders marked, and each placeholder with its example. Texts are cut
// into plain and placeholder pieces here so that the view escapes every piece (`<%= %>`) and
// never prints stored text as HTML.

/** A piece of a text: plain, or a placeholder such as `{{1}}` (shown marked). */
export interface Piece {
  text: string;
  placeholder: boolean;
}

export interface ShownButton {
  type: string;
  text: string;
  /** The button's other fields (url, phone_number, example, otp_type, flow_id …), in stored order. */
  fields: { name: string; pieces: Piece[] }[];
}

export interface ShownPlaceholder {
  /** `{{1}}` or `{{order_id}}`. */
  token: string;
  /** Where it stands: Header, Body, button 1 … */
  where: string;
  example: string;
}

export interface ShownComponents {
  header?: { format: string; pieces: Piece[]; media?: string };
  body?: Piece[];
  footer?: Piece[];
  buttons: ShownButton[];
  placeholders: ShownPlaceholder[];
}

type Stored = Record<string, unknown>;

const TOKEN = /\{\{.*?\}\}/g;

export function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (m.index > at) out.push({ text: text.slice(at, m.index), placeholder: false });
    out.push({ text: m[0], placeholder: true });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at), placeholder: false });
  return out;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const tokensOf = (text: string) => [...new Set([...text.matchAll(TOKEN)].map((m) => m[0]))];

/**
 * Examples of a header's or body's placeholders, from the stored `example`: positional values in
 * order ({{1}} first), or named ones by `param_name`.
 */
function examplesOf(c: Stored, kind: 'header' | 'body', where: string): ShownPlaceholder[] {
  const text = str(c.text);
  const ex = (c.example ?? {}) as Stored;
  const named = Array.isArray(ex[`${kind}_text_named_params`]) ? (ex[`${kind}_text_named_params`] as Stored[]) : undefined;
  const positional = ex[`${kind}_text`];
  const values: unknown[] = kind === 'body' ? (Array.isArray(positional) && Array.isArray(positional[0]) ? positional[0] : []) : Array.isArray(positional) ? positional : [];
  return tokensOf(text).map((token) => {
    const inner = token.slice(2, -2).trim();
    const example = named ? named.find((p) => p.param_name === inner)?.example : /^\d+$/.test(inner) ? values[Number(inner) - 1] : undefined;
    return { token, where, example: str(example) };
  });
}

export function showComponents(components: unknown[]): ShownComponents {
  const shown: ShownComponents = { buttons: [], placeholders: [] };
  for (const raw of components) {
    const c = (raw ?? {}) as Stored;
    const type = str(c.type).toUpperCase();
    if (type === 'HEADER') {
      const format = str(c.format || 'TEXT').toUpperCase();
      const handle = ((c.example ?? {}) as Stored).header_handle;
      shown.header = { format, pieces: pieces(str(c.text)), media: Array.isArray(handle) ? str(handle[0]) : undefined };
      if (format === 'TEXT') shown.placeholders.push(...examplesOf(c, 'header', 'Header'));
    } else if (type === 'BODY') {
      shown.body = pieces(str(c.text));
      shown.placeholders.push(...examplesOf(c, 'body', 'Body'));
    } else if (type === 'FOOTER') {
      shown.footer = pieces(str(c.text));
    } else if (type === 'BUTTONS' && Array.isArray(c.buttons)) {
      (c.buttons as Stored[]).forEach((b, i) => {
        const fields = Object.entries(b)
          .filter(([k]) => k !== 'type' && k !== 'text')
          .map(([name, v]) => ({ name, pieces: name === 'url' ? pieces(str(v)) : [{ text: Array.isArray(v) ? v.map(str).join(', ') : str(v), placeholder: false }] }));
        shown.buttons.push({ type: str(b.type), text: str(b.text), fields });
        // A URL button's {{1}} takes its example from the button's own `example`.
        if (b.type === 'URL') {
          for (const token of tokensOf(str(b.url))) shown.placeholders.push({ token, where: `Button ${i + 1} URL`, example: Array.isArray(b.example) ? str(b.example[0]) : '' });
        }
      });
    }
    // A carousel's cards and a limited-time offer are not drawn here: the page's JSON shows them in full.
  }
  return shown;
}
