// Template migration through the Messaging API: Meta's POST /{destination-waba-id}/migrate_message_templates
// (graph-paths.ts brings it here) and, at the root, POST /migrate_message_templates (our choice of
// path: 360dialog serves the WABA's edges at the root, the key naming the WABA). The destination is
// always the key's WABA; `source_waba_id` names another WABA of the same partner, by Meta's id or
// openwaba's. Any other WABA (another partner's, or none) answers as Graph answers a node the
// token cannot see (400, code 100, subcode 33). Rules and answer: templates/migrate.ts.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import { findPartnerWaba, migrateTemplates, parseMetaMigration, sameWabaRefusal } from '../templates/migrate.ts';
import { migrateMetaTemplates } from '../../network/meta/templates-migrate-proxy.ts';
import type { Obj } from '../validate/check.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const Q = (description: string) => Type.Optional(Type.String({ description, maxLength: 4096 }));

export const MigrationAnswer = Type.Object(
  {
    migrated_templates: Type.Array(Type.String(), { description: 'ids of the new templates in the destination (APPROVED)' }),
    failed_templates: Type.Record(Type.String(), Type.String(), { description: 'source template id → why it was not copied' }),
  },
  { additionalProperties: true },
);

export const templateMigrateRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  app.post(
    '/migrate_message_templates',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Templates'],
        summary: "Copy another WABA's APPROVED templates into the key's WABA (Meta's migrate_message_templates)",
        description:
          'Both WABAs must be the same partner\'s. Copies are APPROVED at once; a name and language the WABA already has fails with its reason. Pages of 500 (page_number 0 first, `count` smaller), or `template_ids`.',
        security,
        querystring: Type.Object({
          source_waba_id: Q('the WABA to copy from (Meta\'s id or openwaba\'s); also taken in the body'),
          page_number: Q('0-based page of 500 templates'),
          count: Q('page size, 1 to 500'),
        }),
        body: Type.Unknown({ description: '{"source_waba_id":"102290129340398","page_number":0,"count"?:500,"template_ids"?:["…"]}' }),
        response: { 200: MigrationAnswer },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const req = parseMetaMigration(request.body, request.query as Obj);
      if (ch.network === 'meta') return migrateMetaTemplates(meta, ch, req);
      const source = await findPartnerWaba(deps, ch.partner_id, req.source, ch.client_id);
      if (!source) throw graphNodeNotFound('POST', req.source);
      if (source.id === ch.waba_account_id) throw sameWabaRefusal('source_waba_id');
      return migrateTemplates(deps, { partnerId: ch.partner_id, wabaAccountId: ch.waba_account_id }, source.id, req, { user_id: ch.id, user_name: 'channel_api_key' });
    },
  );
};
