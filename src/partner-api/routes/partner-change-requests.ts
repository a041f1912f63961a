// Partner change requests on the receiving partner's side (reference §1.3): the list (360dialog's
// path), one by id (openwaba extension), approval, and the auto_approve setting. Every route is
// scoped to the partner in the path (plugin.ts); a request made to another partner is a 404.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { badRequest } from '../../errors.ts';
import {
  approvePartnerChangeRequest,
  getPartnerChangeRequest,
  getPcrSettings,
  listPartnerChangeRequests,
  pcrToWire,
  PCR_LIST,
  setPcrSettings,
} from '../../services/partner-change-requests.ts';
import { ErrorBody, ListEnvelopeProps, listQuery, PartnerIdParams, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';

const Actor = Type.Object({ user_id: Type.String(), user_name: Type.String() }, { additionalProperties: true });
const Time = Type.Union([Type.String({ description: 'ISO-8601 UTC, e.g. 2023-02-28T14:36:45Z' }), Type.Null()]);

export const PartnerChangeRequest = Type.Object(
  {
    id: Type.String({ description: 'Hub id ending in PCR' }),
    status: Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')], {
      description:
        'pending: waiting for the receiving partner; completed: moved; failed: could not be carried out (failure_reason says why); cancelled: withdrawn by the client while pending (openwaba’s name: the reference has none)',
    }),
    is_full_migration: Type.Boolean({ description: 'true: the whole client moves; false: only channel_ids (selective)' }),
    client_id: Type.String({ description: "The client's id under the old partner" }),
    new_client_id: Type.Union([Type.String(), Type.Null()], { description: 'Its id under the new partner once completed: the same client (full) or a new one (selective)' }),
    old_partner_id: Type.String(),
    new_partner_id: Type.String(),
    channel_ids: Type.Array(Type.String()),
    auto_approved: Type.Boolean(),
    failure_reason: Type.Union([Type.String(), Type.Null()]),
    created_at: Time,
    created_by: Actor,
    modified_at: Time,
    completed_at: Time,
    approved_by: Type.Union([Actor, Type.Null()]),
  },
  { additionalProperties: true, description: 'Partner change request (field names beyond id/status/created_at/modified_at are openwaba’s; the reference lacks them)' },
);

const PcrList = Type.Object({ ...ListEnvelopeProps, partner_change_requests: Type.Array(PartnerChangeRequest) });
const PcrParams = Type.Object({ partner_id: Type.String({ maxLength: 64 }), pcr_id: Type.String({ maxLength: 64 }) });
const PcrSettings = Type.Object({ auto_approve: Type.Boolean() });
const CONFLICT = { 409: { ...ErrorBody, description: 'The request is no longer pending (completed, failed, or cancelled by the client)' } };

/** 360dialog's own example sends "true" as a string; booleans, "true"/"false" (any case) and form values all count. */
function toBoolean(v: boolean | string): boolean {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw badRequest(`auto_approve must be true or false, got "${v.slice(0, 20)}"`);
}

export const partnerChangeRequestRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Partner change requests'];

  app.get(
    '/partners/:partner_id/selective_partner_change_requests',
    {
      schema: {
        tags,
        summary: 'List partner change requests to this partner',
        description: 'Requests of clients (or some of their channels) to move to this partner. Filter with filters={"status":"pending"}; sort with sort=-created_at (the default).',
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        querystring: listQuery(PCR_LIST),
        response: { 200: PcrList, ...PARTNER_ERRORS },
      },
    },
    async (request) => listPartnerChangeRequests(deps, request.params.partner_id, request.query),
  );

  app.get(
    '/partners/:partner_id/selective_partner_change_requests/:pcr_id',
    {
      schema: {
        tags,
        summary: 'Retrieve one partner change request (openwaba extension; same object as in the list)',
        security: PARTNER_SECURITY,
        params: PcrParams,
        response: { 200: PartnerChangeRequest, ...PARTNER_ERRORS },
      },
    },
    async (request) => pcrToWire(await getPartnerChangeRequest(deps, request.params.partner_id, request.params.pcr_id)),
  );

  app.post(
    '/partners/:partner_id/selective_partner_change_requests/:pcr_id/approve',
    {
      schema: {
        tags,
        summary: 'Approve a partner change request',
        // The reference has this call ("approve a PCR by id → PCR object") without its path; it is
        // placed under the list's path, where a client guessing it would look first.
        description:
          'Moves the client (or the selected channels, under a new client) to this partner in one transaction and answers the request, completed (or failed, with failure_reason). Both partners get a partner_change_request_completed event.',
        security: PARTNER_SECURITY,
        params: PcrParams,
        response: { 200: PartnerChangeRequest, ...PARTNER_ERRORS, ...CONFLICT },
      },
    },
    async (request) => pcrToWire(await approvePartnerChangeRequest(deps, request.params.partner_id, request.params.pcr_id, request.partner!.actor)),
  );

  app.get(
    '/partners/:partner_id/settings/partner_change_request',
    {
      schema: {
        tags,
        summary: 'Get the partner change request settings (openwaba extension)',
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        response: { 200: PcrSettings, ...PARTNER_ERRORS },
      },
    },
    async (request) => getPcrSettings(deps, request.params.partner_id),
  );

  app.patch(
    '/partners/:partner_id/settings/partner_change_request',
    {
      schema: {
        tags,
        summary: 'Turn auto-approval of incoming partner change requests on or off',
        description: 'Applies to requests made from then on; pending requests still need an approval.',
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        body: Type.Object(
          { auto_approve: Type.Union([Type.Boolean(), Type.String({ maxLength: 10, description: '"true" or "false", as in 360dialog’s example' })]) },
          { additionalProperties: false },
        ),
        response: { 200: PcrSettings, ...PARTNER_ERRORS },
      },
    },
    async (request) => setPcrSettings(deps, request.params.partner_id, toBoolean(request.body.auto_approve)),
  );
};
