// Template parameters: what fills a template's placeholders and buttons.
// text (header ≤ 60, body ≤ 1024, or ≤ 32768 when the body is the only component), currency
// {fallback_value, code, amount_1000}, date_time {fallback_value}, image/video/document (a media
// object), location, payload (quick-reply buttons), coupon_code ≤ 15 (copy-code buttons), action
// (flow, catalog and multi-product buttons). Named templates give each text a parameter_name.
import { badValue, fail, num, obj, oneOf, onlyKeys, optObj, optStr, str, type Obj } from '../check.ts';
import type { Flavour } from './common.ts';
import { locationObject } from './location.ts';
import { mediaObject } from './media.ts';
import { productSections } from './interactive-commerce.ts';

export const PARAM_TYPES = ['text', 'currency', 'date_time', 'image', 'video', 'document', 'location', 'payload', 'coupon_code', 'action'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];
export const HEADER_TEXT_PARAM_MAX = 60;
export const BODY_TEXT_PARAM_MAX = 1024;
export const BODY_ONLY_TEXT_PARAM_MAX = 32768;
export const COUPON_CODE_MAX = 15;
const NAMEABLE: readonly ParamType[] = ['text', 'currency', 'date_time'];

export interface ParamInfo {
  name?: string;
  mediaId?: string;
}

function currency(v: unknown, f: string): void {
  const c = obj(v, f);
  onlyKeys(c, f, ['fallback_value', 'code', 'amount_1000']);
  str(c.fallback_value, `${f}.fallback_value`, { max: 1024 });
  const code = str(c.code, `${f}.code`, { max: 3 });
  if (!/^[A-Z]{3}$/.test(code)) throw badValue(`${f}.code`, `must be an ISO 4217 currency code such as "USD" (got "${code}")`);
  const amount = num(c.amount_1000, `${f}.amount_1000`);
  if (!Number.isInteger(amount)) throw fail(`${f}.amount_1000`, 'must be a whole number (the amount multiplied by 1000)');
}

function dateTime(v: unknown, f: string): void {
  const d = obj(v, f);
  onlyKeys(d, f, ['fallback_value', 'day_of_week', 'year', 'month', 'day_of_month', 'hour', 'minute', 'calendar', 'timestamp']);
  str(d.fallback_value, `${f}.fallback_value`, { max: 1024 });
}

function action(v: unknown, f: string): Obj {
  const a = obj(v, f);
  onlyKeys(a, f, ['flow_token', 'flow_action_data', 'thumbnail_product_retailer_id', 'sections']);
  optStr(a.flow_token, `${f}.flow_token`, { max: 2048 });
  optObj(a.flow_action_data, `${f}.flow_action_data`);
  optStr(a.thumbnail_product_retailer_id, `${f}.thumbnail_product_retailer_id`, { max: 256 });
  if (a.sections !== undefined) productSections(a.sections, `${f}.sections`);
  return a;
}

/** One parameter of a component; `allowed` are the types that component takes. */
export function parameter(v: unknown, f: string, allowed: readonly ParamType[], flavour: Flavour, textMax: number): ParamInfo & { object: Obj } {
  const o = obj(v, f);
  const type = oneOf(o.type, `${f}.type`, allowed);
  onlyKeys(o, f, NAMEABLE.includes(type) ? ['type', type, 'parameter_name'] : ['type', type]);
  const name = optStr(o.parameter_name, `${f}.parameter_name`, { max: 128 });
  if (name !== undefined && !/^[a-z0-9_]+$/.test(name)) {
    throw badValue(`${f}.parameter_name`, `must be lower-case letters, digits and underscores, as in the template's {{${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}}} (got "${name.slice(0, 50)}")`);
  }
  const info: ParamInfo & { object: Obj } = { object: o, name };
  const at = `${f}.${type}`;
  switch (type) {
    case 'text':
      str(o.text, at, { max: textMax });
      break;
    case 'currency':
      currency(o.currency, at);
      break;
    case 'date_time':
      dateTime(o.date_time, at);
      break;
    case 'image':
    case 'video':
    case 'document':
      info.mediaId = mediaObject(o[type], at, type, flavour).id;
      break;
    case 'location':
      locationObject(o.location, at);
      break;
    case 'payload':
      str(o.payload, at, { max: 4096 });
      break;
    case 'coupon_code':
      str(o.coupon_code, at, { max: COUPON_CODE_MAX });
      break;
    case 'action':
      action(o.action, at);
      break;
  }
  return info;
}
