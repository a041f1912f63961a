// Hostile-input profiles (hostile-input.test.ts) of what the PHP SDK xiaoguo0426/whatsapp-360-dialog-sdk
// calls that openwaba added: POST /waba_webhook {url, headers, override_all} (routes/waba-webhook.ts;
// its GET stays in hostile-real-clients.ts) and the /marketing/ routes of their own
// (routes/marketing.ts). The /marketing/ aliases of root routes and /v1/health_status are rewrites
// (marketing-paths.ts), not in the OpenAPI document: their root routes' profiles cover them.
import { parseWabaWebhookBody } from '../../src/messaging/routes/waba-webhook.ts';
import { validatedBy, type EndpointProfile } from './hostile-endpoints.ts';

export function sdkPathEndpoints(webhookUrl: string): EndpointProfile[] {
  return [
    {
      method: 'POST',
      path: '/waba_webhook',
      flavour: 'cloud',
      body: 'json',
      valid: [
        { url: webhookUrl, headers: [], override_all: false },
        { url: webhookUrl, headers: { Authorization: 'Basic dXNlcjpwYXNz' }, override_all: true },
        { url: '', headers: {} },
      ],
      mayAccept: validatedBy((b) => parseWabaWebhookBody(b, 'local')),
      // Sets the WABA's webhook (and, with override_all, removes its numbers' own URLs): a WABA of its own.
      isolated: true,
    },
    {
      method: 'POST',
      path: '/marketing/template_analytics',
      flavour: 'cloud',
      body: 'none',
      query: { enable: 'true' },
      // Any other enable value is refused; extra parameters are ignored.
      queryAccepts: { enable: (v) => v === 'true' },
      queryExpect: 'either',
    },
    { method: 'GET', path: '/marketing/reachestimate', flavour: 'cloud', body: 'none', query: { targeting_spec: '{"geo_locations":{"countries":["BR"]}}', date_interval: 'L7D' }, queryExpect: 'reject' },
    { method: 'GET', path: '/marketing/dataset_quality', flavour: 'cloud', body: 'none', query: { dataset_id: '1200000000001' }, queryExpect: 'reject' },
    { method: 'GET', path: '/marketing/{ad_object_id}/insights', flavour: 'cloud', body: 'none', params: { ad_object_id: '120000000000001' }, query: { fields: 'impressions' }, queryExpect: 'reject' },
  ];
}
