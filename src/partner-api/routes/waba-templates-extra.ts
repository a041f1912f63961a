// Two template operations of 360dialog's Partner API whose paths the reference did not capture
// (reference §1.3: "copy from another WABA — {source WABA id, page}, page 0 = first 2500; preview
// auth templates — category, languages, add_security_recommendation, code_expiration_minutes").
// The paths are openwaba's choice, beside the WABA's templates:
//   POST /partners/{pid}/waba_accounts/{wid}/waba_templates/migrate   {source_waba_account_id, page?}
//   GET  /partners/{pid}/waba_accounts/{wid}/waba_templates/previews  ?category=AUTHENTICATION&languages=…
// Both WABAs must be the partner's (another partner's, or none, is 404 as every WABA route answers).
// The answers are Meta's (what 360dialog passes on): {migrated_templates, failed_templates} and
// {data:[{body, buttons?, footer?, language}]}. Rules: messaging/templates/migrate.ts, previews.ts.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { getWabaAccount } from '../../services/waba-accounts.ts';
import { notFound } from '../../errors.ts';
import { findPartnerWaba, migrateTemplates, parsePartnerMigration, sameWabaRefusal } from '../../messaging/templates/migrate.ts';
import { authTemplatePreviews, parsePreviewQuery } from '../../messaging/templates/previews.ts';
import { MigrationAnswer } from '../../messaging/routes/template-migrate.ts';
import { PreviewAnswer, PreviewParams } from '../../messaging/routes/template-previews.ts';
import { PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';

const WabaParams = Type.Object({ partner_id: Type.String({ maxLength: 64 }), waba_account_id: Type.String({ maxLength: 64 }) });

export const wabaTemplateExtraRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Templates'];
  const base = '/partners/:partner_id/waba_accounts/:waba_account_id/waba_templates';

  app.post(
    `${base}/migrate`,
    {
      schema: {
        tags,
        summary: "Copy another WABA's APPROVED templates into this WABA",
        description:
          'source_waba_account_id: another WABA of the partner (its 360 id, or its Meta id). page: 0-based, 2500 templates a page. Copies are APPROVED at once (the partner gets waba_template_status_changed); a name and language this WABA already has is in failed_templates with its reason; PENDING and REJECTED templates are not copied.',
        security: PARTNER_SECURITY,
        params: WabaParams,
        body: Type.Unknown({ description: '{"source_waba_account_id":"<360 WABA id>","page":0}' }),
        response: { 200: MigrationAnswer, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const principal = request.partner!;
      const waba = await getWabaAccount(deps, request.params.partner_id, request.params.waba_account_id);
      const req = parsePartnerMigration(request.body);
      const source = await findPartnerWaba(deps, waba.partner_id, req.source);
      if (!source) throw notFound(`WABA account ${req.source} not found`);
      if (source.id === waba.id) throw sameWabaRefusal('source_waba_account_id');
      return migrateTemplates(deps, { partnerId: waba.partner_id, wabaAccountId: waba.id }, source.id, req, principal.actor);
    },
  );

  app.get(
    `${base}/previews`,
    {
      schema: {
        tags,
        summary: 'Authentication template previews: body, footer and button texts per language',
        security: PARTNER_SECURITY,
        params: WabaParams,
        querystring: PreviewParams,
        response: { 200: PreviewAnswer, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      await getWabaAccount(deps, request.params.partner_id, request.params.waba_account_id);
      return authTemplatePreviews(parsePreviewQuery(request.query));
    },
  );
};
