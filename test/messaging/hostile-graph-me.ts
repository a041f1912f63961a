// Hostile-input profile (hostile-input.test.ts) of Graph's GET /me (routes/graph-me.ts; also
// /{version}/me): the key's system user. Any fields value within the length limit may be
// answered 200 (names it does not hold are left out); a repeated or oversize one is a 400.
import type { EndpointProfile } from './hostile-endpoints.ts';

export function graphMeEndpoints(): EndpointProfile[] {
  return [{ method: 'GET', path: '/me', flavour: 'cloud', body: 'none', query: { fields: 'id,name' }, queryExpect: 'either' }];
}
