// Graph's `me` node for the token that asks: GET /me, also /{version}/me (graph-paths.ts rewrites
// it to /me). Many integrations check a token with it at start-up or in a "test connection" button.
//
// For a system user's token Meta answers the system user, {"id":…,"name":…} (Graph's default
// fields of a User node are id and name). A channel key is openwaba's system user token
// (GET /debug_token says type SYSTEM_USER): `id` is that answer's user_id (one system user per
// client, stable), `name` is fixed, since a channel key has no system user of its own to name:
// "openwaba system user" (our choice; any string is what clients accept, none of them matches it).
// `fields` may name id and name; other fields of Meta's User node (email, picture, …) have nothing
// behind them for a system user here and are left out, as Graph leaves out a field with no value,
// so a client asking for more still gets its 200.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { askedFields, fieldsParam } from '../graph-node-fields.ts';
import { systemUserId } from './graph-debug-token.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
export const SYSTEM_USER_NAME = 'openwaba system user';

const Me = Type.Object({ id: Type.String(), name: Type.Optional(Type.String()) });

export const graphMeRoutes: FastifyPluginAsync<MessagingOptions> = async (app) => {
  app.get(
    '/me',
    {
      config: { flavour: 'cloud' as const },
      schema: {
        tags: ['Channel'],
        summary: "The key's system user, as Graph's GET /me answers a system user token: {id, name}",
        description: 'id is the user_id GET /debug_token names for the key; fields may name id and name (other User fields are left out).',
        security,
        querystring: Type.Object({ fields: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: true }),
        response: { 200: Me },
      },
    },
    async (request) => {
      const fields = new Set(askedFields(fieldsParam(request), ['id', 'name']));
      // id always, first: Graph answers a node's id whatever fields name.
      return { id: systemUserId(request.channel!.client_id), ...(fields.has('name') ? { name: SYSTEM_USER_NAME } : {}) };
    },
  );
};
