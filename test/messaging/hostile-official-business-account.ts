// Hostile-input profile (hostile-input.test.ts) of POST /official_business_account
// (routes/official-business-account.ts; Meta's POST /{phone-number-id}/official_business_account):
// the parameters from the query and a JSON or form body (graph-params.ts), so a hostile query value
// may be masked by the valid body's and is judged 'either'; the parser says which bodies may be
// taken. An accepted body replaces the number's request and schedules a review: on a channel of its own.
import { parseObaRequest } from '../../src/messaging/official-business-account.ts';
import { graphValidatedBy, type EndpointProfile } from './hostile-endpoints.ts';

export function officialBusinessAccountEndpoints(): EndpointProfile[] {
  return [
    {
      method: 'POST',
      path: '/official_business_account',
      flavour: 'cloud',
      body: 'json',
      valid: [
        {
          business_website_url: 'https://www.luckyshrub.com',
          primary_country_of_operation: 'United States of America',
          primary_language: 'English',
          supporting_links: ['https://www.retailreview.com/gardening/2025/lucky-shrub', 'https://www.spinyliving.com/2025/latest-news'],
          parent_business_or_brand: 'Lucky Shrub LLC',
          additional_supporting_information: 'Featured in Planet Succulent',
        },
        { messaging_product: 'whatsapp', business_website_url: 'http://shrub.example', primary_country_of_operation: 'DE', primary_language: 'German', supporting_links: ['https://news.example.com/a'] },
      ],
      mayAccept: graphValidatedBy(parseObaRequest),
      forms: true,
      queryExpect: 'either',
      isolated: true,
    },
  ];
}
