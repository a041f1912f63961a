// The body of a template creation, the same for all three APIs (POST /v1/configs/templates,
// POST /message_templates, POST /api/v2/…/waba_templates): name, category, language, components.
import { bool, fail, isObj, num, oneOf, onlyKeys, str, type Obj } from '../validate/check.ts';
import { checkComponents } from './components.ts';
import type { ParameterFormat } from './placeholders.ts';
import { checkSyncPlaceholderRules } from './sync-rules.ts';

export const CATEGORIES = ['AUTHENTICATION', 'MARKETING', 'UTILITY'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface NewTemplate {
  name: string;
  category: Category;
  language: string;
  components: Obj[];
  parameterFormat: ParameterFormat | null;
  allowCategoryChange: boolean;
  /** Made from this template of the template library (library-create.ts). */
  libraryTemplateName?: string;
}

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

/** Meta's template names: lower-case letters, digits and underscores, at most 512 characters. */
export function templateName(v: unknown, field = 'name'): string {
  const name = str(v, field, { max: 512 });
  if (!/^[a-z0-9_]+$/.test(name)) throw fail(field, `must contain only lower-case letters, digits and underscores (got "${name.slice(0, 60)}")`);
  return name;
}

/** Meta's language codes: `en`, `en_US`, `pt_BR`, `fil`, `zh_HK` (a BCP-47 `-` is not accepted). */
export function templateLanguage(v: unknown, field = 'language'): string {
  const lang = str(v, field, { max: 16 });
  if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(lang)) throw fail(field, `must be a WhatsApp language code such as en, en_US, de or pt_BR (got "${lang.slice(0, 20)}")`);
  return lang;
}

export function parseNewTemplate(body: unknown): NewTemplate {
  if (!isObj(body)) throw fail('body', 'must be a JSON object with name, category, language and components');
  // A body with library_template_name is read by library-create.ts (service.ts chooses).
  for (const k of ['library_template_button_inputs', 'library_template_body_inputs']) {
    if (body[k] !== undefined) throw fail(k, 'is only taken with library_template_name (a template made from the template library)');
  }
  onlyKeys(body, 'body', ['name', 'category', 'language', 'components', 'allow_category_change', 'parameter_format', 'message_send_ttl_seconds', 'sub_category']);
  const name = templateName(body.name);
  const category = oneOf(upper(body.category), 'category', CATEGORIES);
  const language = templateLanguage(body.language);
  const declared = body.parameter_format === undefined ? undefined : oneOf(upper(body.parameter_format), 'parameter_format', ['POSITIONAL', 'NAMED'] as const);
  const allowCategoryChange = bool(body.allow_category_change, 'allow_category_change') ?? false;
  if (body.message_send_ttl_seconds !== undefined) num(body.message_send_ttl_seconds, 'message_send_ttl_seconds', { min: -1, max: 2_592_000 });
  if (body.sub_category !== undefined) str(body.sub_category, 'sub_category', { max: 64 });
  const { components, parameterFormat } = checkComponents(body.components, 'components', category, declared, language);
  // Refused by Meta at once, not in review (sync-rules.ts).
  checkSyncPlaceholderRules(components, category, body.components);
  return { name, category, language, components, parameterFormat: parameterFormat ?? declared ?? null, allowCategoryChange };
}

/**
 * An edit: new components (checked against the template's category). `allow_category_change`, the
 * creation flag, is taken too: partners send their edits with it (kairon's edit_template lets
 * exactly components and allow_category_change through), and an edit never changes the category,
 * so it is checked to be a boolean and has no further effect.
 */
export function parseTemplateEdit(body: unknown, category: string, language?: string): { components: Obj[] } {
  if (!isObj(body)) throw fail('body', 'must be a JSON object such as {"components":[…]}');
  onlyKeys(body, 'body', ['components', 'category', 'message_send_ttl_seconds', 'allow_category_change']);
  bool(body.allow_category_change, 'allow_category_change');
  if (body.category !== undefined && upper(body.category) !== category) {
    throw fail('category', `cannot be changed by an edit (the template is ${category}); create a new template instead`);
  }
  if (body.message_send_ttl_seconds !== undefined) num(body.message_send_ttl_seconds, 'message_send_ttl_seconds', { min: -1, max: 2_592_000 });
  // An AUTHENTICATION template's fixed texts stay in the template's language.
  const { components } = checkComponents(body.components, 'components', category, undefined, language);
  checkSyncPlaceholderRules(components, category, body.components);
  return { components };
}
