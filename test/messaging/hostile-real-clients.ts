// Hostile-input profiles (hostile-input.test.ts) of the calls real 360dialog clients make that
// openwaba added: GET/POST /waba_webhook, GET/DELETE /media/{media_id}, GET/PATCH
// /v1/settings/application (routes/waba-webhook.ts, routes/media.ts, routes/onprem-application.ts).
import type { EndpointProfile } from './hostile-endpoints.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function realClientEndpoints(webhookUrl: string, missingMediaId: string): EndpointProfile[] {
  return [
    { method: 'GET', path: '/waba_webhook', flavour: 'cloud', body: 'none' },
    // POST /waba_webhook: hostile-sdk-paths.ts (headers and override_all).
    { method: 'GET', path: '/media/{media_id}', flavour: 'cloud', body: 'none', params: { media_id: missingMediaId } },
    { method: 'DELETE', path: '/media/{media_id}', flavour: 'cloud', body: 'json', params: { media_id: missingMediaId } },
    { method: 'GET', path: '/v1/settings/application', flavour: 'onpremise', body: 'none' },
    {
      method: 'PATCH',
      path: '/v1/settings/application',
      flavour: 'onpremise',
      body: 'json',
      valid: [{ webhooks: { url: webhookUrl } }, { callback_persist: true }],
      // Any object may be taken (unknown settings are ignored); webhooks must be an object with a URL the policy allows.
      mayAccept: (b) => isObj(b),
    },
  ];
}
