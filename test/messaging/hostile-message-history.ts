// Hostile-input profiles (hostile-input.test.ts) of Meta's Message History API
// (routes/message-history.ts): GET /message_history (Graph's /{phone-number-id}/message_history)
// and GET /message_history/{history_id}/events (Graph's /{message-history-id}/events). Both are
// reads: a hostile query value may be taken (a list) or refused (4xx), never a 5xx.
import type { EndpointProfile, PrepareRequest } from './hostile-endpoints.ts';

/** A history id no message has (base64url of a wamid never issued): the events edge's node error. */
const MISSING_HISTORY_ID = Buffer.from('wamid.HBgLhostilemissing').toString('base64url');

/** A message of the key's number, sent for the storm: its history id. */
async function historyId(request: PrepareRequest): Promise<{ params: { history_id: string } }> {
  const res = await request('POST', '/messages', { messaging_product: 'whatsapp', to: '4917600000998', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
  if (res.status !== 200) throw new Error(`sending a message for the history: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return { params: { history_id: Buffer.from(res.body.messages[0].id as string).toString('base64url') } };
}

export function messageHistoryEndpoints(): EndpointProfile[] {
  return [
    { method: 'GET', path: '/message_history', flavour: 'cloud', body: 'none', query: { limit: '10' }, queryExpect: 'either' },
    {
      method: 'GET',
      path: '/message_history/{history_id}/events',
      flavour: 'cloud',
      body: 'none',
      params: { history_id: MISSING_HISTORY_ID },
      query: { limit: '10' },
      queryExpect: 'either',
      prepare: historyId,
    },
  ];
}
