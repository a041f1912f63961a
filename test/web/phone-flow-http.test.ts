// The sandbox phone's flow pages without JavaScript (plain form posts): WhatsApp's checks of an
// email field, a checkbox group's minimum and a date's range; update_data and open_url; what a
// forged or stale page posts is a 4xx; completing sends the nfm_reply with the form's values as
// WhatsApp types them (a checkbox group's ids as an array, a date as YYYY-MM-DD).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient, inboundMessages, waitForInbound } from './phone-client.ts';
import { unescape } from './flow-html.ts';

const WA = '4917099881234';

const FLOW = {
  version: '7.0',
  screens: [
    {
      id: 'ORDER',
      title: 'Order',
      terminal: true,
      data: { note: { type: 'string', __example__: 'x' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '${data.note}' },
          { type: 'TextInput', name: 'email', label: 'Email', 'input-type': 'email', required: true },
          { type: 'CheckboxGroup', name: 'toppings', label: 'Toppings', 'min-selected-items': 2, 'data-source': [{ id: 'ham', title: 'Ham' }, { id: 'olives', title: 'Olives' }, { id: 'basil', title: 'Basil' }] },
          { type: 'DatePicker', name: 'day', label: 'Delivery day', 'min-date': '2030-01-01', 'max-date': '2030-12-31' },
          { type: 'EmbeddedLink', text: 'Refresh', 'on-click-action': { name: 'update_data', payload: { note: '`updated for ${form.email}`' } } },
          { type: 'EmbeddedLink', text: 'Website', 'on-click-action': { name: 'open_url', url: 'https://example.com/menu' } },
          { type: 'Footer', label: 'Send', 'on-click-action': { name: 'complete', payload: { email: '${form.email}', toppings: '${form.toppings}', day: '${form.day}', note: '${data.note}' } } },
        ],
      },
    },
  ],
};


describeEachDb('sandbox phone: flow pages (forms without JavaScript)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;
  let messageId: string;
  let page = '';
  const path = () => `/sandbox/phone/flow/${encodeURIComponent(messageId)}`;
  const stateOf = (html: string) => /name="_state" value="([^"]*)"/.exec(html)![1]!;
  /** The _action value of the visible button with this label. */
  const actionOf = (html: string, label: string) => unescape(new RegExp(`name="_action" value="([^"]*)"[^>]*>${label}<`).exec(html)![1]!);
  /** Posts the flow page's form: repeated keys as a browser sends checkbox groups. */
  async function submit(fields: [string, string][], opts: { csrf?: string; state?: string } = {}) {
    const body = new URLSearchParams([['_csrf', opts.csrf ?? phone.csrf], ['_state', opts.state ?? stateOf(page)], ...fields]);
    const res = await t.post(path(), { headers: { cookie: `ow_phone=${phone.cookie('ow_phone')}`, 'content-type': 'application/x-www-form-urlencoded' }, raw: body.toString() });
    // A flow screen (also one with problems, a 400) becomes the page the next post starts from.
    if (typeof res.text === 'string' && res.text.includes('name="_state"')) page = res.text;
    return res;
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
    const flow = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'order', categories: ['OTHER'], flow_json: JSON.stringify(FLOW), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane' });
    expect((await phone.post('/sandbox/phone/text', { body: 'menu?' })).status).toBe(303);
    await waitForInbound(receiver, 1);
    const sent = await t.post('/messages', {
      headers: { 'D360-API-KEY': p.channel_api_key },
      json: {
        messaging_product: 'whatsapp',
        to: WA,
        type: 'interactive',
        interactive: { type: 'flow', body: { text: 'Order' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 'T-1', flow_id: flow.body.id, flow_cta: 'Order now', flow_action_payload: { screen: 'ORDER', data: { note: 'first' } } } } },
      },
    });
    expect(sent.status).toBe(200);
    messageId = sent.body.messages[0].id;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('the chat links the flow message to its page, which opens at the named screen with its data', async () => {
    const chat = await phone.get('/sandbox/phone');
    expect(chat.text).toContain(`href="${path()}"`);
    const res = await phone.get(path());
    expect(res.status).toBe(200);
    page = res.text;
    expect(page).toContain('<p class="flow-body">first</p>');
    expect(page).toContain('>Toppings');
  });

  it("refuses what WhatsApp's Footer would not let through, keeping what was entered", async () => {
    const res = await submit([['f.email', 'not-an-email'], ['f.toppings', 'ham'], ['f.day', '2029-12-31'], ['_action', actionOf(page, 'Send')]]);
    expect(res.status).toBe(400);
    expect(page).toContain('3 fields need your attention.');
    expect(page).toContain('“Email” must be an email address.');
    expect(page).toContain('Choose at least 2 of “Toppings”.');
    expect(page).toContain('“Delivery day” must be on or after 2030-01-01.');
    expect(page).toContain('value="not-an-email"');
    const unknownTopping = await submit([['f.email', 'a@b.co'], ['f.toppings', 'ham'], ['f.toppings', 'pineapple'], ['_action', actionOf(page, 'Send')]]);
    expect(unknownTopping.status).toBe(400);
    expect(page).toContain('Choose among the options of “Toppings”.');
  });

  it('update_data changes the screen\'s data; open_url is not followed', async () => {
    const refreshed = await submit([['f.email', 'jane@example.com'], ['_action', actionOf(page, 'Refresh')]]);
    expect(refreshed.status).toBe(200);
    expect(page).toContain('<p class="flow-body">updated for jane@example.com</p>');
    const url = await submit([['f.email', 'jane@example.com'], ['_action', actionOf(page, 'Website')]]);
    expect(url.status).toBe(200);
    expect(page).toContain('This opens https://example.com/menu outside WhatsApp');
  });

  it('a forged or stale post is a 4xx and sends nothing', async () => {
    const before = inboundMessages(receiver).length;
    const send = actionOf(page, 'Send');
    expect((await submit([['_action', send]], { csrf: 'wrong' })).status).toBe(403);
    expect((await submit([['_action', send]], { state: 'not base64!' })).status).toBe(400);
    const otherScreen = Buffer.from(JSON.stringify({ screen: 'NOPE', data: {}, forms: {}, stack: [] })).toString('base64url');
    expect((await submit([['_action', send]], { state: otherScreen })).status).toBe(400);
    expect((await submit([['_action', '[99]']])).status).toBe(400);
    expect((await submit([['_action', '{"no":1}']])).status).toBe(400);
    // A text component is no button.
    expect((await submit([['_action', '[0]']])).status).toBe(400);
    const elsewhere = await t.post(`/sandbox/phone/flow/wamid.other`, { headers: { cookie: `ow_phone=${phone.cookie('ow_phone')}`, 'content-type': 'application/x-www-form-urlencoded' }, raw: `_csrf=${phone.csrf}` });
    expect(elsewhere.status).toBe(404);
    await new Promise((r) => setTimeout(r, 200));
    expect(inboundMessages(receiver).length).toBe(before);
  });

  it('completing sends the nfm_reply: ids as an array, the date as YYYY-MM-DD, the data as updated', async () => {
    const before = inboundMessages(receiver).length;
    const res = await submit([['f.email', 'jane@example.com'], ['f.toppings', 'ham'], ['f.toppings', 'basil'], ['f.day', '2030-06-15'], ['_action', actionOf(page, 'Send')]]);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/sandbox/phone');
    const m = await waitForInbound(receiver, before + 1);
    expect(m.context).toEqual({ from: p.phone_number, id: messageId });
    expect(JSON.parse(m.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'T-1', email: 'jane@example.com', toppings: ['ham', 'basil'], day: '2030-06-15', note: 'updated for jane@example.com' });
  });
});
