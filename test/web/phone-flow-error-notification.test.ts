// After an endpoint answers a data_exchange with something WhatsApp cannot use — a screen the flow
// does not have, a screen its routing_model forbids, a response that is plain JSON instead of
// encrypted — WhatsApp sends the endpoint one error notification request: the original action,
// the flow_token, and data {error, error_message}, encrypted like every request; the endpoint
// acknowledges with {"data":{"acknowledged":true}} (as Meta's reference endpoint does). The sandbox
// phone sends it once, records it in the exchange panel, and never sends another when the
// notification's own answer is bad. A valid answer is followed by no notification.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import type { EndpointReply, FlowRequest } from '../helpers/flow-endpoint.ts';
import { sendFlowMessage, startFlowPhone, type FlowPhone } from './phone-flow-setup.ts';
import { unescape, stateOf, actionOf } from './flow-html.ts';

const WA = '4917012340456';

const FLOW = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { ASK: ['DONE'], DONE: [], ASIDE: [] },
  screens: [
    {
      id: 'ASK',
      title: 'Ask',
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextInput', name: 'q', label: 'Question' },
          { type: 'Footer', label: 'Ask', 'on-click-action': { name: 'data_exchange', payload: { q: '${form.q}' } } },
        ],
      },
    },
    { id: 'DONE', title: 'Done', terminal: true, layout: { type: 'SingleColumnLayout', children: [{ type: 'TextBody', text: 'Thanks' }, { type: 'Footer', label: 'Close', 'on-click-action': { name: 'complete', payload: {} } }] } },
    { id: 'ASIDE', title: 'Aside', terminal: true, layout: { type: 'SingleColumnLayout', children: [{ type: 'Footer', label: 'Close', 'on-click-action': { name: 'complete', payload: {} } }] } },
  ],
};

const pre = (html: string, id: string) => {
  const m = new RegExp(`<pre class="flow-json" id="${id}">([\\s\\S]*?)</pre>`).exec(html);
  return m ? unescape(m[1]!) : undefined;
};
const outcome = (html: string) => {
  const m = /<p id="flow-notification-outcome">([\s\S]*?)<\/p>/.exec(html);
  return m ? unescape(m[1]!) : undefined;
};
const settle = () => new Promise((r) => setTimeout(r, 300));

describeEachDb('sandbox phone: the error notification after an invalid endpoint answer', (kind) => {
  let s: FlowPhone;
  /** The answer to the data_exchange, and to a notification (a request whose data has `error`). */
  let answer: (req: FlowRequest) => EndpointReply = () => ({ status: 500 });
  let notified: (req: FlowRequest) => EndpointReply = () => ({ json: { data: { acknowledged: true } } });
  let n = 0;

  /** Opens a new flow message and taps Ask: the page, the token, and the requests the endpoint got for it. */
  async function ask(): Promise<{ page: string; token: string; requests: FlowRequest[] }> {
    const token = `ASK-${++n}`;
    const id = await sendFlowMessage(s, { to: WA, token, text: 'Ask us', cta: 'Ask', screen: 'ASK', data: { from: 'test' } });
    const path = `/sandbox/phone/flow/${encodeURIComponent(id)}`;
    const opened = await s.phone.get(path);
    const before = s.endpoint.requests.length;
    const res = await s.phone.post(path, { _state: stateOf(opened.text), _action: actionOf(opened.text, 'Ask'), 'f.q': 'why?' });
    expect(res.status).toBe(200);
    // Nothing more comes later either.
    await settle();
    return { page: res.text as string, token, requests: s.endpoint.requests.slice(before).map((r) => r.decrypted!) };
  }

  beforeAll(async () => {
    s = await startFlowPhone(kind, {
      flow: FLOW,
      name: 'questions',
      categories: ['OTHER'],
      wa: WA,
      firstWords: 'hello',
      handler: (req) => (req.data && typeof req.data === 'object' && 'error' in req.data ? notified(req) : answer(req)),
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('an unknown screen: one notification with the original action, the flow_token and data {error, error_message}, acknowledged, in the panel', async () => {
    answer = () => ({ json: { screen: 'NOPE', data: {} } });
    const { page, token, requests } = await ask();
    expect(requests).toHaveLength(2);
    expect(requests[0]).toEqual({ version: '3.0', action: 'data_exchange', screen: 'ASK', data: { q: 'why?' }, flow_token: token });
    const note = requests[1]!;
    expect(Object.keys(note).sort()).toEqual(['action', 'data', 'flow_token', 'version']);
    expect(note.version).toBe('3.0');
    expect(note.action).toBe('data_exchange');
    expect(note.flow_token).toBe(token);
    expect(Object.keys(note.data!).sort()).toEqual(['error', 'error_message']);
    expect(note.data!.error).toBe('invalid_screen');
    expect(note.data!.error_message).toContain('screen "NOPE" is not in the flow');
    // The page names the fault and the panel the notification and its answer.
    expect(page).toContain('screen &quot;NOPE&quot; is not in the flow');
    expect(outcome(page)).toBe('As WhatsApp does after an invalid response, one error notification request was sent: HTTP 200, acknowledged ({"data":{"acknowledged":true}}).');
    expect(JSON.parse(pre(page, 'flow-notification-request')!)).toEqual(note);
    expect(JSON.parse(pre(page, 'flow-notification-response')!)).toEqual({ data: { acknowledged: true } });
  });

  it('a screen the routing_model forbids: error invalid_screen_transition', async () => {
    answer = () => ({ json: { screen: 'ASIDE', data: {} } });
    const { requests } = await ask();
    expect(requests).toHaveLength(2);
    expect(requests[1]!.data!.error).toBe('invalid_screen_transition');
    expect(requests[1]!.data!.error_message).toContain('routing_model does not let ASK go to ASIDE');
  });

  it('plain JSON instead of an encrypted answer, and the notification answered the same way: one notification, no loop', async () => {
    answer = () => ({ status: 200, body: '{"screen":"DONE","data":{}}', headers: { 'content-type': 'application/json' } });
    notified = () => ({ status: 200, body: '{"data":{"acknowledged":true}}', headers: { 'content-type': 'application/json' } });
    try {
      const { page, requests } = await ask();
      expect(requests).toHaveLength(2);
      expect(requests[1]!.action).toBe('data_exchange');
      expect(requests[1]!.data!.error).toBe('response_decryption_failed');
      expect(requests[1]!.data!.error_message).toContain('plain JSON');
      expect(outcome(page)).toMatch(/^As WhatsApp does after an invalid response, one error notification request was sent: HTTP 200, not acknowledged: the response is plain JSON/);
    } finally {
      notified = () => ({ json: { data: { acknowledged: true } } });
    }
  });

  it('a notification the endpoint fails on (HTTP 500) is recorded, not retried', async () => {
    answer = () => ({ json: { screen: 'NOPE', data: {} } });
    notified = () => ({ status: 500, body: 'boom' });
    try {
      const { page, requests } = await ask();
      expect(requests).toHaveLength(2);
      expect(outcome(page)).toMatch(/HTTP 500, not acknowledged: the endpoint answered HTTP 500/);
    } finally {
      notified = () => ({ json: { data: { acknowledged: true } } });
    }
  });

  it('a valid answer: no notification', async () => {
    answer = () => ({ json: { screen: 'DONE', data: {} } });
    const { page, requests } = await ask();
    expect(requests).toHaveLength(1);
    expect(page).not.toContain('flow-notification-outcome');
  });
});
