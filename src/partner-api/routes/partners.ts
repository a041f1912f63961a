// The partner itself: GET/PATCH /partners/{pid}, GET/POST /partners/{pid}/webhook_url.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { getPartner, partnerToWire, partnerWebhookHeaders, updatePartner } from '../../services/partners.ts';
import { Partner, PartnerIdParams, UrlString, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';
import { optionalUrl, optionalWebhookUrl, webhookHeaders, webhookUrl } from '../urls.ts';
import { MAX_WEBHOOK_HEADERS, MAX_WEBHOOK_HEADER_NAME, MAX_WEBHOOK_HEADER_VALUE } from '../../services/webhook-target-checks.ts';


const PartnerPatch = Type.Object(
  {
    webhook_url: Type.Optional(Type.Union([UrlString, Type.Null()])),
    partner_redirect_url: Type.Optional(Type.Union([UrlString, Type.Null()])),
    allow_client_to_add_phone_no: Type.Optional(Type.Boolean()),
    brand_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    logo_url: Type.Optional(Type.Union([UrlString, Type.Null()])),
    country: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z]{2}$' }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const partnerRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Partner'];

  app.get(
    '/partners/:partner_id',
    { schema: { tags, summary: 'Retrieve partner', security: PARTNER_SECURITY, params: PartnerIdParams, response: { 200: Partner, ...PARTNER_ERRORS } } },
    async (request) => {
      return partnerToWire(await getPartner(deps, request.params.partner_id));
    },
  );

  app.patch(
    '/partners/:partner_id',
    {
      schema: {
        tags,
        summary: 'Update partner (webhook_url, partner_redirect_url, …)',
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        body: PartnerPatch,
        response: { 200: Partner, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const b = request.body;
      const updated = await updatePartner(deps, request.params.partner_id, {
        webhook_url: optionalWebhookUrl('webhook_url', b.webhook_url, deps.config.webhookUrlPolicy),
        partner_redirect_url: optionalUrl('partner_redirect_url', b.partner_redirect_url),
        logo_url: optionalUrl('logo_url', b.logo_url),
        allow_client_to_add_phone_no: b.allow_client_to_add_phone_no,
        brand_name: b.brand_name,
        country: b.country === undefined ? undefined : (b.country?.toUpperCase() ?? null),
      });
      return partnerToWire(updated);
    },
  );

  app.get(
    '/partners/:partner_id/webhook_url',
    {
      schema: {
        tags,
        summary: "Get the partner's webhook URL",
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        response: {
          200: Type.Object({ webhook_url: Type.Union([Type.String(), Type.Null()]), headers: Type.Record(Type.String(), Type.String()) }),
          ...PARTNER_ERRORS,
        },
      },
    },
    async (request) => {
      const p = await getPartner(deps, request.params.partner_id);
      return { webhook_url: p.webhook_url, headers: partnerWebhookHeaders(p) };
    },
  );

  app.post(
    '/partners/:partner_id/webhook_url',
    {
      schema: {
        tags,
        summary: "Set the partner's webhook URL",
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        body: Type.Object(
          {
            webhook_url: UrlString,
            headers: Type.Optional(
              Type.Record(Type.String(), Type.String(), {
                description:
                  `Custom headers sent with every partner webhook, e.g. {"Authorization":"Basic …"}: at most ${MAX_WEBHOOK_HEADERS}, ` +
                  `names up to ${MAX_WEBHOOK_HEADER_NAME} token characters, values up to ${MAX_WEBHOOK_HEADER_VALUE} characters without line breaks (as for channel webhooks)`,
              }),
            ),
          },
          { additionalProperties: true },
        ),
        response: { 200: Partner, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      // The rules (and OPENWABA_WEBHOOK_URL_POLICY) of a channel's webhook: refused here, not at delivery.
      const url = webhookUrl('webhook_url', request.body.webhook_url, deps.config.webhookUrlPolicy);
      const headers = request.body.headers === undefined ? undefined : webhookHeaders(request.body.headers, deps.config.webhookUrlPolicy);
      return partnerToWire(await updatePartner(deps, request.params.partner_id, { webhook_url: url, ...(headers ? { webhook_headers: headers } : {}) }));
    },
  );
};
