// In Chromium, a developer runs their flow against the data endpoint on their laptop: the flow
// opens at the endpoint's first screen (INIT), the panel shows the decrypted exchange, a
// data_exchange goes on to the next screen, an error_message shows as a snackbar, and SUCCESS
// completes the flow (the business's webhook gets the nfm_reply). The endpoint is
// test/helpers/flow-endpoint.ts: Meta's reference encryption with a key pair of its own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { Receiver } from '../helpers/receiver.ts';
import { FlowEndpoint, type FlowRequest, type EndpointReply, useAsBusinessKey } from '../helpers/flow-endpoint.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { inboundMessages, openPhoneChat, waitForInbound } from './phone-client.ts';

const browserCheck = await checkBrowser();
const WA = '4917012340002';

const FLOW = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { SIGN_UP: ['DONE'], DONE: [] },
  screens: [
    {
      id: 'SIGN_UP',
      title: 'Sign up',
      data: { greeting: { type: 'string', __example__: 'Hi' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextHeading', text: '${data.greeting}' },
          { type: 'TextInput', name: 'email', label: 'Email', 'input-type': 'email', required: true },
          { type: 'Footer', label: 'Sign up', 'on-click-action': { name: 'data_exchange', payload: { email: '${form.email}' } } },
        ],
      },
    },
    {
      id: 'DONE',
      title: 'Done',
      terminal: true,
      layout: { type: 'SingleColumnLayout', children: [{ type: 'TextBody', text: 'Thanks' }, { type: 'Footer', label: 'Close', 'on-click-action': { name: 'complete', payload: {} } }] },
    },
  ],
};

function signUp(req: FlowRequest): EndpointReply {
  if (req.action === 'INIT') return { json: { screen: 'SIGN_UP', data: { greeting: 'Welcome to <Acme>' } } };
  if (req.action === 'data_exchange' && req.data?.email === 'taken@example.com') return { json: { screen: 'SIGN_UP', data: { error_message: 'This email is already registered' } } };
  if (req.action === 'data_exchange') return { json: { screen: 'SUCCESS', data: { extension_message_response: { params: { flow_token: req.flow_token, email: req.data?.email } } } } };
  return { status: 400, body: 'unexpected' };
}

describeBrowser('sandbox phone runs a flow against its data endpoint', browserCheck, () => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let endpoint: FlowEndpoint;
  let session: IsolatedBrowser;
  let page: Page;

  async function shot(name: string) {
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow, `${name}: horizontal overflow`).toBeLessThanOrEqual(0);
    await screenshot(page, `phone-flow-endpoint-${name}`);
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    endpoint = await new FlowEndpoint().start();
    endpoint.handler = signUp;
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=50ms,delivered=100ms,read=150ms' } });
    p = await t.tenant({ brandName: 'Acme' });
    expect((await t.post('/v1/configs/webhook', { headers: channelKey(p.channel_api_key), json: { url: receiver.url } })).status).toBe(200);
    await useAsBusinessKey(t, p.channel_api_key, endpoint);
    session = await openPhoneChat(t.baseUrl, p.channel_api_key, receiver, { wa: WA, name: 'Jane', say: 'sign me up' });
    page = session.page;
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await endpoint?.close();
    await receiver?.close();
  });

  it('INIT, the exchange panel, a snackbar, SUCCESS: the webhook gets the nfm_reply', async () => {
    const flow = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'sign up', categories: ['SIGN_UP'], endpoint_uri: `${endpoint.url}/`, flow_json: JSON.stringify(FLOW), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    const sent = await t.post('/messages', {
      headers: channelKey(p.channel_api_key),
      json: {
        messaging_product: 'whatsapp',
        to: WA,
        type: 'interactive',
        interactive: { type: 'flow', body: { text: 'Join Acme' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_id: flow.body.id, flow_token: 'signup-1', flow_cta: 'Sign up', flow_action: 'data_exchange' } } },
      },
    });
    expect(sent.status, sent.text).toBe(200);
    const messageId = sent.body.messages[0].id as string;
    const bubble = page.locator(`li.msg[data-id="${messageId}"]`);
    await bubble.waitFor({ timeout: 5000 });
    await bubble.getByRole('link', { name: 'Sign up' }).click();

    await page.getByRole('heading', { name: 'Welcome to <Acme>' }).waitFor();
    // The panel is closed until asked for; it holds the decrypted request and answer.
    expect(await page.locator('#flow-exchange-request').isVisible()).toBe(false);
    await page.getByText('Endpoint exchange: INIT → HTTP 200').click();
    expect(JSON.parse((await page.locator('#flow-exchange-request').textContent())!)).toEqual({ version: '3.0', action: 'INIT', flow_token: 'signup-1' });
    expect(JSON.parse((await page.locator('#flow-exchange-response').textContent())!)).toEqual({ screen: 'SIGN_UP', data: { greeting: 'Welcome to <Acme>' } });
    await shot('init');

    await page.getByLabel('Email').fill('taken@example.com');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.locator('#flow-snackbar').waitFor();
    expect(await page.locator('#flow-snackbar').textContent()).toBe('This email is already registered');
    expect(await page.getByLabel('Email').inputValue()).toBe('taken@example.com');
    await shot('snackbar');

    const before = inboundMessages(receiver).length;
    await page.getByLabel('Email').fill('jane@example.com');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('Your endpoint completed the flow').waitFor();
    await shot('completed');
    const m = await waitForInbound(receiver, before + 1);
    expect(JSON.parse(m.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'signup-1', email: 'jane@example.com' });
    expect(m.context).toEqual({ from: p.phone_number, id: messageId });
    await page.getByRole('link', { name: 'Back to the chat' }).click();
    await page.getByLabel('Message').waitFor();
  });
});
