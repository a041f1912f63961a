// Previews of authentication templates (Meta's GET /{waba-id}/message_template_previews): the
// text an AUTHENTICATION template would hold in each language asked for, with the security
// recommendation and the expiry footer when asked:
//
//   ?category=AUTHENTICATION&languages=en_US,es&add_security_recommendation=true
//    &code_expiration_minutes=10&button_types=OTP
//   → {"data":[{"body":"*{{1}}* is your verification code. For your security, do not share this code.",
//               "buttons":[{"autofill_text":"Autofill","text":"Copy code"}],
//               "footer":"This code expires in 10 minutes.","language":"en_US"},
//              {"body":"Tu código de verificación es *{{1}}*. Por tu seguridad, no lo compartas.", …,"language":"es"}]}
//
// Each language in its own words: the texts are the ones openwaba writes into an authentication
// template of that language when it is created (auth-text.ts, used by components.ts and
// buttons.ts), so a preview and the template made from it agree word for word. A language
// auth-text.ts does not have is previewed (and stored) in English.
//
// Unsure points, decided for what most clients accept: Meta's reference names the parameter
// `language` in its syntax and `languages` in its example, so both are taken (comma-separated);
// it calls button_types required but also "if included", so without it the items have no
// `buttons`; without a language, every language Meta supports for templates is previewed.
import { fail, type Obj } from '../validate/check.ts';
import { expiryMinutes } from './buttons.ts';
import { authBodyText, authFooterText, authTexts } from './auth-text.ts';
import { templateLanguage } from './validate.ts';
import { nonDecimalNumber } from './migrate.ts';

/** Meta's supported template languages: what a preview without `languages` covers. */
export const TEMPLATE_LANGUAGES = [
  'af', 'sq', 'ar', 'az', 'bn', 'bg', 'ca', 'zh_CN', 'zh_HK', 'zh_TW', 'hr', 'cs', 'da', 'nl', 'en', 'en_GB', 'en_US', 'et', 'fil', 'fi',
  'fr', 'ka', 'de', 'el', 'gu', 'ha', 'he', 'hi', 'hu', 'id', 'ga', 'it', 'ja', 'kn', 'kk', 'rw_RW', 'ko', 'ky_KG', 'lo', 'lv', 'lt', 'mk',
  'ms', 'ml', 'mr', 'nb', 'fa', 'pl', 'pt_BR', 'pt_PT', 'pa', 'ro', 'ru', 'sr', 'sk', 'sl', 'es', 'es_AR', 'es_ES', 'es_MX', 'sw', 'sv',
  'ta', 'te', 'th', 'tr', 'uk', 'ur', 'uz', 'vi', 'zu',
] as const;

/** At most this many languages in one request (Meta's list has about 70). */
const MAX_LANGUAGES = 100;

export interface PreviewQuery {
  category?: string;
  languages?: string;
  language?: string;
  add_security_recommendation?: string;
  code_expiration_minutes?: string;
  button_types?: string;
}

export interface PreviewOptions {
  languages: string[];
  security: boolean;
  minutes: number | undefined;
  buttons: boolean;
}

export interface Preview {
  body: string;
  buttons?: { autofill_text: string; text: string }[];
  footer?: string;
  language: string;
}

/** A boolean query parameter: true/false (either casing) or 1/0. */
function queryBool(v: string | undefined, field: string): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw fail(field, `must be true or false (got "${v.slice(0, 20)}")`);
}

/** Checks a preview request's parameters (every API's, each renders the 400 in its format). */
export function parsePreviewQuery(q: PreviewQuery | Obj): PreviewOptions {
  const query = q as PreviewQuery;
  if (query.category === undefined || query.category === '') throw fail('category', 'is required (AUTHENTICATION)');
  if (typeof query.category !== 'string' || query.category.trim().toUpperCase() !== 'AUTHENTICATION') {
    throw fail('category', `only AUTHENTICATION templates have previews (got "${String(query.category).slice(0, 30)}")`);
  }
  const field = query.languages !== undefined ? 'languages' : 'language';
  const list = query.languages ?? query.language;
  let languages: string[];
  if (list === undefined || list.trim() === '') languages = [...TEMPLATE_LANGUAGES];
  else {
    const parts = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (parts.length === 0) throw fail(field, 'must name at least one language, e.g. en_US,es');
    if (parts.length > MAX_LANGUAGES) throw fail(field, `must name at most ${MAX_LANGUAGES} languages (got ${parts.length})`);
    languages = [...new Set(parts.map((l) => templateLanguage(l, field)))];
  }
  const security = queryBool(query.add_security_recommendation, 'add_security_recommendation') ?? false;
  const m = query.code_expiration_minutes;
  // Decimal digits only: Number() would read "0x10" as 16 minutes.
  if (nonDecimalNumber(m)) throw fail('code_expiration_minutes', 'must be a whole number of minutes, 1 to 90');
  const minutes = m === undefined || m === '' ? undefined : expiryMinutes(m, 'code_expiration_minutes');
  let buttons = false;
  if (query.button_types !== undefined && query.button_types !== '') {
    const types = query.button_types.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
    const other = types.find((t) => t !== 'OTP');
    if (types.length === 0 || other !== undefined) throw fail('button_types', `must be OTP for authentication templates${other ? ` (got "${other.slice(0, 20)}")` : ''}`);
    buttons = true;
  }
  return { languages, security, minutes, buttons };
}

/** The previews, one per language, in the order asked. */
export function authTemplatePreviews(o: PreviewOptions): { data: Preview[] } {
  return {
    data: o.languages.map((language) => {
      const texts = authTexts(language);
      return {
        body: authBodyText(language, o.security),
        ...(o.buttons ? { buttons: [{ autofill_text: texts.autofill, text: texts.copyCode }] } : {}),
        ...(o.minutes !== undefined ? { footer: authFooterText(language, o.minutes) } : {}),
        language,
      };
    }),
  };
}
