// The BUTTONS component of a new template (Meta's rules): 1 to 10 buttons; at most 2 URL, 1
// PHONE_NUMBER, 1 COPY_CODE, 1 FLOW, 1 MPM and 1 CATALOG button; OTP buttons only (and exactly
// one) in AUTHENTICATION templates. A carousel card takes fewer kinds and fewer buttons
// (carousel.ts). Types are stored upper-case, as Meta returns them.
import { arr, fail, num, obj, oneOf, onlyKeys, optStr, str, type Obj } from '../validate/check.ts';
import { analyzePlaceholders } from './placeholders.ts';
import { authTexts, AUTH_FALLBACK_LANGUAGE } from './auth-text.ts';

// MPM (multi-product) and CATALOG buttons open the WABA's catalog: Meta's "MPM templates" and
// "catalog templates" (marketing templates; components.ts holds their other rules).
export const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'FLOW', 'OTP', 'MPM', 'CATALOG'] as const;
export type ButtonType = (typeof BUTTON_TYPES)[number];
const MAX_OF: Partial<Record<ButtonType, number>> = { URL: 2, PHONE_NUMBER: 1, COPY_CODE: 1, FLOW: 1, OTP: 1, MPM: 1, CATALOG: 1 };

/** Which buttons a BUTTONS component may hold, and how many: a template's own, or a carousel card's. */
export interface ButtonRules {
  types: readonly ButtonType[];
  max: number;
}
const TEMPLATE_BUTTONS: ButtonRules = { types: BUTTON_TYPES, max: 10 };

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

function label(o: Obj, f: string): string {
  return str(o.text, `${f}.text`, { max: 25 });
}

function urlButton(o: Obj, f: string): Obj {
  onlyKeys(o, f, ['type', 'text', 'url', 'example']);
  const url = str(o.url, `${f}.url`, { max: 2000 });
  const info = analyzePlaceholders(url, `${f}.url`);
  const base = url.replace(/\{\{.*?\}\}/g, '');
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw fail(`${f}.url`, 'must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw fail(`${f}.url`, 'must be an http(s) URL');
  const out: Obj = { type: 'URL', text: label(o, f), url };
  if (info.occurrences.length > 0) {
    if (info.occurrences.length > 1 || info.names[0] !== '1' || !url.endsWith('{{1}}')) {
      throw fail(`${f}.url`, 'may hold one placeholder, {{1}}, at its end (e.g. https://example.com/track/{{1}})');
    }
    const ex = arr(o.example, `${f}.example`, { min: 1, max: 1 });
    out.example = [str(ex[0], `${f}.example[0]`, { max: 2000 })];
  } else if (o.example !== undefined) {
    throw fail(`${f}.example`, 'is only allowed when the url has a {{1}} placeholder');
  }
  return out;
}

function phoneButton(o: Obj, f: string): Obj {
  onlyKeys(o, f, ['type', 'text', 'phone_number']);
  const phone = str(o.phone_number, `${f}.phone_number`, { max: 20 });
  if (!/^\+?[0-9][0-9 ()-]{3,19}$/.test(phone)) throw fail(`${f}.phone_number`, 'must be a phone number with country code, e.g. +4915123456789');
  return { type: 'PHONE_NUMBER', text: label(o, f), phone_number: phone };
}

function flowButton(o: Obj, f: string): Obj {
  onlyKeys(o, f, ['type', 'text', 'flow_id', 'flow_name', 'flow_json', 'flow_action', 'navigate_screen', 'icon']);
  const out: Obj = { type: 'FLOW', text: label(o, f) };
  const given = (['flow_id', 'flow_name', 'flow_json'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw fail(f, 'needs exactly one of flow_id, flow_name, flow_json');
  const k = given[0]!;
  out[k] = str(typeof o[k] === 'number' ? String(o[k]) : o[k], `${f}.${k}`, { max: k === 'flow_json' ? 100_000 : 200 });
  // Looked up in the flow store (flow-buttons.ts): PostgreSQL text cannot hold NUL, so say it here, at the field.
  if (k !== 'flow_json' && (out[k] as string).includes('\u0000')) throw fail(`${f}.${k}`, 'must not contain NUL characters');
  if (o.flow_action !== undefined) out.flow_action = oneOf(upper(o.flow_action), `${f}.flow_action`, ['NAVIGATE', 'DATA_EXCHANGE']);
  const screen = optStr(o.navigate_screen, `${f}.navigate_screen`, { max: 200 });
  if (screen !== undefined) out.navigate_screen = screen;
  if (o.icon !== undefined) out.icon = oneOf(upper(o.icon), `${f}.icon`, ['DOCUMENT', 'PROMOTION', 'REVIEW']);
  return out;
}

/** An OTP button; without a `text`, Meta's label in the template's language (auth-text.ts: "Copy code"). */
function otpButton(o: Obj, f: string, language: string): Obj {
  onlyKeys(o, f, ['type', 'otp_type', 'text', 'autofill_text', 'package_name', 'signature_hash', 'supported_apps', 'zero_tap_terms_accepted']);
  const otpType = oneOf(upper(o.otp_type), `${f}.otp_type`, ['COPY_CODE', 'ONE_TAP', 'ZERO_TAP']);
  const out: Obj = { type: 'OTP', otp_type: otpType, text: optStr(o.text, `${f}.text`, { max: 25 }) ?? authTexts(language).copyCode };
  if (otpType !== 'COPY_CODE') {
    const apps = o.supported_apps !== undefined ? arr(o.supported_apps, `${f}.supported_apps`, { min: 1, max: 5 }) : undefined;
    if (!apps && o.package_name === undefined) throw fail(f, `${otpType} needs supported_apps (or package_name and signature_hash)`);
    if (apps) {
      out.supported_apps = apps.map((a, i) => {
        const app = obj(a, `${f}.supported_apps[${i}]`);
        onlyKeys(app, `${f}.supported_apps[${i}]`, ['package_name', 'signature_hash']);
        return { package_name: str(app.package_name, `${f}.supported_apps[${i}].package_name`, { max: 224 }), signature_hash: str(app.signature_hash, `${f}.supported_apps[${i}].signature_hash`, { max: 11, min: 11 }) };
      });
    } else {
      out.package_name = str(o.package_name, `${f}.package_name`, { max: 224 });
      out.signature_hash = str(o.signature_hash, `${f}.signature_hash`, { max: 11, min: 11 });
    }
  }
  for (const k of ['autofill_text'] as const) if (o[k] !== undefined) out[k] = str(o[k], `${f}.${k}`, { max: 25 });
  if (o.zero_tap_terms_accepted !== undefined) {
    if (typeof o.zero_tap_terms_accepted !== 'boolean') throw fail(`${f}.zero_tap_terms_accepted`, 'must be true or false');
    out.zero_tap_terms_accepted = o.zero_tap_terms_accepted;
  }
  // Meta: "If set to false, the template will not be created": zero-tap needs its terms accepted.
  if (otpType === 'ZERO_TAP' && o.zero_tap_terms_accepted !== true) {
    throw fail(`${f}.zero_tap_terms_accepted`, 'must be true for a ZERO_TAP button (Meta creates zero-tap templates only once its zero-tap terms are accepted)');
  }
  return out;
}

function button(v: unknown, f: string, category: string, types: readonly ButtonType[], language: string): Obj {
  const o = obj(v, f);
  const type = oneOf(upper(o.type), `${f}.type`, types);
  if (category === 'AUTHENTICATION' && type !== 'OTP') throw fail(`${f}.type`, 'AUTHENTICATION templates take one OTP button and no other');
  switch (type) {
    case 'QUICK_REPLY':
      onlyKeys(o, f, ['type', 'text']);
      return { type, text: label(o, f) };
    case 'URL':
      return urlButton(o, f);
    case 'PHONE_NUMBER':
      return phoneButton(o, f);
    case 'COPY_CODE': {
      onlyKeys(o, f, ['type', 'example', 'text']);
      const example = typeof o.example === 'number' ? String(o.example) : o.example;
      return { type, text: 'Copy offer code', example: str(example, `${f}.example`, { max: 15 }) };
    }
    case 'FLOW':
      return flowButton(o, f);
    case 'OTP':
      if (category !== 'AUTHENTICATION') throw fail(`${f}.type`, 'OTP buttons are only allowed in AUTHENTICATION templates');
      return otpButton(o, f, language);
    case 'MPM':
    case 'CATALOG':
      // The products come with each send (the button's `action` parameter); the template has the label.
      onlyKeys(o, f, ['type', 'text']);
      return { type, text: label(o, f) };
  }
}

export function buttonsComponent(c: Obj, f: string, category: string, rules: ButtonRules = TEMPLATE_BUTTONS, language: string = AUTH_FALLBACK_LANGUAGE): Obj {
  onlyKeys(c, f, ['type', 'buttons']);
  const list = arr(c.buttons, `${f}.buttons`, { min: 1, max: rules.max });
  const buttons = list.map((b, i) => button(b, `${f}.buttons[${i}]`, category, rules.types, language));
  const counts = new Map<string, number>();
  buttons.forEach((b, i) => {
    const t = b.type as ButtonType;
    const n = (counts.get(t) ?? 0) + 1;
    counts.set(t, n);
    const max = MAX_OF[t];
    if (max !== undefined && n > max) throw fail(`${f}.buttons[${i}]`, `a template may have at most ${max} ${t} button${max === 1 ? '' : 's'}`);
  });
  return { type: 'BUTTONS', buttons };
}

/** Authentication footers: the code's expiry in minutes (1 to 90), shown as Meta's fixed text. */
export function expiryMinutes(v: unknown, f: string): number {
  const n = num(v, f, { min: 1, max: 90 });
  if (!Number.isInteger(n)) throw fail(f, 'must be a whole number of minutes');
  return n;
}
