// Meta's bulk management of authentication templates, POST /{waba-id}/upsert_message_templates:
//
//   {"name":"…","languages":["en_US","es_ES","fr"],"category":"AUTHENTICATION","components":[…]}
//   → {"data":[{"id":"…","status":"…","language":"en_US"},…]}
//
// Source: Meta's "Bulk management" page (developers.facebook.com/documentation/business-messaging/
// whatsapp/templates/authentication-templates/bulk-management) and pywa's api.py
// `upsert_message_templates` (POST /{waba_id}/upsert_message_templates, json=template). "If a
// template with the matching name and language already exists, it will be updated with the
// request's contents. Otherwise, a new template will be created." Every creation property is
// taken except `language` (replaced by `languages`), a button's `text` and `autofill_text`.
//
// Here each language is an ordinary creation (createTemplate) or edit (editTemplate), so the
// sandbox review decides each as it decides POST /message_templates: the answer's status is
// PENDING until then (Meta's example answers APPROVED at once; a client reads the status it gets).
// Every language is checked before anything is written, so a bad one changes nothing.
import type { Deps } from '../../deps.ts';
import { metaError } from '../errors.ts';
import { arr, fail, isObj, onlyKeys, type Obj } from '../validate/check.ts';
import { createTemplate, editRefusal, editTemplate, type TemplateScope } from './service.ts';
import { findTemplate, type Actor } from './store.ts';
import { parseNewTemplate, parseTemplateEdit, templateLanguage } from './validate.ts';

/** Languages in one request: Meta names no limit; WhatsApp has about 70 template languages. */
const MAX_LANGUAGES = 80;

export interface UpsertRequest {
  name: string;
  languages: string[];
  /** The creation body of one language. */
  bodyFor(language: string): Obj;
}

export function parseUpsert(body: unknown): UpsertRequest {
  if (!isObj(body)) throw fail('body', 'must be a JSON object with name, languages, category and components');
  if (body.language !== undefined) throw fail('language', 'is not supported by upsert_message_templates: use languages, a list such as ["en_US","es_ES"]');
  onlyKeys(body, 'body', ['name', 'languages', 'category', 'components', 'message_send_ttl_seconds']);
  if (typeof body.category !== 'string' || body.category.toUpperCase() !== 'AUTHENTICATION') throw fail('category', 'must be AUTHENTICATION (upsert_message_templates manages authentication templates only)');
  const languages = [...new Set(arr(body.languages, 'languages', { min: 1, max: MAX_LANGUAGES }).map((l, i) => templateLanguage(l, `languages[${i}]`)))];
  const components = Array.isArray(body.components) ? body.components : [];
  components.forEach((c, i) => {
    if (!isObj(c) || !Array.isArray(c.buttons)) return;
    c.buttons.forEach((b, j) => {
      for (const k of ['text', 'autofill_text']) if (isObj(b) && b[k] !== undefined) throw fail(`components[${i}].buttons[${j}].${k}`, 'is not supported by upsert_message_templates');
    });
  });
  const { languages: _l, ...rest } = body;
  const bodyFor = (language: string): Obj => ({ ...rest, language });
  // The whole check of every language now (name, components against the language's fixed texts).
  let name = '';
  for (const l of languages) name = parseNewTemplate(bodyFor(l)).name;
  return { name, languages, bodyFor };
}

/** Creates or updates each language; Meta's `{data:[{id, status, language}]}`. */
export async function upsertTemplates(deps: Deps, scope: TemplateScope, req: UpsertRequest, actor: Actor): Promise<{ data: { id: string; status: string; language: string }[] }> {
  const existing = new Map<string, Awaited<ReturnType<typeof findTemplate>>>();
  for (const l of req.languages) {
    const t = await findTemplate(deps, scope.wabaAccountId, req.name, l);
    if (!t) continue;
    if (t.category !== 'AUTHENTICATION') throw metaError(400, 100, 'Invalid parameter', `template name=${req.name} language=${l} exists and is ${t.category}; upsert_message_templates updates authentication templates only`);
    const refusal = editRefusal(t);
    if (refusal) throw metaError(400, 100, 'Invalid parameter', refusal);
    parseTemplateEdit({ components: req.bodyFor(l).components }, t.category, l);
    existing.set(l, t);
  }
  const data: { id: string; status: string; language: string }[] = [];
  for (const l of req.languages) {
    const body = req.bodyFor(l);
    const current = existing.get(l);
    const row = current
      ? await editTemplate(deps, scope.wabaAccountId, current.id, { components: body.components, ...(body.message_send_ttl_seconds !== undefined && { message_send_ttl_seconds: body.message_send_ttl_seconds }) }, actor)
      : await createTemplate(deps, scope, body, actor);
    data.push({ id: row.id, status: row.status, language: l });
  }
  return { data };
}
