// POST /phone_numbers: Meta's "add a phone number to a WABA", the root form of
// POST /{version}/{waba-id}/phone_numbers (graph-paths.ts: the WABA id must be the key's own WABA,
// else Graph's 400 for a node the token cannot see, and nothing is done). Parameters cc,
// phone_number and verified_name in the query, a JSON body or a form, as Graph takes them
// (graph-params.ts); the answer is Meta's {"id":"<phone-number-id>"}.
//
// A sandbox number: the new number becomes a channel of the key's WABA (add-phone-number.ts).
// A number on Meta's network: the checked parameters go to Meta's /{waba_id}/phone_numbers with the
// number's token, and Meta's answer (or error) comes back. openwaba keeps no channel for the number
// Meta created: it is attached later as any number on Meta's network is (Embedded Signup, or the
// operator's attach), once it is registered.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';
import type { MessagingOptions } from '../plugin.ts';
import { graphParams } from '../graph-params.ts';
import { addSandboxPhoneNumber, parseNewPhoneNumber } from '../add-phone-number.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const BODY_LIMIT = 16 * 1024;

export const addPhoneNumberRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  await app.register(async (scope) => {
    addFormBodyParser(scope, { bodyLimit: BODY_LIMIT });
    scope.post(
      '/phone_numbers',
      {
        config: { flavour: 'cloud' },
        bodyLimit: BODY_LIMIT,
        schema: {
          tags: ['Channel'],
          security,
          summary: "Add a phone number to the key's WABA (cc, phone_number, verified_name), as Graph's POST /{waba-id}/phone_numbers",
          description:
            '{"cc":"49","phone_number":"15112345678","verified_name":"Acme"} → {"id":"<phone-number-id>"}. A sandbox number becomes a new channel of the WABA and client, ' +
            'not verified and pending until request_code, verify_code and register (called with its own key, which the partner creates with the Partner API). ' +
            "A number already in use, or the client's max_channels reached: 400 code 200000. A number on Meta's network: Meta's answer.",
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
        },
      },
      async (request) => {
        const ch = request.channel!;
        const input = parseNewPhoneNumber(graphParams(request));
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'POST', (c) => `${c.wabaId}/phone_numbers`, { json: input });
          if (typeof b.id !== 'string' && typeof b.id !== 'number') throw badAnswer('a new phone number without an id');
          return { id: String(b.id) };
        }
        const added = await addSandboxPhoneNumber(deps, ch, input);
        return { id: added.external_id };
      },
    );
  });
};
