// Hostile-input profiles (hostile-input.test.ts) of Meta's template edges added for real Graph
// clients (routes/template-upsert.ts): POST /upsert_message_templates, POST
// /message_templates/{id}/unpause, GET /message_templates/{id}/compare.
import { ApiError } from '../../src/errors.ts';
import { parseUpsert } from '../../src/messaging/templates/upsert.ts';
import type { EndpointProfile } from './hostile-endpoints.ts';

/** A template id no WABA has: unpause and compare naming it are Graph's node error (400, subcode 33). */
const MISSING_TEMPLATE_ID = '900000000000781';

const otp = (name: string, languages: string[]) => ({
  name,
  languages,
  category: 'AUTHENTICATION',
  components: [
    { type: 'BODY', add_security_recommendation: true },
    { type: 'FOOTER', code_expiration_minutes: 10 },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
  ],
});

const upsertParses = (b: unknown) => {
  try {
    parseUpsert(b);
    return true;
  } catch (e) {
    return !(e instanceof ApiError);
  }
};

export function graphGapEndpoints(): EndpointProfile[] {
  return [
    {
      method: 'POST',
      path: '/upsert_message_templates',
      flavour: 'cloud',
      body: 'json',
      valid: [otp('hostile_otp', ['en_US', 'de']), otp('hostile_otp_two', ['fr'])],
      mayAccept: upsertParses,
      // The route reads no query parameter (Graph ignores unknown ones).
      queryExpect: 'either',
      // Creates templates: on a WABA of its own.
      isolated: true,
    },
    {
      method: 'POST',
      path: '/message_templates/{template_id}/unpause',
      flavour: 'cloud',
      body: 'json',
      params: { template_id: MISSING_TEMPLATE_ID },
      // No body is read; the template named is none of the key's, so every case is refused.
      valid: [{}],
      queryExpect: 'either',
    },
    {
      method: 'GET',
      path: '/message_templates/{template_id}/compare',
      flavour: 'cloud',
      body: 'none',
      params: { template_id: MISSING_TEMPLATE_ID },
      query: { template_ids: '["900000000000782"]', start: '1759276800', end: '1759881600' },
      queryExpect: 'reject',
    },
  ];
}
