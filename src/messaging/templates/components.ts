// The components of a new template, checked against Meta's rules and stored as Meta returns them
// (upper-case types, canonical order HEADER, LIMITED_TIME_OFFER, BODY, FOOTER, BUTTONS, CAROUSEL:
// the order of Meta's documented examples). Every violation is a 400 naming the field, e.g.
// `components[1].text: must be at most 1024 characters (got 1100)`.
import { arr, bool, fail, isObj, oneOf, onlyKeys, str, type Obj } from '../validate/check.ts';
import { buttonsComponent, expiryMinutes } from './buttons.ts';
import { carouselComponent } from './carousel.ts';
import { headerHandle, textExamples } from './examples.ts';
import { checkLimitedTimeOffer, limitedTimeOfferComponent, LTO_BODY_MAX } from './limited-time-offer.ts';
import { analyzePlaceholders, type ParameterFormat, type PlaceholderInfo } from './placeholders.ts';
import { authBodyText, authFooterText, AUTH_FALLBACK_LANGUAGE } from './auth-text.ts';

export const COMPONENT_TYPES = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS', 'CAROUSEL', 'LIMITED_TIME_OFFER'] as const;
const STORED_ORDER = ['HEADER', 'LIMITED_TIME_OFFER', 'BODY', 'FOOTER', 'BUTTONS', 'CAROUSEL'] as const;
export const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'] as const;
export const BODY_MAX = 1024;

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

export interface CheckedComponents {
  components: Obj[];
  /** The kind of placeholders used (header and body agree), or null when there are none. */
  parameterFormat: ParameterFormat | null;
}

function header(c: Obj, f: string): { comp: Obj; info: PlaceholderInfo | null } {
  onlyKeys(c, f, ['type', 'format', 'text', 'example']);
  const format = oneOf(upper(c.format), `${f}.format`, HEADER_FORMATS);
  if (format === 'TEXT') {
    const text = str(c.text, `${f}.text`, { max: 60 });
    const info = analyzePlaceholders(text, `${f}.text`);
    if (info.names.length > 1) throw fail(`${f}.text`, `a text header may hold at most one placeholder (found ${info.names.length})`);
    const example = textExamples(c, f, info, 'header');
    if (!example && c.example !== undefined) throw fail(`${f}.example`, 'is only allowed when the text has a placeholder');
    return { comp: { type: 'HEADER', format, text, ...(example ? { example } : {}) }, info };
  }
  if (c.text !== undefined) throw fail(`${f}.text`, `is only allowed for TEXT headers (this one is ${format})`);
  if (format === 'LOCATION') {
    if (c.example !== undefined) throw fail(`${f}.example`, 'is not allowed for LOCATION headers');
    return { comp: { type: 'HEADER', format }, info: null };
  }
  // Media headers need a sample: Meta's upload handle.
  return { comp: { type: 'HEADER', format, example: headerHandle(c, f) }, info: null };
}

function body(c: Obj, f: string, category: string, max: number, language: string): { comp: Obj; info: PlaceholderInfo } {
  if (category === 'AUTHENTICATION') {
    // Meta writes the text of authentication templates itself, in the template's language
    // (auth-text.ts, also what previews show); the code is {{1}}.
    onlyKeys(c, f, ['type', 'add_security_recommendation']);
    const security = bool(c.add_security_recommendation, `${f}.add_security_recommendation`) ?? false;
    const text = authBodyText(language, security);
    return { comp: { type: 'BODY', text, add_security_recommendation: security }, info: analyzePlaceholders(text, `${f}.text`) };
  }
  onlyKeys(c, f, ['type', 'text', 'example']);
  const text = str(c.text, `${f}.text`, { max });
  const info = analyzePlaceholders(text, `${f}.text`);
  const example = textExamples(c, f, info, 'body');
  if (!example && c.example !== undefined) throw fail(`${f}.example`, 'is only allowed when the text has placeholders');
  return { comp: { type: 'BODY', text, ...(example ? { example } : {}) }, info };
}

function footer(c: Obj, f: string, category: string, language: string): Obj {
  if (category === 'AUTHENTICATION') {
    onlyKeys(c, f, ['type', 'code_expiration_minutes']);
    const minutes = expiryMinutes(c.code_expiration_minutes, `${f}.code_expiration_minutes`);
    return { type: 'FOOTER', text: authFooterText(language, minutes), code_expiration_minutes: minutes };
  }
  onlyKeys(c, f, ['type', 'text']);
  const text = str(c.text, `${f}.text`, { max: 60 });
  if (/\{\{.*?\}\}/.test(text)) throw fail(`${f}.text`, 'a footer may not hold placeholders');
  return { type: 'FOOTER', text };
}

/** Meta's marketing-only kinds of template, by what marks them; undefined for an ordinary one. */
function marketingKind(byType: Map<string, Obj>): string | undefined {
  if (byType.has('CAROUSEL')) return 'a carousel template';
  if (byType.has('LIMITED_TIME_OFFER')) return 'a limited-time offer template';
  const buttons = (byType.get('BUTTONS')?.buttons as Obj[] | undefined) ?? [];
  if (buttons.some((b) => b.type === 'MPM')) return 'an MPM (multi-product) template';
  if (buttons.some((b) => b.type === 'CATALOG')) return 'a catalog template';
  return undefined;
}

/** The rules between components of the special kinds: carousel, limited-time offer, MPM, catalog. */
function checkKinds(byType: Map<string, Obj>, fieldOf: (type: string) => string, f: string, category: string): void {
  const kind = marketingKind(byType);
  // Meta documents each of these kinds as MARKETING only (carousel cards "are only available
  // for marketing template messages"; MPM, catalog and limited-time offer templates likewise).
  if (kind && category !== 'MARKETING') throw fail('category', `must be MARKETING for ${kind} (got ${category})`);
  if (byType.has('CAROUSEL')) {
    for (const t of ['HEADER', 'FOOTER', 'BUTTONS']) {
      if (byType.has(t)) throw fail(`${fieldOf(t)}.type`, `a carousel template has no ${t} of its own (its cards have their headers and buttons)`);
    }
  }
  if (byType.has('LIMITED_TIME_OFFER')) checkLimitedTimeOffer(byType, fieldOf, f);
  if (kind?.startsWith('an MPM') && byType.get('HEADER')?.format !== 'TEXT') {
    // Meta: "MPM templates must have … a single header component" of format TEXT.
    throw fail(byType.has('HEADER') ? `${fieldOf('HEADER')}.format` : f, 'an MPM (multi-product) template needs a TEXT header');
  }
}

/**
 * `language` is the template's: an AUTHENTICATION template's fixed texts are written in it
 * (auth-text.ts; English when it is not given or not in that table).
 */
export function checkComponents(v: unknown, f: string, category: string, declared?: ParameterFormat, language: string = AUTH_FALLBACK_LANGUAGE): CheckedComponents {
  const list = arr(v, f, { min: 1, max: COMPONENT_TYPES.length });
  const types = list.map((raw, i) => {
    if (!isObj(raw)) throw fail(`${f}[${i}]`, 'must be an object');
    return oneOf(upper(raw.type), `${f}[${i}].type`, COMPONENT_TYPES);
  });
  // A limited-time offer's body is shorter (600 characters).
  const bodyMax = types.includes('LIMITED_TIME_OFFER') ? LTO_BODY_MAX : BODY_MAX;
  const byType = new Map<string, Obj>();
  const fields = new Map<string, string>();
  const formats: { field: string; format: ParameterFormat }[] = [];
  list.forEach((item, i) => {
    const raw = item as Obj;
    const cf = `${f}[${i}]`;
    const type = types[i]!;
    if (byType.has(type)) throw fail(`${cf}.type`, `a template has at most one ${type} component`);
    if (category === 'AUTHENTICATION' && (type === 'CAROUSEL' || type === 'LIMITED_TIME_OFFER')) throw fail(`${cf}.type`, `AUTHENTICATION templates have no ${type}`);
    let comp: Obj;
    if (type === 'HEADER') {
      if (category === 'AUTHENTICATION') throw fail(`${cf}.type`, 'AUTHENTICATION templates have no HEADER');
      const h = header(raw, cf);
      if (h.info?.format) formats.push({ field: `${cf}.text`, format: h.info.format });
      comp = h.comp;
    } else if (type === 'BODY') {
      const b = body(raw, cf, category, bodyMax, language);
      if (b.info.format && category !== 'AUTHENTICATION') formats.push({ field: `${cf}.text`, format: b.info.format });
      comp = b.comp;
    } else if (type === 'FOOTER') comp = footer(raw, cf, category, language);
    else if (type === 'BUTTONS') comp = buttonsComponent(raw, cf, category, undefined, language);
    else if (type === 'LIMITED_TIME_OFFER') comp = limitedTimeOfferComponent(raw, cf);
    else {
      const c = carouselComponent(raw, cf);
      formats.push(...c.formats);
      comp = c.comp;
    }
    byType.set(type, comp);
    fields.set(type, cf);
  });
  if (!byType.has('BODY')) throw fail(f, 'must include a BODY component');
  checkKinds(byType, (t) => fields.get(t) ?? f, f, category);
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
  return { components: STORED_ORDER.filter((t) => byType.has(t)).map((t) => byType.get(t)!), parameterFormat };
}
