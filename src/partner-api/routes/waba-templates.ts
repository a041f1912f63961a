// A WABA's templates through the Partner API: list, create, edit (PATCH components), delete.
// The WABA must be the partner's (another partner's WABA is 404). Statuses are shown upper-case
// (APPROVED, PENDING, REJECTED); list filters take 360's lower-case forms too.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { getWabaAccount } from '../../services/waba-accounts.ts';
import { listTemplates, TEMPLATE_LIST } from '../../messaging/templates/list.ts';
import { showSampleUrlsIn } from '../../messaging/templates/sample-url.ts';
import { createTemplate, deleteTemplateById, editTemplate } from '../../messaging/templates/service.ts';
import { templateToWire } from '../../messaging/templates/store.ts';
import { successMeta } from '../errors.ts';
import { listQuery, PARTNER_ERRORS, PARTNER_SECURITY, SuccessMeta, ListEnvelopeProps } from '../schemas.ts';
import { PartnerRateLimits, RATE_LIMITED } from '../rate-limits.ts';

const Actor = Type.Object({ user_id: Type.String(), user_name: Type.String() }, { additionalProperties: true });
const WabaTemplate = Type.Object(
  {
    id: Type.String(),
    partner_id: Type.String(),
    waba_account_id: Type.String(),
    external_id: Type.String(),
    name: Type.String(),
    status: Type.String({ description: 'PENDING | APPROVED | REJECTED | PAUSED | DISABLED' }),
    language: Type.String(),
    category: Type.String({ description: 'AUTHENTICATION | MARKETING | UTILITY' }),
    components: Type.Array(Type.Any()),
    rejected_reason: Type.String({ description: 'NONE, or e.g. INVALID_FORMAT' }),
    namespace: Type.String(),
    created_at: Type.Union([Type.String(), Type.Null()]),
    created_by: Actor,
    modified_at: Type.Union([Type.String(), Type.Null()]),
    modified_by: Actor,
  },
  { additionalProperties: true },
);
const WabaTemplateList = Type.Object({ ...ListEnvelopeProps, waba_templates: Type.Array(WabaTemplate) });
const WabaParams = Type.Object({ partner_id: Type.String({ maxLength: 64 }), waba_account_id: Type.String({ maxLength: 64 }) });
const TemplateParams = Type.Object({
  partner_id: Type.String({ maxLength: 64 }),
  waba_account_id: Type.String({ maxLength: 64 }),
  template_id: Type.String({ maxLength: 64 }),
});
const Body = Type.Unknown({ description: '{"name","category","language","components":[…],"allow_category_change"?}' });
/**
 * The typed fields of a template body, for form-encoded bodies only (form-body.ts): their strings
 * become the booleans and numbers a JSON body has. The template checks (messaging/templates) decide.
 */
const TemplateFormFields = Type.Object({
  allow_category_change: Type.Optional(Type.Boolean()),
  message_send_ttl_seconds: Type.Optional(Type.Integer()),
  components: Type.Optional(
    Type.Array(
      Type.Object({
        add_security_recommendation: Type.Optional(Type.Boolean()),
        code_expiration_minutes: Type.Optional(Type.Integer()),
        limited_time_offer: Type.Optional(Type.Object({ has_expiration: Type.Optional(Type.Boolean()) })),
        buttons: Type.Optional(Type.Array(Type.Object({ zero_tap_terms_accepted: Type.Optional(Type.Boolean()) }))),
      }),
    ),
  ),
});

export const wabaTemplateRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Templates'];
  const limits = new PartnerRateLimits(deps);
  const base = '/partners/:partner_id/waba_accounts/:waba_account_id/waba_templates';

  app.get(
    base,
    {
      schema: {
        tags,
        summary: "List a WABA's templates",
        description: 'filters keys: id, partner_id, business_templates.name (or name), status, category, language.',
        security: PARTNER_SECURITY,
        params: WabaParams,
        querystring: listQuery(TEMPLATE_LIST),
        response: { 200: WabaTemplateList, ...PARTNER_ERRORS, ...RATE_LIMITED },
      },
    },
    async (request) => {
      limits.check('templateList', request.params.partner_id);
      const waba = await getWabaAccount(deps, request.params.partner_id, request.params.waba_account_id);
      const list = await listTemplates(deps, waba.id, request.query);
      // A media header's sample as a URL, as Meta shows it (messaging/templates/sample-url.ts).
      await showSampleUrlsIn(deps, waba.id, list.waba_templates);
      return list;
    },
  );

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Create a template (PENDING until reviewed)',
        description:
          'A BODY that begins or ends with a placeholder, or has too many placeholders for its length, is refused at once (400), as Meta refuses it. The sandbox reviews after OPENWABA_TEMPLATE_REVIEW_DELAY and rejects (INVALID_FORMAT) names starting with reject_ or two placeholders side by side; the partner gets waba_template_status_changed.',
        security: PARTNER_SECURITY,
        params: WabaParams,
        body: Body,
        response: { 201: WabaTemplate, ...PARTNER_ERRORS, ...RATE_LIMITED },
      },
      config: { formFields: TemplateFormFields },
    },
    async (request, reply) => {
      const principal = request.partner!;
      const waba = await getWabaAccount(deps, request.params.partner_id, request.params.waba_account_id);
      limits.check('templateCreate', waba.id);
      const row = await createTemplate(deps, { partnerId: waba.partner_id, wabaAccountId: waba.id }, request.body, principal.actor);
      return reply.status(201).send(templateToWire(row, waba.namespace));
    },
  );

  app.patch(
    `${base}/:template_id`,
    {
      schema: {
        tags,
        summary: "Edit a template's components (it is reviewed again)",
        security: PARTNER_SECURITY,
        params: TemplateParams,
        body: Type.Unknown({ description: '{"components":[…],"allow_category_change"?} (the flag is taken but an edit never changes the category)' }),
        response: { 200: Type.Object({ success: Type.Boolean() }), ...PARTNER_ERRORS },
      },
      config: { formFields: TemplateFormFields },
    },
    async (request) => {
      const principal = request.partner!;
      const waba = await getWabaAccount(deps, request.params.partner_id, request.params.waba_account_id);
      await editTemplate(deps, waba.id, request.params.template_id, request.body, principal.actor);
      return { success: true };
    },
  );

  app.delete(
    `${base}/:template_id`,
    { schema: { tags, summary: 'Delete a template', security: PARTNER_SECURITY, params: TemplateParams, response: { 200: SuccessMeta, ...PARTNER_ERRORS } } },
    async (request) => {
      const waba = await getWabaAccount(deps, request.params.partner_id, request.params.waba_account_id);
      const t = await deleteTemplateById(deps, waba.id, request.params.template_id);
      return successMeta(`template id=${t.id} (name=${t.name}, language=${t.language}) was deleted`);
    },
  );
};
