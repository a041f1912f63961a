// Hostile-input profiles (hostile-input.test.ts) of the Graph calls pywa makes that openwaba added
// late: the app subscription (routes/app-subscriptions.ts: GET/POST /subscriptions, Graph's
// /{app-id}/subscriptions) and flow migration (routes/flows-migrate.ts: POST /migrate_flows).
// GET /oauth/access_token takes no D360-API-KEY (its key is the client_secret), so the storm,
// which covers the key's endpoints, does not reach it; pywa-app-subscription.test.ts does.
import { ApiError } from '../../src/errors.ts';
import type { Deps } from '../../src/deps.ts';
import { parseSubscription } from '../../src/messaging/routes/app-subscriptions.ts';
import { parseFlowMigration } from '../../src/messaging/flows/migrate.ts';
import { challengeEcho, validatedBy, type EndpointProfile } from './hostile-endpoints.ts';

/** A WABA id no partner has: every migration naming it is Graph's node error (400, subcode 33). */
const MISSING_WABA_ID = '900000000000791';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);


export function appFlowEndpoints(): EndpointProfile[] {
  const deps = { config: { webhookUrlPolicy: 'local' } } as unknown as Deps;
  return [
    { method: 'GET', path: '/subscriptions', flavour: 'cloud', body: 'none', queryExpect: 'either' },
    {
      method: 'POST',
      path: '/subscriptions',
      flavour: 'cloud',
      body: 'json',
      // A callback that never answers the verification (400 code 2200): a body that parses is still refused.
      valid: [{ object: 'whatsapp_business_account', callback_url: 'http://127.0.0.1:9/callback', verify_token: 'hostile-token', fields: 'messages,flows' }],
      mayAccept: validatedBy((b) => {
        if (!isObj(b)) throw new ApiError(400, 'not an object');
        return parseSubscription(deps, b);
      }),
      // Query parameters are read under the body's (the body wins): a hostile one may be masked.
      queryExpect: 'either',
      // Would set the channel's webhook URL: a channel of its own.
      isolated: true,
      // Until prepare names the echoing callback: a URL that fails the verification (400, code 2200).
      prepare: async () => ({ valid: [{ object: 'whatsapp_business_account', callback_url: await challengeEcho(), verify_token: 'hostile-token', fields: 'messages,flows' }] }),
    },
    {
      method: 'POST',
      path: '/migrate_flows',
      flavour: 'cloud',
      body: 'json',
      valid: [{ source_waba_id: MISSING_WABA_ID }, { source_waba_id: MISSING_WABA_ID, source_flow_names: ['Sign up', 'Survey'] }],
      mayAccept: validatedBy((b) => parseFlowMigration(b, {})),
      queryExpect: 'either',
      // Creates flows when a source is found: on a WABA of its own.
      isolated: true,
    },
  ];
}
