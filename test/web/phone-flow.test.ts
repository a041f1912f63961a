// A developer tests their Flow-based bot on the sandbox phone in Chromium: the business sends a
// published two-screen flow, the user opens it from the chat, is stopped by a required field as
// WhatsApp would stop them, fills the first screen, goes on to the second (its data the navigate
// payload), goes back and forth, completes it, and the business's webhook receives the nfm_reply
// with the complete action's payload and the message's flow_token, replying to the flow message.
// A draft flow sent with mode "draft" opens its draft; a flow that starts at its data endpoint but
// has no endpoint_uri says what it needs (flows with an endpoint: phone-flow-endpoint*.test.ts).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { inboundMessages, openPhoneChat, waitForInbound } from './phone-client.ts';

const browserCheck = await checkBrowser();
const WA = '4917055507777';

const PIZZA_FLOW = {
  version: '7.0',
  screens: [
    {
      id: 'DETAILS',
      title: 'Your order',
      data: { greeting: { type: 'string', __example__: 'Hello' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextHeading', text: '${data.greeting}' },
          {
            type: 'Form',
            name: 'order',
            children: [
              { type: 'TextInput', name: 'full_name', label: 'Full name', required: true, 'helper-text': 'As on your doorbell' },
              { type: 'Dropdown', name: 'size', label: 'Pizza size', required: true, 'data-source': [{ id: 'small', title: 'Small' }, { id: 'large', title: 'Large', description: '40 cm' }] },
              { type: 'Footer', label: 'Next', 'on-click-action': { name: 'navigate', next: { type: 'screen', name: 'CONFIRM' }, payload: { name: '${form.full_name}', size: '${form.size}' } } },
            ],
          },
        ],
      },
    },
    {
      id: 'CONFIRM',
      title: 'Confirm',
      terminal: true,
      data: { name: { type: 'string', __example__: 'Jane' }, size: { type: 'string', __example__: 'small' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '`Thanks ${data.name}, one ${data.size} pizza.`' },
          { type: 'If', condition: "${data.size} == 'large'", then: [{ type: 'TextCaption', text: 'A large one takes 5 minutes longer.' }] },
          { type: 'OptIn', name: 'offers', label: 'Send me offers' },
          { type: 'Footer', label: 'Order', 'on-click-action': { name: 'complete', payload: { customer: '${data.name}', size: '${data.size}', offers: '${form.offers}' } } },
        ],
      },
    },
  ],
};

describeBrowser('sandbox phone runs WhatsApp Flows', browserCheck, () => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let session: IsolatedBrowser;
  let page: Page;
  let n = 0;

  async function createFlow(flowJson: unknown, publish: boolean): Promise<string> {
    const res = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: `pizza ${++n}`, categories: ['OTHER'], flow_json: JSON.stringify(flowJson), publish },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.validation_errors ?? []).toEqual([]);
    return res.body.id as string;
  }
  async function sendFlow(parameters: Record<string, unknown>): Promise<string> {
    const res = await t.post('/messages', {
      headers: { 'D360-API-KEY': p.channel_api_key },
      json: {
        messaging_product: 'whatsapp',
        to: WA,
        type: 'interactive',
        interactive: { type: 'flow', body: { text: 'Order a pizza' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_cta: 'Order pizza', ...parameters } } },
      },
    });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  }
  const bubble = (id: string) => page.locator(`li.msg[data-id="${id}"]`);
  async function shot(name: string) {
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow, `${name}: horizontal overflow`).toBeLessThanOrEqual(0);
    await screenshot(page, `phone-flow-${name}`);
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=50ms,delivered=100ms,read=150ms' } });
    p = await t.tenant({ brandName: 'Pizza Bot' });
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
    session = await openPhoneChat(t.baseUrl, p.channel_api_key, receiver, { wa: WA, name: 'Jane', say: 'I am hungry' });
    page = session.page;
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await receiver?.close();
  });

  it('opens a published flow from its button, checks required fields, navigates, completes: the webhook gets the nfm_reply', async () => {
    const flowId = await createFlow(PIZZA_FLOW, true);
    const messageId = await sendFlow({ flow_id: flowId, flow_token: 'order-<1>', flow_action: 'navigate', flow_action_payload: { screen: 'DETAILS', data: { greeting: 'Hello <b>Jane</b>' } } });
    await bubble(messageId).waitFor({ timeout: 5000 });
    await shot('chat');
    await bubble(messageId).getByRole('link', { name: 'Order pizza' }).click();
    await page.getByRole('heading', { name: 'Your order' }).waitFor();
    // Business data is text, never markup.
    expect(await page.locator('h2.flow-heading').textContent()).toBe('Hello <b>Jane</b>');
    expect(await page.locator('h2.flow-heading b').count()).toBe(0);
    await shot('details');

    // Nothing filled in: WhatsApp would not let the Footer go on.
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('2 fields need your attention');
    expect(await page.locator('.ferr').allTextContents()).toEqual(['“Full name” is required.', '“Pizza size” is required.']);
    await shot('required');

    await page.getByLabel('Full name').fill('Jane Doe');
    await page.getByLabel('Pizza size').selectOption('large');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { name: 'Confirm' }).waitFor();
    expect(await page.locator('.flow-body').textContent()).toBe('Thanks Jane Doe, one large pizza.');
    expect(await page.locator('.flow-caption').textContent()).toBe('A large one takes 5 minutes longer.');
    await shot('confirm');

    // Back keeps what was entered; Enter in the text field goes on with the Footer.
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('heading', { name: 'Your order' }).waitFor();
    expect(await page.getByLabel('Full name').inputValue()).toBe('Jane Doe');
    expect(await page.getByLabel('Pizza size').inputValue()).toBe('large');
    await page.getByLabel('Full name').press('Enter');
    await page.getByRole('heading', { name: 'Confirm' }).waitFor();

    const before = inboundMessages(receiver).length;
    await page.getByLabel('Send me offers').check();
    await page.getByRole('button', { name: 'Order' }).click();
    // Back in the chat, the reply quoting the flow message.
    await page.getByLabel('Message').waitFor();
    const m = await waitForInbound(receiver, before + 1);
    expect(m).toMatchObject({ from: WA, type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent' } } });
    expect(JSON.parse(m.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'order-<1>', customer: 'Jane Doe', size: 'large', offers: true });
    expect(m.context).toEqual({ from: p.phone_number, id: messageId });
    await bubble(m.id).waitFor();
    expect(await bubble(m.id).locator('.text').textContent()).toBe('Sent');
    expect(await bubble(m.id).locator('.note').textContent()).toContain('"customer":"Jane Doe"');
    expect(await bubble(m.id).locator('.quote').textContent()).toContain('Order a pizza');
    await shot('completed');
  });

  it('a draft flow sent with mode "draft" opens its draft; a flow starting at its endpoint, without endpoint_uri, says what it needs', async () => {
    const draft = await createFlow({ ...PIZZA_FLOW, screens: [{ ...PIZZA_FLOW.screens[1], title: 'Draft confirm' }] }, false);
    const draftMessage = await sendFlow({ flow_id: draft, mode: 'draft', flow_action: 'navigate', flow_action_payload: { screen: 'CONFIRM', data: { name: 'Draft', size: 'small' } } });
    const endpointMessage = await sendFlow({ flow_id: draft, mode: 'draft', flow_action: 'data_exchange' });
    await bubble(endpointMessage).waitFor({ timeout: 5000 });
    await bubble(draftMessage).getByRole('link', { name: 'Order pizza' }).click();
    await page.getByRole('heading', { name: 'Draft confirm' }).waitFor();
    expect(await page.locator('.flow-body').textContent()).toBe('Thanks Draft, one small pizza.');
    expect(await page.locator('.flow-caption').count()).toBe(0);
    await page.goBack();
    await bubble(endpointMessage).getByRole('link', { name: 'Order pizza' }).click();
    await page.getByText('This flow needs its data endpoint').waitFor();
    await shot('endpoint');
    // Another conversation's message, or none, is simply not there.
    const res = await page.goto(`${t.baseUrl}/sandbox/phone/flow/wamid.nothing`);
    expect(res?.status()).toBe(404);
    expect(await page.getByRole('alert').textContent()).toContain('not a flow message of this conversation');
  });
});
