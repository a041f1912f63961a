// The moving client's side of a partner change request. At 360dialog a client asks for it in its
// Client Hub ("Profile > Partner > Change Partner": the destination partner's id, then the numbers
// to move); there is no Partner API call for it, so that no partner can pull another's client.
// In openwaba the client asks on its own page (/dashboard/app/{pid}/partner-change, for its
// onboarding users: web/onboarding/partner-change-routes.ts); the operator can ask or withdraw for
// it here (and with `openwaba partner-changes`). The receiving
// partner then sees it in GET /api/v2/partners/{pid}/selective_partner_change_requests and
// approves it (or it is approved at once when that partner has auto_approve on).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.ts';
import { ErrorBody } from '../partner-api/schemas.ts';
import { PartnerChangeRequest } from '../partner-api/routes/partner-change-requests.ts';
import { cancelPartnerChangeRequest, findPartnerChangeRequest, MAX_PCR_CHANNELS, pcrToWire, requestPartnerChange } from '../services/partner-change-requests.ts';

const security: { [k: string]: string[] }[] = [{ AdminToken: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export const adminPartnerChangeRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Admin'];

  app.post(
    '/clients/:client_id/partner_change_requests',
    {
      schema: {
        tags,
        security,
        summary: "Request a partner change for a client (the Client Hub's \"Change Partner\")",
        description:
          'Without channel_ids the whole client moves; with them only those channels move, under a new client of the new partner (a selective change). Answers the request: pending, or completed when the new partner has auto_approve on.',
        params: Type.Object({ client_id: Type.String({ maxLength: 64 }) }),
        body: Type.Object(
          {
            new_partner_id: Type.String({ minLength: 1, maxLength: 64, description: 'The destination partner (…PA)' }),
            channel_ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: MAX_PCR_CHANNELS })),
          },
          { additionalProperties: false },
        ),
        response: { 201: PartnerChangeRequest, ...errors },
      },
    },
    async (request, reply) => {
      const row = await requestPartnerChange(
        deps,
        { clientId: request.params.client_id, newPartnerId: request.body.new_partner_id, channelIds: request.body.channel_ids },
        { user_id: 'admin', user_name: 'admin' },
      );
      return reply.status(201).send(pcrToWire(row));
    },
  );

  app.get(
    '/partner_change_requests/:pcr_id',
    {
      schema: {
        tags,
        security,
        summary: 'Retrieve a partner change request (its status, as the Client Hub shows it)',
        params: Type.Object({ pcr_id: Type.String({ maxLength: 64 }) }),
        response: { 200: PartnerChangeRequest, ...errors },
      },
    },
    async (request) => pcrToWire(await findPartnerChangeRequest(deps, request.params.pcr_id)),
  );

  app.post(
    '/partner_change_requests/:pcr_id/cancel',
    {
      schema: {
        tags,
        security,
        summary: 'Withdraw a pending partner change request for its client (status cancelled; a request no longer pending is a 409)',
        params: Type.Object({ pcr_id: Type.String({ maxLength: 64 }) }),
        response: { 200: PartnerChangeRequest, ...errors },
      },
    },
    async (request) => pcrToWire(await cancelPartnerChangeRequest(deps, request.params.pcr_id, {}, { user_id: 'admin', user_name: 'admin' })),
  );
};
