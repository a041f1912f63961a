// Hostile-input profiles (hostile-input.test.ts) of Meta's Payments API India onboarding edges
// (routes/payment-configurations.ts): GET /payment_configurations, GET/POST
// /payment_configuration/{configuration_name}, POST/DELETE /payment_configuration and POST
// /generate_payment_configuration_oauth_link. Parameters come from the query and a JSON or form
// body (graph-params.ts), so a hostile query value may be masked by the valid body's and is judged
// 'either'; the parsers say which bodies may be taken. The sandbox's OAuth page (no key) is not in
// the storm, which covers keyed operations only: payment-configurations.test.ts sends it bad tokens.
import {
  parseConfigurationRemoval,
  parseConfigurationUpdate,
  parseNewConfiguration,
  parseOauthLinkRequest,
} from '../../src/messaging/payments/configurations.ts';
import { graphValidatedBy, type EndpointProfile, type PrepareRequest } from './hostile-endpoints.ts';

const GATEWAY = { configuration_name: 'hostile-gw', purpose_code: '00', merchant_category_code: '5411', provider_name: 'razorpay', redirect_url: 'https://merchant.example.com/linked' };

/** The gateway configuration the update and link cases name (a duplicate on a second run is refused, which is fine). */
const prepareGateway = async (request: PrepareRequest) => {
  await request('POST', '/payment_configuration', GATEWAY);
};

export function paymentConfigurationEndpoints(): EndpointProfile[] {
  return [
    { method: 'GET', path: '/payment_configurations', flavour: 'cloud', body: 'none', queryExpect: 'either' },
    { method: 'GET', path: '/payment_configuration/{configuration_name}', flavour: 'cloud', body: 'none', params: { configuration_name: 'hostile-missing' }, queryExpect: 'either' },
    {
      method: 'POST',
      path: '/payment_configuration',
      flavour: 'cloud',
      body: 'json',
      valid: [
        { ...GATEWAY, configuration_name: 'hostile-new' },
        { configuration_name: 'hostile-upi', purpose_code: '00', merchant_category_code: 5999, provider_name: 'upi_vpa', merchant_vpa: 'shop@okaxis' },
      ],
      mayAccept: graphValidatedBy(parseNewConfiguration),
      queryExpect: 'either',
      forms: true,
      // Creates configurations: a WABA of its own.
      isolated: true,
    },
    {
      method: 'POST',
      path: '/payment_configuration/{configuration_name}',
      flavour: 'cloud',
      body: 'json',
      params: { configuration_name: 'hostile-gw' },
      valid: [{ data_endpoint_url: 'https://merchant.example.com/wa-data' }, { data_endpoint_url: '' }],
      mayAccept: graphValidatedBy(parseConfigurationUpdate),
      queryExpect: 'either',
      forms: true,
      prepare: prepareGateway,
    },
    {
      method: 'DELETE',
      path: '/payment_configuration',
      flavour: 'cloud',
      body: 'json',
      valid: [{ configuration_name: 'hostile-missing' }],
      mayAccept: graphValidatedBy(parseConfigurationRemoval),
      queryExpect: 'either',
      forms: true,
    },
    {
      method: 'POST',
      path: '/generate_payment_configuration_oauth_link',
      flavour: 'cloud',
      body: 'json',
      valid: [{ configuration_name: 'hostile-gw' }, { configuration_name: 'hostile-gw', redirect_url: 'https://merchant.example.com/again' }],
      mayAccept: graphValidatedBy(parseOauthLinkRequest),
      queryExpect: 'either',
      forms: true,
      prepare: prepareGateway,
    },
  ];
}
