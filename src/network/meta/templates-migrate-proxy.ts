// Template migration and authentication template previews of a number on Meta's network: its
// WABA's templates are at Meta (meta_channels.waba_id), so both go to Meta's WABA edges,
// migrate_message_templates and message_template_previews, and Meta's answer (or error) is passed
// on. Which WABAs may be copied from is Meta's to check with the channel's token (the same business).
import type { ChannelRow } from '../../services/channels.ts';
import type { MigrationRequest } from '../../messaging/templates/migrate.ts';
import type { PreviewQuery } from '../../messaging/templates/previews.ts';
import { withQuery, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { badAnswer } from './graph-errors.ts';
import { forgetMetaTemplateLists } from './templates-360-list.ts';
import { ApiError } from '../../errors.ts';

/** POST /{waba}/migrate_message_templates at Meta, with the parameters as checked here. */
export async function migrateMetaTemplates(api: MetaCloudApi, channel: ChannelRow, req: MigrationRequest): Promise<GraphObject> {
  const json: Record<string, unknown> = { source_waba_id: req.source };
  if (req.templateIds) json.template_ids = req.templateIds;
  else {
    json.page_number = req.page;
    json.count = req.count;
  }
  let waba: string | undefined;
  try {
    const b = await api.json(channel, 'POST', (c) => `${(waba = c.wabaId)}/migrate_message_templates`, { json });
    if (waba !== undefined) forgetMetaTemplateLists(api.deps, waba);
    if (!Array.isArray(b.migrated_templates)) throw badAnswer('a template migration without migrated_templates');
    return { migrated_templates: b.migrated_templates, failed_templates: b.failed_templates ?? {} };
  } catch (err) {
    // The WABA's kept 360 lists go unless Meta refused (a 4xx): anything else may have copied some.
    if (waba !== undefined && (!(err instanceof ApiError) || err.status >= 500)) forgetMetaTemplateLists(api.deps, waba);
    throw err;
  }
}

/** GET /{waba}/message_template_previews at Meta, the parameters passed on as given. */
export async function metaTemplatePreviews(api: MetaCloudApi, channel: ChannelRow, query: PreviewQuery): Promise<GraphObject> {
  const params: Record<string, string | undefined> = {
    category: query.category,
    languages: query.languages ?? query.language,
    add_security_recommendation: query.add_security_recommendation,
    code_expiration_minutes: query.code_expiration_minutes,
    button_types: query.button_types,
  };
  const b = await api.json(channel, 'GET', (c) => withQuery(`${c.wabaId}/message_template_previews`, params));
  if (!Array.isArray(b.data)) throw badAnswer('template previews without data');
  return b;
}
