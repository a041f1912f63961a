// Hostile-input profiles (hostile-input.test.ts) of coexistence (routes/coexistence.ts):
// POST /smb_app_data (Graph's /{phone-number-id}/smb_app_data) and the sandbox's
// POST /sandbox/v1/app_echo. A sync_type can be requested once per number: a second valid body
// is a 400, so the storm runs on a number of its own and may see either answer.
import { parseAppEcho, parseSmbAppDataRequest } from '../../src/messaging/coexistence.ts';
import { SANDBOX_USER, validatedBy, type EndpointProfile } from './hostile-endpoints.ts';


export function coexistenceEndpoints(): EndpointProfile[] {
  return [
    {
      method: 'POST',
      path: '/smb_app_data',
      flavour: 'cloud',
      body: 'json',
      valid: [{ messaging_product: 'whatsapp', sync_type: 'smb_app_state_sync' }, { messaging_product: 'whatsapp', sync_type: 'history' }],
      mayAccept: validatedBy(parseSmbAppDataRequest),
      // Query parameters are read under the body's (graph-params.ts): a hostile one may be masked.
      queryExpect: 'either',
      forms: true,
      // Each sync_type once per number: on a channel of its own.
      isolated: true,
    },
    {
      method: 'POST',
      path: '/sandbox/v1/app_echo',
      flavour: 'cloud',
      body: 'json',
      valid: [{ to: SANDBOX_USER, type: 'text', text: { body: 'Sent from the Business app' } }],
      mayAccept: validatedBy(parseAppEcho),
      queryExpect: 'either',
    },
  ];
}
