// Clients: list, one by id, PATCH, and creation through account sharing.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { CLIENT_LIST, clientToWire, createClient, getClient, listClients, updateClient } from '../../services/clients.ts';
import { Client, ClientList, ClientParams, listQuery, PartnerIdParams, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';


const ClientPatch = Type.Object(
  {
    partner_payload: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
    // null leaves the limit as it is: the .NET client (WABA360Dialog.NET UpdateClientRequest, an
    // int? serialized with nulls included) sends "max_channels": null whenever it is not given.
    max_channels: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 10000 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

const NewClientBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Type.String({ maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' })),
    user_name: Type.Optional(Type.String({ maxLength: 200 })),
    phone: Type.Optional(Type.String({ maxLength: 32 })),
    organisation: Type.Optional(Type.String({ maxLength: 200 })),
    partner_payload: Type.Optional(Type.String({ maxLength: 4096 })),
    max_channels: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
    website: Type.Optional(Type.String({ maxLength: 2048 })),
    country: Type.Optional(Type.String({ maxLength: 2 })),
  },
  // The real body is only partly documented: further fields are accepted and ignored.
  { additionalProperties: true },
);

export const clientRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Clients'];

  app.get(
    '/partners/:partner_id/clients',
    {
      schema: {
        tags,
        summary: "List the partner's clients",
        description: 'Filter with filters={"contact_info.email":"a@b.c"}; sort with sort=-created_at.',
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        querystring: listQuery(CLIENT_LIST),
        response: { 200: ClientList, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      return listClients(deps, request.params.partner_id, request.query);
    },
  );

  app.get(
    '/partners/:partner_id/clients/:client_id',
    { schema: { tags, summary: 'Retrieve a client', security: PARTNER_SECURITY, params: ClientParams, response: { 200: Client, ...PARTNER_ERRORS } } },
    async (request) => {
      return clientToWire(await getClient(deps, request.params.partner_id, request.params.client_id));
    },
  );

  app.patch(
    '/partners/:partner_id/clients/:client_id',
    {
      schema: {
        tags,
        summary: 'Update a client (partner_payload, max_channels)',
        security: PARTNER_SECURITY,
        params: ClientParams,
        body: ClientPatch,
        response: { 200: Client, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const principal = request.partner!;
      const { max_channels, ...rest } = request.body;
      const row = await updateClient(deps, request.params.partner_id, request.params.client_id, { ...rest, ...(max_channels !== null ? { max_channels } : {}) }, principal.actor);
      return clientToWire(row);
    },
  );

  app.post(
    '/partners/:partner_id/account_sharing/clients',
    {
      schema: {
        tags,
        summary: 'Create a client (for partners hosting their own Embedded Signup)',
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        body: NewClientBody,
        response: { 201: Client, ...PARTNER_ERRORS },
      },
    },
    async (request, reply) => {
      const principal = request.partner!;
      const b = request.body;
      const row = await createClient(
        deps,
        request.params.partner_id,
        {
          name: b.name,
          email: b.email,
          user_name: b.user_name,
          phone: b.phone,
          organisation: b.organisation,
          partner_payload: b.partner_payload,
          max_channels: b.max_channels,
          timezone: b.timezone,
          website: b.website,
          country: b.country,
        },
        principal.actor,
      );
      return reply.status(201).send(clientToWire(row));
    },
  );
};
