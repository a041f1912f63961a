// Templates of a number on Meta's network: they are its WABA's at Meta (meta_channels.waba_id),
// so creating, deleting and listing them in Meta's format go to Meta's message_templates edge.
// The 360dialog list (/v1/configs/templates) is built from the same edge (templates-360-list.ts).
import { ApiError } from '../../errors.ts';
import { invalidParameter } from '../../messaging/errors.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { withQuery, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { isObj } from '../../messaging/validate/check.ts';
import { badAnswer } from './graph-errors.ts';
import { withCallerPaging, type CallerPageUrl } from '../../messaging/page-links.ts';
import { forgetMetaTemplateLists } from './templates-360-list.ts';

/** A page of templates with their components may be large (Meta allows 1000 per page); one answer is read up to this. */
export const TEMPLATE_LIST_MAX_BYTES = 16 * 1024 * 1024;

/** The query parameters of Meta's list that are passed on (the route's schema names the same). */
const LIST_PARAMS = ['limit', 'after', 'before', 'fields', 'name', 'status', 'category', 'language', 'summary'] as const;
export type MetaTemplateQuery = Partial<Record<(typeof LIST_PARAMS)[number], string>>;

/** A page of the WABA's templates from Meta, as Meta answered it. */
export function metaTemplatePage(api: MetaCloudApi, channel: ChannelRow, query: MetaTemplateQuery): Promise<GraphObject> {
  const params: Record<string, string | undefined> = {};
  for (const k of LIST_PARAMS) params[k] = query[k];
  return api.json(channel, 'GET', (c) => withQuery(`${c.wabaId}/message_templates`, params), undefined, { maxBytes: TEMPLATE_LIST_MAX_BYTES });
}

/** GET /message_templates: Meta's `{data, paging, summary?}` passed through, its paging URLs the caller's (page-links.ts). */
export async function listMetaTemplates(api: MetaCloudApi, channel: ChannelRow, query: MetaTemplateQuery, pageUrl: CallerPageUrl): Promise<GraphObject> {
  return withCallerPaging(await metaTemplatePage(api, channel, query), pageUrl);
}

/**
 * Creates a template at Meta: the body goes as the client wrote it (name, category, language,
 * components, allow_category_change, library_template_name, …), Meta checks it and answers
 * `{id, status, category}`.
 */
export async function createMetaTemplate(api: MetaCloudApi, channel: ChannelRow, body: unknown): Promise<{ id: string; status: string; category: string }> {
  if (!isObj(body)) throw invalidParameter('body: must be a JSON object with name, category, language and components');
  let waba: string | undefined;
  let b: GraphObject;
  try {
    b = await api.json(channel, 'POST', (c) => `${(waba = c.wabaId)}/message_templates`, { json: body });
    if (waba !== undefined) forgetMetaTemplateLists(api.deps, waba);
  } catch (err) {
    // The WABA's kept 360 lists (templates-360-list.ts) go unless Meta refused it (a 4xx): a 5xx
    // or no answer may still have created it.
    if (waba !== undefined && mayHaveActed(err)) forgetMetaTemplateLists(api.deps, waba);
    throw err;
  }
  if (typeof b.id !== 'string' && typeof b.id !== 'number') throw badAnswer('a template creation without an id');
  // Meta names status and category in its answer; were one missing, what was asked for stands in.
  const asked = typeof body.category === 'string' ? body.category.toUpperCase() : '';
  return { id: String(b.id), status: typeof b.status === 'string' ? b.status : 'PENDING', category: typeof b.category === 'string' ? b.category : asked };
}

/** Whether Meta may have carried out a request that failed: anything but its refusal (a 4xx). */
function mayHaveActed(err: unknown): boolean {
  return !(err instanceof ApiError) || err.status >= 500;
}

/** Deletes a template name (every language) at Meta, or the one template hsm_id of that name. */
export async function deleteMetaTemplate(api: MetaCloudApi, channel: ChannelRow, name: string, hsmId?: string): Promise<void> {
  let waba: string | undefined;
  try {
    await api.json(channel, 'DELETE', (c) => withQuery(`${(waba = c.wabaId)}/message_templates`, { name, hsm_id: hsmId }));
    if (waba !== undefined) forgetMetaTemplateLists(api.deps, waba);
  } catch (err) {
    if (waba !== undefined && mayHaveActed(err)) forgetMetaTemplateLists(api.deps, waba);
    throw err;
  }
}

/** Edits a template at Meta (POST /{template-id}): the body as the client wrote it; Meta answers `{success}`. */
export async function editMetaTemplate(api: MetaCloudApi, channel: ChannelRow, templateId: string, body: unknown): Promise<{ success: boolean }> {
  if (!isObj(body)) throw invalidParameter('body: must be a JSON object (components, category, …)');
  let waba: string | undefined;
  try {
    const b = await api.json(channel, 'POST', (c) => {
      waba = c.wabaId;
      return templateId;
    }, { json: body });
    if (waba !== undefined) forgetMetaTemplateLists(api.deps, waba);
    return { success: b.success !== false };
  } catch (err) {
    if (waba !== undefined && mayHaveActed(err)) forgetMetaTemplateLists(api.deps, waba);
    throw err;
  }
}

/**
 * One template from Meta (GET /{template-id}, fields passed on when given): Meta's template object
 * as Meta answered it. Whose template it is, is Meta's to check with the channel's token, as for the
 * edit; a template the token cannot see is Graph's own 400 (code 100, subcode 33) passed through.
 */
export async function getMetaTemplate(api: MetaCloudApi, channel: ChannelRow, templateId: string, fields: string | undefined): Promise<GraphObject> {
  const f = fields?.trim();
  const b = await api.json(channel, 'GET', () => withQuery(templateId, { fields: f || undefined }));
  if (typeof b.id !== 'string' && typeof b.id !== 'number') throw badAnswer('a template without an id');
  return b;
}
