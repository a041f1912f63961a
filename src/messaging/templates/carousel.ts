// The CAROUSEL component of a new template: Meta's media card carousel. The template's own BODY is
// the message bubble; the carousel holds 2 to 10 cards, each with an IMAGE or VIDEO header (and
// its header_handle sample), an optional BODY of at most 160 characters, and up to 2 buttons
// (QUICK_REPLY, URL, PHONE_NUMBER). All cards have the same components: the same header format,
// a body in all or none, the same buttons in the same order. (Meta's documentation: "All cards
// defined on a template must have the same components"; openwaba refuses a mismatch at creation,
// naming the card, where Meta may only reject it in review.) components.ts holds the rules about
// the template around it (MARKETING, no HEADER, FOOTER or BUTTONS of its own).
import { arr, fail, obj, oneOf, onlyKeys, str, type Obj } from '../validate/check.ts';
import { buttonsComponent, type ButtonRules } from './buttons.ts';
import { headerHandle, textExamples } from './examples.ts';
import { analyzePlaceholders, type ParameterFormat } from './placeholders.ts';

export const CAROUSEL_CARDS_MIN = 2;
export const CAROUSEL_CARDS_MAX = 10;
export const CARD_BODY_MAX = 160;
const CARD_BUTTONS: ButtonRules = { types: ['QUICK_REPLY', 'URL', 'PHONE_NUMBER'], max: 2 };
const CARD_COMPONENTS = ['HEADER', 'BODY', 'BUTTONS'] as const;

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

export interface CheckedCarousel {
  comp: Obj;
  /** The kinds of placeholder the cards' bodies use (they must agree with the template's). */
  formats: { field: string; format: ParameterFormat }[];
}

function cardPart(c: Obj, f: string, type: (typeof CARD_COMPONENTS)[number], formats: CheckedCarousel['formats']): Obj {
  if (type === 'HEADER') {
    const format = oneOf(upper(c.format), `${f}.format`, ['IMAGE', 'VIDEO'] as const);
    onlyKeys(c, f, ['type', 'format', 'example']);
    return { type, format, example: headerHandle(c, f) };
  }
  if (type === 'BODY') {
    onlyKeys(c, f, ['type', 'text', 'example']);
    const text = str(c.text, `${f}.text`, { max: CARD_BODY_MAX });
    const info = analyzePlaceholders(text, `${f}.text`);
    const example = textExamples(c, f, info, 'body');
    if (!example && c.example !== undefined) throw fail(`${f}.example`, 'is only allowed when the text has placeholders');
    if (info.format) formats.push({ field: `${f}.text`, format: info.format });
    return { type, text, ...(example ? { example } : {}) };
  }
  return buttonsComponent(c, f, 'MARKETING', CARD_BUTTONS);
}

/** One card: its components in Meta's order (HEADER, BODY, BUTTONS). */
function card(v: unknown, f: string, formats: CheckedCarousel['formats']): Obj {
  const o = obj(v, f);
  onlyKeys(o, f, ['components']);
  // No maximum of its own: a fourth component is an unknown or a repeated type, refused by name below.
  const list = arr(o.components, `${f}.components`, { min: 1 });
  const byType = new Map<string, Obj>();
  list.forEach((raw, i) => {
    const cf = `${f}.components[${i}]`;
    const c = obj(raw, cf);
    const type = oneOf(upper(c.type), `${cf}.type`, CARD_COMPONENTS);
    if (byType.has(type)) throw fail(`${cf}.type`, `a card has at most one ${type} component`);
    byType.set(type, cardPart(c, cf, type, formats));
  });
  if (!byType.has('HEADER')) throw fail(`${f}.components`, 'a card needs a HEADER component (format IMAGE or VIDEO)');
  return { components: CARD_COMPONENTS.filter((t) => byType.has(t)).map((t) => byType.get(t)!) };
}

/** What must be the same in every card, e.g. "IMAGE header, body, buttons QUICK_REPLY, URL". */
function layout(c: Obj): string {
  const parts = c.components as Obj[];
  const header = parts.find((p) => p.type === 'HEADER');
  const buttons = (parts.find((p) => p.type === 'BUTTONS')?.buttons as Obj[] | undefined) ?? [];
  return [
    `${String(header?.format)} header`,
    parts.some((p) => p.type === 'BODY') ? 'body' : 'no body',
    buttons.length ? `buttons ${buttons.map((b) => String(b.type)).join(', ')}` : 'no buttons',
  ].join(', ');
}

export function carouselComponent(c: Obj, f: string): CheckedCarousel {
  onlyKeys(c, f, ['type', 'cards']);
  const formats: CheckedCarousel['formats'] = [];
  const cards = arr(c.cards, `${f}.cards`, { min: CAROUSEL_CARDS_MIN, max: CAROUSEL_CARDS_MAX }).map((v, i) => card(v, `${f}.cards[${i}]`, formats));
  const first = layout(cards[0]!);
  cards.forEach((cd, i) => {
    const own = layout(cd);
    if (own !== first) throw fail(`${f}.cards[${i}]`, `all cards must have the same components (card 0: ${first}; card ${i}: ${own})`);
  });
  return { comp: { type: 'CAROUSEL', cards }, formats };
}
