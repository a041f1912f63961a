// POST /partners/{pid}/account_sharing/numbers: onboard a number whose WABA the business shared
// with the partner's solution (partners hosting their own Embedded Signup). Body and answer as in
// docs.360dialog.com/partner/partner-api/api-reference/account-sharing (AccountSharingNewNumbers
// In/Out); what openwaba does with it is in services/account-sharing.ts.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { onboardSharedNumber } from '../../services/account-sharing.ts';
import { ErrorBody, PartnerIdParams, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';

// Meta's ids are decimal digits (as network/meta/channels.ts META_ID_PATTERN); the reference's examples are too.
const MetaId = (description: string) => Type.String({ pattern: '^[0-9]{5,32}$', description });
// The reference: tier enum basic | regular | premium | "" , nullable.
const Tier = Type.Union([Type.Union([Type.Literal('basic'), Type.Literal('regular'), Type.Literal('premium'), Type.Literal('')]), Type.Null()], {
  description: 'Tier for the client channel (echoed; openwaba has no tiers)',
});

const Body = Type.Object(
  {
    solution_id: MetaId("Meta's partner solution id (echoed; openwaba keeps no solutions)"),
    waba_external_id: MetaId("Meta's WhatsApp Business Account id"),
    waba_business_id: Type.Optional(MetaId("Meta's business id owning the WABA")),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Client that owns the number (one of yours)' })),
    tier: Type.Optional(Tier),
  },
  // The reference lists these fields only: anything else is a mistake worth a 400.
  { additionalProperties: false },
);

const Answer = Type.Object({
  solution_id: Type.String(),
  waba_external_id: Type.String(),
  waba_business_id: Type.Optional(Type.String()),
  client_id: Type.String(),
  tier: Type.Optional(Tier),
  channel_external_id: Type.String(),
  message: Type.String(),
});

export const accountSharingNumberRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/partners/:partner_id/account_sharing/numbers',
    {
      schema: {
        tags: ['Clients'],
        summary: 'Onboard a number shared with your solution (for partners hosting their own Embedded Signup)',
        description:
          'One of waba_business_id or client_id is required. A WABA already attached to Meta here answers its number; otherwise a WABA account with that id and one sandbox number are created (client: client_id, else the one with that business, else a new one). A WABA onboarded before is a 409.',
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        body: Body,
        response: { 200: Answer, ...PARTNER_ERRORS, 409: { ...ErrorBody, description: 'The WABA is already onboarded' } },
      },
    },
    async (request) => onboardSharedNumber(deps, request.params.partner_id, request.body, request.partner!.actor),
  );
};
