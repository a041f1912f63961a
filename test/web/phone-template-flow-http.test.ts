// A template's FLOW button on the sandbox phone (plain form posts): the chat links the button to
// the flow runner, which opens the template's flow (by flow_id at its navigate_screen, or its inline
// flow_json at the first screen) with the send's flow_token and flow_action_data; completing sends
// the nfm_reply with context = the template message. POST /sandbox/v1/inbound takes an nfm_reply
// to such a template message too; a template without a FLOW button opens no flow.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient, waitForInbound, inboundMessages } from './phone-client.ts';
import { stateOf, actionOf } from './flow-html.ts';

const WA = '4917099885555';

const FLOW = {
  version: '7.0',
  screens: [
    {
      id: 'START',
      title: 'Start',
      layout: { type: 'SingleColumnLayout', children: [{ type: 'Footer', label: 'Go', 'on-click-action': { name: 'navigate', next: { type: 'screen', name: 'ORDER' }, payload: { note: 'from start' } } }] },
    },
    {
      id: 'ORDER',
      title: 'Order',
      terminal: true,
      data: { note: { type: 'string', __example__: 'x' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '${data.note}' },
          { type: 'TextInput', name: 'who', label: 'Name', required: true },
          { type: 'Footer', label: 'Send', 'on-click-action': { name: 'complete', payload: { who: '${form.who}', note: '${data.note}' } } },
        ],
      },
    },
  ],
};


describeEachDb('sandbox phone: a template’s FLOW button opens the flow', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;

  const key = () => channelKey(p.channel_api_key);
  const statusOf = async (name: string) => (await t.get('/v1/configs/templates', { headers: key(), query: { filters: JSON.stringify({ name }) } })).body.waba_templates[0]?.status as string | undefined;
  async function approvedTemplate(name: string, button: Record<string, unknown>): Promise<void> {
    const res = await t.post('/v1/configs/templates', {
      headers: key(),
      json: { name, category: 'MARKETING', language: 'en_US', components: [{ type: 'BODY', text: 'Book your table' }, { type: 'BUTTONS', buttons: [{ type: 'FLOW', text: 'Book', ...button }] }] },
    });
    expect(res.status, res.text).toBe(201);
    // The review runs by itself after OPENWABA_TEMPLATE_REVIEW_DELAY (expect.poll is for tests only, not beforeAll).
    const until = Date.now() + 10_000;
    while ((await statusOf(name)) !== 'APPROVED') {
      if (Date.now() > until) throw new Error(`template ${name} was not approved`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function sendTemplate(name: string, components: unknown[] = []): Promise<string> {
    const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: WA, type: 'template', template: { name, language: { code: 'en_US' }, components } } });
    expect(sent.status, sent.text).toBe(200);
    return sent.body.messages[0].id as string;
  }
  async function submit(messageId: string, page: string, fields: [string, string][]) {
    const body = new URLSearchParams([['_csrf', phone.csrf], ['_state', stateOf(page)], ...fields]);
    return t.post(`/sandbox/phone/flow/${encodeURIComponent(messageId)}`, { headers: { cookie: `ow_phone=${phone.cookie('ow_phone')}`, 'content-type': 'application/x-www-form-urlencoded' }, raw: body.toString() });
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms', OPENWABA_TEMPLATE_REVIEW_DELAY: '50ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: receiver.url } })).status).toBe(200);
    const flow = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'table', categories: ['APPOINTMENT_BOOKING'], flow_json: JSON.stringify(FLOW), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    await approvedTemplate('book_by_id', { flow_id: flow.body.id, navigate_screen: 'ORDER', flow_action: 'navigate' });
    await approvedTemplate('book_inline', { flow_json: JSON.stringify(FLOW) });
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('the button opens the flow at navigate_screen with flow_action_data; completing answers the template message', async () => {
    const messageId = await sendTemplate('book_by_id', [
      { type: 'button', sub_type: 'flow', index: '0', parameters: [{ type: 'action', action: { flow_token: 'TPL-1', flow_action_data: { note: 'from the template' } } }] },
    ]);
    const href = `/sandbox/phone/flow/${encodeURIComponent(messageId)}`;
    const chat = await phone.get('/sandbox/phone');
    expect(chat.text).toContain(`<a class="link-label" href="${href}">Book</a>`);
    const items = await phone.items();
    expect(items.find((b: any) => b.id === messageId).templateButtons).toEqual([{ kind: 'link', label: 'Book', target: expect.stringContaining('WhatsApp Flow'), href }]);

    const page = await phone.get(href);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<p class="flow-body">from the template</p>');
    const before = inboundMessages(receiver).length;
    const done = await submit(messageId, page.text as string, [['f.who', 'Jane'], ['_action', actionOf(page.text as string, 'Send')]]);
    expect(done.status).toBe(303);
    const m = await waitForInbound(receiver, before + 1);
    expect(m.type).toBe('interactive');
    expect(m.context).toEqual({ from: p.phone_number, id: messageId });
    expect(JSON.parse(m.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'TPL-1', who: 'Jane', note: 'from the template' });
  });

  it("an inline flow_json without navigate_screen opens at the first screen, with Meta's default flow_token", async () => {
    const messageId = await sendTemplate('book_inline');
    const first = await phone.get(`/sandbox/phone/flow/${encodeURIComponent(messageId)}`);
    expect(first.status).toBe(200);
    expect(first.text).toContain('<h1 id="flow-title">Start</h1>');
    const order = await submit(messageId, first.text as string, [['_action', actionOf(first.text as string, 'Go')]]);
    expect(order.status).toBe(200);
    expect(order.text).toContain('<p class="flow-body">from start</p>');
    const before = inboundMessages(receiver).length;
    const done = await submit(messageId, order.text, [['f.who', 'Max'], ['_action', actionOf(order.text, 'Send')]]);
    expect(done.status).toBe(303);
    const m = await waitForInbound(receiver, before + 1);
    expect(m.context.id).toBe(messageId);
    expect(JSON.parse(m.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'unused', who: 'Max', note: 'from start' });
  });

  it('POST /sandbox/v1/inbound takes an nfm_reply to the template message, filling its flow_token', async () => {
    const messageId = await sendTemplate('book_by_id', [{ type: 'button', sub_type: 'flow', index: '0', parameters: [{ type: 'action', action: { flow_token: 'TPL-2' } }] }]);
    const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: WA, type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { response_json: '{"who":"Ann"}' } }, context: { message_id: messageId } } });
    expect(res.status, res.text).toBe(200);
    const id = res.body.messages[0].id as string;
    const m = await receiver.waitForBody(`nfm_reply ${id}`, () => inboundMessages(receiver).find((x) => x.id === id));
    expect(JSON.parse(m.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'TPL-2', who: 'Ann' });
  });

  it('a template without a FLOW button opens no flow, and the runner refuses it with a 404', async () => {
    const messageId = await sendTemplate('hello_world');
    const res = await phone.get(`/sandbox/phone/flow/${encodeURIComponent(messageId)}`);
    expect(res.status).toBe(404);
    const reply = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: WA, type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { response_json: '{}' } }, context: { message_id: messageId } } });
    expect(reply.status).toBe(400);
    expect(reply.text).toContain('context.message_id');
  });
});
