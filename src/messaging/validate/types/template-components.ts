// A template send's components: header (≤ 1 parameter), body, buttons (sub_type and a unique
// index 0–9), carousel cards and the limited-time offer. Each component either names all its
// text parameters (parameter_name) or none of them.
import { arr, badValue, fail, intLike, obj, onlyKeys, type Obj } from '../check.ts';
import type { Flavour } from './common.ts';
import { BODY_ONLY_TEXT_PARAM_MAX, BODY_TEXT_PARAM_MAX, HEADER_TEXT_PARAM_MAX, parameter, type ParamType } from './template-params.ts';

export const COMPONENT_TYPES = ['header', 'body', 'button', 'carousel', 'limited_time_offer'] as const;
export const BUTTON_SUB_TYPES = ['quick_reply', 'url', 'copy_code', 'flow', 'catalog', 'mpm'] as const;
type ButtonSubType = (typeof BUTTON_SUB_TYPES)[number];
export const CAROUSEL_CARDS_MAX = 10;

const HEADER_PARAMS: readonly ParamType[] = ['text', 'currency', 'date_time', 'image', 'video', 'document', 'location'];
const CARD_HEADER_PARAMS: readonly ParamType[] = ['image', 'video'];
const BODY_PARAMS: readonly ParamType[] = ['text', 'currency', 'date_time'];
const BUTTON_PARAMS: Record<ButtonSubType, readonly ParamType[]> = {
  quick_reply: ['payload', 'text'],
  url: ['text'],
  copy_code: ['coupon_code'],
  flow: ['action'],
  catalog: ['action'],
  mpm: ['action'],
};

interface Found {
  mediaId?: string;
}

/** Component and sub_type names are compared without regard to case, as Meta does. */
function lowerOneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (v === undefined || v === null) throw fail(field, `is required (one of ${allowed.join(', ')})`);
  if (typeof v !== 'string') throw fail(field, 'must be a string');
  const s = v.toLowerCase();
  if (!allowed.includes(s as T)) throw fail(field, `must be one of ${allowed.join(', ')} (got "${v.slice(0, 50)}")`);
  return s as T;
}

function parameters(o: Obj, f: string, allowed: readonly ParamType[], flavour: Flavour, textMax: number, found: Found, opts: { min?: number; max?: number } = {}): void {
  const list = arr(o.parameters, `${f}.parameters`, { min: opts.min ?? 0, max: opts.max ?? 100 });
  const names = new Map<string, number>();
  let named = 0;
  list.forEach((p, i) => {
    const pf = `${f}.parameters[${i}]`;
    const info = parameter(p, pf, allowed, flavour, textMax);
    if (info.mediaId !== undefined) found.mediaId ??= info.mediaId;
    if (info.name === undefined) return;
    named++;
    const first = names.get(info.name);
    if (first !== undefined) throw badValue(`${pf}.parameter_name`, `"${info.name}" is already given by parameters[${first}]`);
    names.set(info.name, i);
  });
  if (named > 0 && named < list.length) {
    const i = list.findIndex((p) => (p as Obj).parameter_name === undefined);
    throw fail(`${f}.parameters[${i}].parameter_name`, 'is required: a component names all its parameters (named template) or none (positional template)');
  }
}

function button(o: Obj, f: string, flavour: Flavour, indexes: Map<number, string>, found: Found): void {
  onlyKeys(o, f, ['type', 'sub_type', 'index', 'parameters']);
  const sub = lowerOneOf(o.sub_type, `${f}.sub_type`, BUTTON_SUB_TYPES);
  const index = intLike(o.index, `${f}.index`, { min: 0, max: 9 });
  const first = indexes.get(index);
  if (first !== undefined) throw badValue(`${f}.index`, `button ${index} is already given by ${first}`);
  indexes.set(index, f);
  parameters(o, f, BUTTON_PARAMS[sub], flavour, sub === 'url' ? 2000 : BODY_TEXT_PARAM_MAX, found, { min: 1, max: 1 });
  const action = ((o.parameters as Obj[])[0]?.action ?? {}) as Obj;
  // An mpm button names its thumbnail and products. A catalog button's thumbnail is optional
  // (Meta's "Sending catalog template messages": thumbnail_product_retailer_id "Optional").
  if (sub === 'mpm' && action.thumbnail_product_retailer_id === undefined) {
    throw fail(`${f}.parameters[0].action.thumbnail_product_retailer_id`, `is required for ${sub} buttons`);
  }
  if (sub === 'mpm' && action.sections === undefined) throw fail(`${f}.parameters[0].action.sections`, 'is required for mpm buttons');
}

function carousel(o: Obj, f: string, flavour: Flavour, found: Found): void {
  onlyKeys(o, f, ['type', 'cards']);
  const indexes = new Map<number, string>();
  arr(o.cards, `${f}.cards`, { min: 1, max: CAROUSEL_CARDS_MAX }).forEach((c, i) => {
    const cf = `${f}.cards[${i}]`;
    const card = obj(c, cf);
    onlyKeys(card, cf, ['card_index', 'components']);
    const index = intLike(card.card_index, `${cf}.card_index`, { min: 0, max: CAROUSEL_CARDS_MAX - 1 });
    const first = indexes.get(index);
    if (first !== undefined) throw badValue(`${cf}.card_index`, `card ${index} is already given by ${first}`);
    indexes.set(index, cf);
    components(arr(card.components, `${cf}.components`, { min: 1, max: 5 }), `${cf}.components`, flavour, found, true);
  });
}

function limitedTimeOffer(o: Obj, f: string): void {
  onlyKeys(o, f, ['type', 'parameters']);
  const list = arr(o.parameters, `${f}.parameters`, { min: 1, max: 1 });
  const pf = `${f}.parameters[0]`;
  const p = obj(list[0], pf);
  onlyKeys(p, pf, ['type', 'limited_time_offer']);
  lowerOneOf(p.type, `${pf}.type`, ['limited_time_offer'] as const);
  const lto = obj(p.limited_time_offer, `${pf}.limited_time_offer`);
  onlyKeys(lto, `${pf}.limited_time_offer`, ['expiration_time_ms']);
  intLike(lto.expiration_time_ms, `${pf}.limited_time_offer.expiration_time_ms`, { min: 0, max: Number.MAX_SAFE_INTEGER });
}

/** Checks a template's (or a carousel card's) components; returns the first media id they use. */
export function components(list: unknown[], f: string, flavour: Flavour, found: Found = {}, inCard = false): Found {
  const seen = new Map<string, string>();
  const indexes = new Map<number, string>();
  const types = list.map((c, i) => lowerOneOf(obj(c, `${f}[${i}]`).type, `${f}[${i}].type`, COMPONENT_TYPES));
  const bodyOnly = types.every((t) => t === 'body');
  list.forEach((c, i) => {
    const cf = `${f}[${i}]`;
    const o = c as Obj;
    const type = types[i]!;
    if (type !== 'button') {
      const first = seen.get(type);
      if (first !== undefined) throw fail(`${cf}.type`, `a template has one ${type} component (${first} is one already)`);
      seen.set(type, cf);
    }
    if (inCard && (type === 'carousel' || type === 'limited_time_offer')) throw fail(`${cf}.type`, `a carousel card cannot hold a ${type} component`);
    switch (type) {
      case 'header':
        onlyKeys(o, cf, ['type', 'parameters']);
        return parameters(o, cf, inCard ? CARD_HEADER_PARAMS : HEADER_PARAMS, flavour, HEADER_TEXT_PARAM_MAX, found, { max: 1 });
      case 'body':
        onlyKeys(o, cf, ['type', 'parameters']);
        return parameters(o, cf, BODY_PARAMS, flavour, bodyOnly ? BODY_ONLY_TEXT_PARAM_MAX : BODY_TEXT_PARAM_MAX, found);
      case 'button':
        return button(o, cf, flavour, indexes, found);
      case 'carousel':
        return carousel(o, cf, flavour, found);
      case 'limited_time_offer':
        return limitedTimeOffer(o, cf);
    }
  });
  return found;
}
