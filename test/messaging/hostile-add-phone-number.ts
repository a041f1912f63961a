// Hostile-input profile (hostile-input.test.ts) of POST /phone_numbers (routes/add-phone-number.ts;
// Meta's POST /{waba-id}/phone_numbers): cc, phone_number and verified_name from the query and a
// JSON or form body (graph-params.ts), so a hostile query value may be masked by the valid body's and
// is judged 'either'; the parser says which bodies may be taken. An accepted body adds a channel to
// the key's WABA, so the profile runs on a WABA of its own, its client allowed many numbers (a body
// taken once is then refused as a number in use, a 400 either way).
import { parseNewPhoneNumber } from '../../src/messaging/add-phone-number.ts';
import { graphValidatedBy, type EndpointProfile } from './hostile-endpoints.ts';

export function addPhoneNumberEndpoints(): EndpointProfile[] {
  return [
    {
      method: 'POST',
      path: '/phone_numbers',
      flavour: 'cloud',
      body: 'json',
      valid: [
        { cc: '49', phone_number: '151 2345-6701', verified_name: 'Hostile Storm One' },
        { cc: 49, phone_number: 15123456702, verified_name: 'Hostile Storm Two' },
      ],
      mayAccept: graphValidatedBy(parseNewPhoneNumber),
      queryExpect: 'either',
      forms: true,
      isolated: true,
      prepare: async (_request, env) => {
        // The isolated key's client (its partner has one): room for the numbers the storm may add.
        const ch = await env.deps.db.kysely.selectFrom('channels').select('client_id').where('partner_id', '=', env.partnerId).executeTakeFirstOrThrow();
        await env.deps.db.kysely.updateTable('clients').set({ max_channels: 500 }).where('id', '=', ch.client_id).execute();
      },
    },
  ];
}
