// Hostile-input profile (hostile-input.test.ts) of Graph's token inspection, GET /debug_token
// (routes/graph-debug-token.ts; also /{version}/debug_token). The storm's key comes as
// D360-API-KEY, which the route takes as the inspecting key; the base query inspects another live
// key of the same client (made by prepare), so that hostile input_token values start from a valid
// answer. Any input_token within the length limit may be answered 200 (is_valid true or false);
// an oversize, repeated or missing one is Graph's 400.
import { createChannel } from '../../src/services/channels.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';
import { sandboxPhoneNumber } from '../../src/services/bootstrap.ts';
import type { EndpointProfile } from './hostile-endpoints.ts';

export function debugTokenEndpoints(): EndpointProfile[] {
  return [
    {
      method: 'GET',
      path: '/debug_token',
      flavour: 'cloud',
      body: 'none',
      // Until prepare names a live key: a token nobody has (200, is_valid false).
      query: { input_token: 'EAAG-hostile-debug-token' },
      queryExpect: 'either',
      prepare: async (_request, { deps, partnerId }) => {
        const client = await deps.db.kysely.selectFrom('clients').select('id').where('partner_id', '=', partnerId).orderBy('created_at').executeTakeFirstOrThrow();
        const ch = await createChannel(deps, { partnerId, clientId: client.id, phoneNumber: sandboxPhoneNumber(), phoneName: 'Inspected' });
        return { query: { input_token: (await createChannelApiKey(deps, ch)).api_key } };
      },
    },
  ];
}
