// A template made from the template library (library.ts), Meta's body on all three create APIs:
//
//   {name, category, language, library_template_name,
//    library_template_button_inputs?: [{type:"URL", url:{base_url, url_suffix_example?}}
//                                      | {type:"PHONE_NUMBER", phone_number}
//                                      | {type:"OTP", otp_type, supported_apps?, zero_tap_terms_accepted?}
//                                      | {type:"QUICK_REPLY"}],
//    library_template_body_inputs?: {add_contact_number?, add_learn_more_link?, add_track_package_link?,
//                                    add_security_recommendation?, code_expiration_minutes?}}
//
// The template takes the entry's components: its header, its body (with the entry's sample values
// as the example), its buttons with the business's targets filled in. Each URL and PHONE_NUMBER
// button of the entry takes one input of its type, in order; an OTP button may take one (its
// otp_type and apps), a ONE_TAP entry must. Refused, as Meta refuses them: an unknown library name,
// a category or language the entry does not have, missing or surplus button inputs, components
// sent with library_template_name.
//
// Meta's URL input: base_url is the button's URL, with {{1}} at its end when it is dynamic, and
// url_suffix_example is a full example URL (Meta's documented example gives
// "https://www.example.com/demo"); a static base_url takes none.
//
// The utility body inputs (add_contact_number, add_learn_more_link, add_track_package_link) switch
// optional sentences of Meta's own library wording on and off; the sandbox's catalogue has no such
// variants, so they are checked (true or false) and change nothing. add_security_recommendation and
// code_expiration_minutes add the authentication template's fixed texts in the entry's language, as
// in a template written by hand (components.ts, auth-text.ts).
import { arr, bool, fail, isObj, obj, oneOf, onlyKeys, str, type Obj } from '../validate/check.ts';
import { expiryMinutes } from './buttons.ts';
import { checkComponents } from './components.ts';
import { libraryEntries, type LibraryButton, type LibraryTemplate } from './library.ts';
import { templateLanguage, templateName, type Category, type NewTemplate } from './validate.ts';

const FIELD = 'library_template_button_inputs';
const BODY_FIELD = 'library_template_body_inputs';
const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);
const INPUT_TYPES = ['URL', 'PHONE_NUMBER', 'OTP', 'QUICK_REPLY'] as const;
type InputType = (typeof INPUT_TYPES)[number];

/** Whether a creation body names a library template. */
export function isLibraryBody(body: unknown): body is Obj {
  return isObj(body) && body.library_template_name !== undefined;
}

/**
 * The entry named, in the language asked for. Meta's exact error for an unknown library name is
 * not documented: a 400 code 100 (Invalid parameter) naming the field, as every other refusal here.
 */
function entryFor(body: Obj): LibraryTemplate {
  const libName = str(body.library_template_name, 'library_template_name', { max: 512 });
  const entries = libraryEntries(libName);
  if (entries.length === 0) {
    throw fail('library_template_name', `"${libName.slice(0, 80)}" is not a template of the template library (GET /message_template_library lists them)`);
  }
  const language = templateLanguage(body.language);
  const entry = entries.find((e) => e.language === language);
  if (!entry) {
    throw fail('language', `the library template ${libName} is not available in ${language} (it is in ${entries.map((e) => e.language).join(', ')})`);
  }
  return entry;
}

function urlInput(input: Obj, f: string, b: LibraryButton): Obj {
  onlyKeys(input, f, ['type', 'url']);
  const u = obj(input.url, `${f}.url`);
  onlyKeys(u, `${f}.url`, ['base_url', 'url_suffix_example']);
  const base = str(u.base_url, `${f}.url.base_url`, { max: 2000 });
  let parsed: URL | undefined;
  try {
    parsed = new URL(base.replace(/\{\{1\}\}$/, ''));
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) throw fail(`${f}.url.base_url`, 'must be an absolute http(s) URL, e.g. https://shop.example/track/{{1}}');
  const dynamic = base.endsWith('{{1}}');
  if (/\{\{.*?\}\}/.test(base.replace(/\{\{1\}\}$/, ''))) throw fail(`${f}.url.base_url`, 'may hold one placeholder, {{1}}, at its end');
  const out: Obj = { type: 'URL', text: b.text, url: base };
  if (dynamic) out.example = [str(u.url_suffix_example, `${f}.url.url_suffix_example`, { max: 2000 })];
  else if (u.url_suffix_example !== undefined) throw fail(`${f}.url.url_suffix_example`, 'is only taken when base_url ends with the {{1}} placeholder');
  return out;
}

function phoneInput(input: Obj, f: string, b: LibraryButton): Obj {
  onlyKeys(input, f, ['type', 'phone_number']);
  const phone = str(input.phone_number, `${f}.phone_number`, { max: 20 });
  if (!/^\+?[0-9][0-9 ()-]{3,19}$/.test(phone)) throw fail(`${f}.phone_number`, 'must be a phone number with country code, e.g. +4915123456789');
  return { type: 'PHONE_NUMBER', text: b.text, phone_number: phone };
}

function otpInput(input: Obj | undefined, f: string, b: LibraryButton, libName: string): Obj {
  if (!input) {
    if (b.otp_type === 'ONE_TAP') {
      throw fail(FIELD, `the library template ${libName} has a ONE_TAP button: send {"type":"OTP","otp_type":"ONE_TAP","supported_apps":[{"package_name":…,"signature_hash":…}]}`);
    }
    return { type: 'OTP', otp_type: b.otp_type ?? 'COPY_CODE', text: b.text };
  }
  onlyKeys(input, f, ['type', 'otp_type', 'supported_apps', 'zero_tap_terms_accepted', 'package_name', 'signature_hash']);
  const otpType = input.otp_type === undefined ? (b.otp_type ?? 'COPY_CODE') : oneOf(upper(input.otp_type), `${f}.otp_type`, ['COPY_CODE', 'ONE_TAP', 'ZERO_TAP']);
  const out: Obj = { type: 'OTP', otp_type: otpType, text: b.text };
  if (otpType !== 'COPY_CODE') {
    if (input.supported_apps === undefined && input.package_name === undefined) throw fail(`${f}.supported_apps`, `is required for a ${otpType} button (package_name and signature_hash of the app)`);
    if (input.supported_apps !== undefined) {
      out.supported_apps = arr(input.supported_apps, `${f}.supported_apps`, { min: 1, max: 5 }).map((a, i) => {
        const app = obj(a, `${f}.supported_apps[${i}]`);
        onlyKeys(app, `${f}.supported_apps[${i}]`, ['package_name', 'signature_hash']);
        return {
          package_name: str(app.package_name, `${f}.supported_apps[${i}].package_name`, { max: 224 }),
          signature_hash: str(app.signature_hash, `${f}.supported_apps[${i}].signature_hash`, { min: 11, max: 11 }),
        };
      });
    } else {
      out.package_name = str(input.package_name, `${f}.package_name`, { max: 224 });
      out.signature_hash = str(input.signature_hash, `${f}.signature_hash`, { min: 11, max: 11 });
    }
  }
  const terms = bool(input.zero_tap_terms_accepted, `${f}.zero_tap_terms_accepted`);
  if (terms !== undefined) out.zero_tap_terms_accepted = terms;
  if (otpType === 'ZERO_TAP' && terms !== true) throw fail(`${f}.zero_tap_terms_accepted`, 'must be true for a ZERO_TAP button');
  return out;
}

/** The entry's buttons with the business's inputs filled in. */
function buttonsOf(entry: LibraryTemplate, raw: unknown): Obj[] {
  const inputs = raw === undefined ? [] : arr(raw, FIELD, { max: 10 });
  const byType = new Map<InputType, { input: Obj; field: string }[]>();
  inputs.forEach((v, i) => {
    const f = `${FIELD}[${i}]`;
    const input = obj(v, f);
    const type = oneOf(upper(input.type), `${f}.type`, INPUT_TYPES);
    byType.set(type, [...(byType.get(type) ?? []), { input, field: f }]);
  });
  const take = (type: InputType) => byType.get(type)?.shift();
  const out = (entry.buttons ?? []).map((b) => {
    if (b.type === 'QUICK_REPLY') {
      const given = take('QUICK_REPLY');
      if (given) onlyKeys(given.input, given.field, ['type']);
      return { type: 'QUICK_REPLY', text: b.text };
    }
    if (b.type === 'OTP') {
      const given = take('OTP');
      return otpInput(given?.input, given?.field ?? FIELD, b, entry.name);
    }
    const given = take(b.type);
    if (!given) {
      const shape = b.type === 'URL' ? '{"type":"URL","url":{"base_url":"https://…/{{1}}","url_suffix_example":"https://…/123"}}' : '{"type":"PHONE_NUMBER","phone_number":"+…"}';
      throw fail(FIELD, `the library template ${entry.name} has a ${b.type} button ("${b.text}"), which needs its input: ${shape}`);
    }
    return b.type === 'URL' ? urlInput(given.input, given.field, b) : phoneInput(given.input, given.field, b);
  });
  for (const [type, left] of byType) {
    if (left.length > 0) throw fail(`${left[0]!.field}.type`, `the library template ${entry.name} has no${out.some((b) => b.type === type) ? ' further' : ''} ${type} button for this input`);
  }
  return out;
}

interface BodyInputs {
  security?: boolean;
  expiry?: number;
}

function bodyInputs(raw: unknown, category: Category): BodyInputs {
  if (raw === undefined) return {};
  const o = obj(raw, BODY_FIELD);
  onlyKeys(o, BODY_FIELD, ['add_contact_number', 'add_learn_more_link', 'add_track_package_link', 'add_security_recommendation', 'code_expiration_minutes']);
  const auth = category === 'AUTHENTICATION';
  for (const k of ['add_contact_number', 'add_learn_more_link', 'add_track_package_link'] as const) {
    if (o[k] === undefined) continue;
    if (auth) throw fail(`${BODY_FIELD}.${k}`, 'is taken by UTILITY library templates only');
    bool(o[k], `${BODY_FIELD}.${k}`);
  }
  for (const k of ['add_security_recommendation', 'code_expiration_minutes'] as const) {
    if (o[k] !== undefined && !auth) throw fail(`${BODY_FIELD}.${k}`, 'is taken by AUTHENTICATION library templates only');
  }
  return {
    security: bool(o.add_security_recommendation, `${BODY_FIELD}.add_security_recommendation`),
    expiry: o.code_expiration_minutes === undefined ? undefined : expiryMinutes(o.code_expiration_minutes, `${BODY_FIELD}.code_expiration_minutes`),
  };
}

/** The body of a creation from the library, checked; the template it makes (library_template_name kept). */
export function parseLibraryTemplate(body: Obj): NewTemplate {
  if (body.components !== undefined) {
    throw fail('components', 'cannot be sent with library_template_name: a library template brings its own (send library_template_button_inputs for its buttons)');
  }
  onlyKeys(body, 'body', ['name', 'category', 'language', 'library_template_name', 'library_template_button_inputs', 'library_template_body_inputs', 'allow_category_change', 'message_send_ttl_seconds']);
  const name = templateName(body.name);
  // The library's wording is fixed: a template of one's own is made without it.
  const category = oneOf(upper(body.category), 'category', ['AUTHENTICATION', 'MARKETING', 'UTILITY'] as const);
  const entry = entryFor(body);
  if (category !== entry.category) throw fail('category', `must be ${entry.category}, the category of the library template ${entry.name} (got ${category})`);
  const allowCategoryChange = bool(body.allow_category_change, 'allow_category_change') ?? false;
  if (body.message_send_ttl_seconds !== undefined) {
    const ttl = body.message_send_ttl_seconds;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < -1 || ttl > 2_592_000) throw fail('message_send_ttl_seconds', 'must be a whole number of seconds from -1 to 2592000');
  }
  const inputs = bodyInputs(body.library_template_body_inputs, category);
  const buttons = buttonsOf(entry, body.library_template_button_inputs);
  const raw: Obj[] = [];
  if (category === 'AUTHENTICATION') {
    raw.push({ type: 'BODY', add_security_recommendation: inputs.security ?? false });
    if (inputs.expiry !== undefined) raw.push({ type: 'FOOTER', code_expiration_minutes: inputs.expiry });
  } else {
    if (entry.header) raw.push({ type: 'HEADER', format: 'TEXT', text: entry.header });
    raw.push({ type: 'BODY', text: entry.body, ...(entry.body_params?.length ? { example: { body_text: [entry.body_params] } } : {}) });
  }
  if (buttons.length > 0) raw.push({ type: 'BUTTONS', buttons });
  // The same checks and stored form as a template written by hand (the inputs were checked above);
  // an authentication template's texts are written in the entry's language (auth-text.ts), which
  // are also the entry's own body and OTP label (library.ts).
  const { components, parameterFormat } = checkComponents(raw, 'components', category, undefined, entry.language);
  return { name, category, language: entry.language, components, parameterFormat, allowCategoryChange, libraryTemplateName: entry.name };
}
