// The partner itself: GET/PATCH /partners/{pid}, GET/POST /partners/{pid}/webhook_url.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { getPartner, partnerToWire, partnerWebhookHeaders, updatePartner } from '../../services/partners.ts';
import { badRequest } from '../../errors.ts';
import { requirePartner } from '../auth.ts';
import { ErrorBody, Partner, PartnerIdParams, UrlString, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';
import { optionalUrl, validateHttpUrl } from '../urls.ts';


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
      requirePartner(request, request.params.partner_id);
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
      requirePartner(request, request.params.partner_id);
      const b = request.body;
      const updated = await updatePartner(deps, request.params.partner_id, {
        webhook_url: optionalUrl('webhook_url', b.webhook_url),
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
      requirePartner(request, request.params.partner_id);
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
              Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 2048 }), {
                description: 'Custom headers sent with every partner webhook, e.g. {"Authorization":"Basic …"}',
              }),
            ),
          },
          { additionalProperties: true },
        ),
        response: { 200: Partner, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      requirePartner(request, request.params.partner_id);
      const url = validateHttpUrl('webhook_url', request.body.webhook_url);
      const headers = request.body.headers;
      if (headers) {
        if (Object.keys(headers).length > 20) throw badRequest('headers: at most 20 custom headers');
        for (const name of Object.keys(headers)) {
          if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw badRequest(`headers: "${name}" is not a valid header name`);
        }
        for (const [name, value] of Object.entries(headers)) {
          if (/[\r\n\0]/.test(value)) throw badRequest(`headers: the value of "${name}" must not contain line breaks`);
        }
      }
      return partnerToWire(await updatePartner(deps, request.params.partner_id, { webhook_url: url, ...(headers ? { webhook_headers: headers } : {}) }));
    },
  );
};
