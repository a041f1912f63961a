// A developer's flow reacts to a choice as soon as it is made (Flow JSON 6.0+ on-select-action and
// on-unselect-action): a Dropdown's update_data rewrites the screen's data (a text on the screen
// changes), letting go of the choice runs its on-unselect-action, and a CheckboxGroup's
// data_exchange asks the flow's endpoint (a real encrypted test endpoint) with the action's payload,
// the answer redrawing the same screen with what was chosen kept. The page posts the changed field
// (its Apply button without JavaScript; phone-flow.js on change: phone-flow-select-browser.test.ts);
// what a forged page names is a 4xx, and the preview says a data_exchange needs the endpoint.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, partnerKey, type TestApp } from '../helpers/app.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { sendFlowMessage, startFlowPhone, type FlowPhone } from './phone-flow-setup.ts';
import type { FlowEndpoint, FlowRequest } from '../helpers/flow-endpoint.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { inboundMessages, waitForInbound, type PhoneClient } from './phone-client.ts';
import { stateOf, actionOf, selectOf, body } from './flow-html.ts';

const WA = '4917012340077';
const TOPPINGS = [
  { id: 'ham', title: 'Ham' },
  { id: 'olives', title: 'Olives' },
];

export const SELECT_FLOW = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { PICK: [] },
  screens: [
    {
      id: 'PICK',
      title: 'Pick',
      terminal: true,
      data: { size_note: { type: 'string', __example__: 'no size yet' }, extras: { type: 'string', __example__: 'no extras' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '${data.size_note}' },
          { type: 'TextCaption', text: '${data.extras}' },
          {
            type: 'Dropdown',
            name: 'size',
            label: 'Size',
            'data-source': [{ id: 'small', title: 'Small' }, { id: 'large', title: 'Large <XL>' }],
            'on-select-action': { name: 'update_data', payload: { size_note: '`You chose ${form.size}`' } },
            'on-unselect-action': { name: 'update_data', payload: { size_note: 'Size let go' } },
          },
          {
            type: 'CheckboxGroup',
            name: 'toppings',
            label: 'Toppings',
            'data-source': TOPPINGS,
            'on-select-action': { name: 'data_exchange', payload: { picked: '${form.toppings}', size: '${form.size}' } },
          },
          { type: 'TextInput', name: 'note', label: 'Note' },
          { type: 'Footer', label: 'Done', 'on-click-action': { name: 'complete', payload: { size: '${form.size}', toppings: '${form.toppings}' } } },
        ],
      },
    },
  ],
};

/** The `_select` value of the Apply button of the field labelled `label`. */
const caption = (html: string) => /<p class="flow-caption">([\s\S]*?)<\/p>/.exec(html)?.[1];

describeEachDb('sandbox phone: a field runs its on-select-action / on-unselect-action', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let endpoint: FlowEndpoint;
  let phone: PhoneClient;
  let flowId: string;
  let messageId: string;
  let page = '';
  const path = (id = messageId) => `/sandbox/phone/flow/${encodeURIComponent(id)}`;
  /** Posts the flow page's form (repeated keys as a browser sends a checkbox group); a screen becomes the page the next post starts from. */
  async function submit(fields: [string, string][], opts: { state?: string } = {}) {
    const form = new URLSearchParams([['_csrf', phone.csrf], ['_state', opts.state ?? stateOf(page)], ...fields]);
    const res = await t.post(path(), { headers: { cookie: `ow_phone=${phone.cookie('ow_phone')}`, 'content-type': 'application/x-www-form-urlencoded' }, raw: form.toString() });
    if (typeof res.text === 'string' && res.text.includes('name="_state"')) page = res.text;
    return res;
  }
  function endpointAnswers(req: FlowRequest) {
    if (req.action === 'ping') return { json: { data: { status: 'active' } } };
    if (req.action === 'data_exchange' && req.screen === 'PICK') {
      const picked = Array.isArray(req.data?.picked) ? (req.data.picked as string[]).join('+') : 'nothing';
      return { json: { screen: 'PICK', data: { size_note: 'kept by the endpoint', extras: `Extras: ${picked} <b>for</b> ${String(req.data?.size)}` } } };
    }
    return { status: 400, body: 'unexpected' };
  }

  let setup: FlowPhone;
  beforeAll(async () => {
    setup = await startFlowPhone(kind, { flow: SELECT_FLOW, name: 'pizza picker', categories: ['OTHER'], wa: WA, firstWords: 'pizza?', handler: endpointAnswers });
    ({ t, p, receiver, endpoint, phone, flowId } = setup);
    messageId = await sendFlowMessage(setup, { to: WA, token: 'PICK-1', text: 'Pick', cta: 'Pick', screen: 'PICK', data: { size_note: 'no size yet', extras: 'no extras' } });
  });
  afterAll(async () => {
    await setup?.close();
  });

  it('draws the fields that run an action with an Apply button (and the script that applies on change); the others without', async () => {
    const res = await phone.get(path());
    expect(res.status).toBe(200);
    page = res.text;
    expect(page).toContain('<script src="/assets/phone-flow.js" defer></script>');
    expect(page).toContain('aria-label="Apply Size"');
    expect(page).toContain('aria-label="Apply Toppings"');
    expect(page.match(/class="link flow-apply"/g)).toHaveLength(2);
    expect(page.match(/ data-flow-select/g)).toHaveLength(2);
    const script = await t.get('/assets/phone-flow.js');
    expect(script.status).toBe(200);
    expect(String(script.headers['content-type'])).toContain('javascript');
    expect(script.text).toContain('requestSubmit');
  });

  it("a Dropdown's on-select-action update_data replaces the screen's data; letting the choice go runs on-unselect-action", async () => {
    const chose = await submit([['f.size', 'large'], ['f.note', 'ring twice'], ['_select', selectOf(page, 'Size')]]);
    expect(chose.status).toBe(200);
    expect(body(page)).toBe('You chose large');
    // What was entered stays, on every field.
    expect(page).toContain('<option value="large" selected>Large &lt;XL&gt;</option>');
    expect(page).toContain('value="ring twice"');
    // The same value again is no new selection: nothing runs, the data stays.
    const same = await submit([['f.size', 'large'], ['_select', selectOf(page, 'Size')]]);
    expect(same.status).toBe(200);
    expect(body(page)).toBe('You chose large');
    const letGo = await submit([['f.size', ''], ['_select', selectOf(page, 'Size')]]);
    expect(letGo.status).toBe(200);
    expect(body(page)).toBe('Size let go');
    expect(page).not.toContain('<option value="large" selected>');
    const again = await submit([['f.size', 'small'], ['_select', selectOf(page, 'Size')]]);
    expect(body(again.text)).toBe('You chose small');
  });

  it("a CheckboxGroup's on-select-action data_exchange sends the action's payload to the endpoint; its answer redraws the screen, the choices kept", async () => {
    const before = endpoint.requests.length;
    const res = await submit([['f.size', 'small'], ['f.toppings', 'ham'], ['f.toppings', 'olives'], ['_select', selectOf(page, 'Toppings')]]);
    expect(res.status, res.text.slice(0, 500)).toBe(200);
    expect(endpoint.requests.length).toBe(before + 1);
    expect(endpoint.requests.at(-1)!.decrypted).toEqual({ version: '3.0', action: 'data_exchange', screen: 'PICK', data: { picked: ['ham', 'olives'], size: 'small' }, flow_token: 'PICK-1' });
    expect(caption(page)).toBe('Extras: ham+olives &lt;b&gt;for&lt;/b&gt; small');
    expect(body(page)).toBe('kept by the endpoint');
    expect(page).toMatch(/name="f\.toppings" value="ham" id="[^"]+" checked/);
    expect(page).toMatch(/name="f\.toppings" value="olives" id="[^"]+" checked/);
    expect(page).toContain('<option value="small" selected>Small</option>');
    // Unchecking one: the group has no on-unselect-action, so nothing is asked.
    const n = endpoint.requests.length;
    const unchecked = await submit([['f.size', 'small'], ['f.toppings', 'ham'], ['_select', selectOf(page, 'Toppings')]]);
    expect(unchecked.status).toBe(200);
    expect(endpoint.requests.length).toBe(n);
    // Completing carries the values as chosen.
    const done = await submit([['f.size', 'small'], ['f.toppings', 'ham'], ['_action', actionOf(page, 'Done')]]);
    expect(done.status).toBe(303);
    const reply = await waitForInbound(receiver, 2);
    expect(JSON.parse(reply.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'PICK-1', size: 'small', toppings: ['ham'] });
  });

  it('a forged _select (no field, a field without such an action, a text) is a 400 and sends nothing', async () => {
    const m = await t.post('/messages', {
      headers: channelKey(p.channel_api_key),
      json: { messaging_product: 'whatsapp', to: WA, type: 'interactive', interactive: { type: 'flow', body: { text: 'Again' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 'PICK-2', flow_id: flowId, flow_cta: 'Pick', flow_action_payload: { screen: 'PICK', data: { size_note: 'x', extras: 'y' } } } } } },
    });
    messageId = m.body.messages[0].id;
    page = (await phone.get(path())).text;
    const before = inboundMessages(receiver).length;
    const requests = endpoint.requests.length;
    for (const forged of ['[0]', '[4]', '[5]', '[99]', 'not json', '{"a":1}', '["cases.x"]']) {
      const res = await submit([['f.size', 'large'], ['_select', forged]]);
      expect(res.status, forged).toBe(400);
      expect(res.text).toContain('That field is not on this screen, or runs no action when changed.');
    }
    expect(endpoint.requests.length).toBe(requests);
    expect(inboundMessages(receiver).length).toBe(before);
  });

  it('the preview runs update_data and says a data_exchange needs the endpoint', async () => {
    const link = await t.get(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows/${flowId}?fields=preview.invalidate(false)`, { headers: partnerKey(p.partner_api_key) });
    expect(link.status, link.text).toBe(200);
    const url = new URL(link.body.preview.preview_url as string);
    const first = await t.get(url.pathname);
    expect(first.status).toBe(200);
    const post = (fields: [string, string][], html: string) =>
      t.post(url.pathname, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: new URLSearchParams([['_state', stateOf(html)], ...fields]).toString() });
    const chose = await post([['f.size', 'large'], ['_select', selectOf(first.text, 'Size')]], first.text);
    expect(chose.status).toBe(200);
    expect(body(chose.text)).toBe('You chose large');
    const requests = endpoint.requests.length;
    const exchange = await post([['f.size', 'large'], ['f.toppings', 'ham'], ['_select', selectOf(chose.text, 'Toppings')]], chose.text);
    expect(exchange.status).toBe(200);
    expect(exchange.text).toContain('a preview does not call it');
    expect(endpoint.requests.length).toBe(requests);
  });
});
