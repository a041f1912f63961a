// Hostile-input profiles (hostile-input.test.ts) of the Conversions API for Business Messaging
// (routes/conversion-events.ts): GET/POST /dataset (Meta's /{waba-id}/dataset), POST
// /dataset/{dataset_id}/events (Meta's /{dataset-id}/events) and the sandbox's GET
// /sandbox/v1/conversion_events. Parameters come from the query and a JSON or form body
// (graph-params.ts), so a hostile query value may be masked by the valid body's and is judged
// 'either'. The events profile names the key's own dataset (made by `prepare`), so that valid
// bodies get through to the checks; its valid events are dated by the app's clock at preparation.
import { parseConversionEvents } from '../../src/messaging/conversion-events.ts';
import { graphValidatedBy, type EndpointProfile } from './hostile-endpoints.ts';

const CLID = 'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4';

const validEvents = (waba: string, now: number) => [
  {
    data: [
      {
        event_name: 'Purchase',
        event_time: now - 60,
        action_source: 'business_messaging',
        messaging_channel: 'whatsapp',
        user_data: { whatsapp_business_account_id: waba, ctwa_clid: CLID },
        custom_data: { currency: 'USD', value: 10 },
      },
    ],
  },
  {
    data: [{ event_name: 'LeadSubmitted', event_time: now - 5, action_source: 'business_messaging', messaging_channel: 'whatsapp', user_data: { whatsapp_business_account_id: waba, ctwa_clid: 'abc_DEF-1' } }],
    test_event_code: 'TEST1',
    partner_agent: 'hostile',
  },
];

export function conversionEventEndpoints(): EndpointProfile[] {
  return [
    { method: 'GET', path: '/dataset', flavour: 'cloud', body: 'none', queryExpect: 'either' },
    { method: 'POST', path: '/dataset', flavour: 'cloud', body: 'json', valid: [{}], mayAccept: graphValidatedBy(() => undefined), queryExpect: 'either', forms: true },
    {
      method: 'POST',
      path: '/dataset/{dataset_id}/events',
      flavour: 'cloud',
      body: 'json',
      params: { dataset_id: '1234567890123456' },
      valid: validEvents('1', Math.floor(Date.now() / 1000)),
      // The app's clock is the real one here: an event dated now - 60 s is taken.
      mayAccept: graphValidatedBy((p) => parseConversionEvents(p, Math.floor(Date.now() / 1000))),
      queryExpect: 'either',
      forms: true,
      prepare: async (request, { deps }) => {
        const made = await request('POST', '/dataset', {});
        if (made.status !== 200) throw new Error(`the dataset: ${made.status} ${JSON.stringify(made.body).slice(0, 300)}`);
        const row = await deps.db.kysely.selectFrom('waba_conversion_datasets').select('waba_account_id').where('dataset_id', '=', made.body.id).executeTakeFirstOrThrow();
        return { params: { dataset_id: made.body.id }, valid: validEvents(row.waba_account_id, Math.floor(deps.clock.now().getTime() / 1000)) };
      },
    },
    { method: 'GET', path: '/sandbox/v1/conversion_events', flavour: 'cloud', body: 'none', query: { limit: '5' }, queryAccepts: { limit: (v) => /^\s*\d{1,4}\s*$/.test(v) && Number(v) >= 1 } },
  ];
}
