// Hostile-input profiles (hostile-input.test.ts) of the WABA edges routes/product-catalogs.ts and
// routes/assigned-users.ts serve: GET/POST /product_catalogs and GET/POST/DELETE /assigned_users
// (Meta's /{waba-id}/product_catalogs and /{waba-id}/assigned_users). Each reads its parameters from
// the query and a JSON or form body (graph-params.ts), so a hostile query value may be masked by the
// valid body's and is judged 'either'; the parsers say which bodies may be taken.
import { parseCatalogConnect } from '../../src/messaging/routes/product-catalogs.ts';
import { parseAssignment, parseUnassignment } from '../../src/messaging/routes/assigned-users.ts';
import { graphValidatedBy, type EndpointProfile } from './hostile-endpoints.ts';


export function wabaEdgeEndpoints(): EndpointProfile[] {
  return [
    { method: 'GET', path: '/product_catalogs', flavour: 'cloud', body: 'none', queryExpect: 'either' },
    {
      method: 'POST',
      path: '/product_catalogs',
      flavour: 'cloud',
      body: 'json',
      valid: [{ catalog_id: '1234567890123456' }, { catalog_id: 998877 }],
      mayAccept: graphValidatedBy(parseCatalogConnect),
      queryExpect: 'either',
      forms: true,
      // Replaces the WABA's catalog: a WABA of its own.
      isolated: true,
    },
    { method: 'GET', path: '/assigned_users', flavour: 'cloud', body: 'none', query: { business: '1234567890' }, queryExpect: 'either' },
    {
      method: 'POST',
      path: '/assigned_users',
      flavour: 'cloud',
      body: 'json',
      valid: [{ user: '1972555232742222', tasks: ['MANAGE'] }, { user: '42', tasks: "['MANAGE','DEVELOP']" }, { user: 43, tasks: 'MANAGE' }],
      mayAccept: graphValidatedBy(parseAssignment),
      queryExpect: 'either',
      forms: true,
      // Stores assignments (up to the sandbox's limit per WABA): a WABA of its own.
      isolated: true,
    },
    {
      method: 'DELETE',
      path: '/assigned_users',
      flavour: 'cloud',
      body: 'json',
      valid: [{ user: '1972555232742222' }],
      mayAccept: graphValidatedBy(parseUnassignment),
      queryExpect: 'either',
      forms: true,
      isolated: true,
    },
  ];
}
