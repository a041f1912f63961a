// In Chromium, the sandbox phone runs a field's on-select-action the moment the user chooses, as
// WhatsApp does: phone-flow.js (a static script, allowed by the page's script-src 'self') submits
// the screen with the field's Apply button on change, and hides the Apply buttons; choosing a size
// in a Dropdown rewrites a text of the screen (update_data), choosing a radio button too, and
// nothing the page does is refused by its Content-Security-Policy.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { openPhoneChat, waitForInbound } from './phone-client.ts';

const browserCheck = await checkBrowser();
const WA = '4917012340078';

const FLOW = {
  version: '7.0',
  screens: [
    {
      id: 'PICK',
      title: 'Pick a pizza',
      terminal: true,
      data: { note: { type: 'string', __example__: 'Nothing chosen' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '${data.note}' },
          {
            type: 'Dropdown',
            name: 'size',
            label: 'Size',
            'data-source': [{ id: 'small', title: 'Small' }, { id: 'large', title: 'Large' }],
            'on-select-action': { name: 'update_data', payload: { note: '`Size: ${form.size}`' } },
          },
          {
            type: 'RadioButtonsGroup',
            name: 'crust',
            label: 'Crust',
            'data-source': [{ id: 'thin', title: 'Thin' }, { id: 'thick', title: 'Thick' }],
            'on-select-action': { name: 'update_data', payload: { note: '`Crust: ${form.crust}, size: ${form.size}`' } },
          },
          { type: 'Footer', label: 'Order', 'on-click-action': { name: 'complete', payload: { size: '${form.size}', crust: '${form.crust}' } } },
        ],
      },
    },
  ],
};

describeBrowser('sandbox phone: on-select-action runs on change (phone-flow.js)', browserCheck, () => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let session: IsolatedBrowser;
  let page: Page;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=50ms,delivered=100ms,read=150ms' } });
    p = await t.tenant({ brandName: 'Pizza Bot' });
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
    session = await openPhoneChat(t.baseUrl, p.channel_api_key, receiver, { wa: WA, name: 'Jane', say: 'pizza' });
    page = session.page;
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await receiver?.close();
  });

  it('choosing in a Dropdown or a radio group runs its update_data at once; the Apply buttons are hidden; completing sends the choices', async () => {
    const flow = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'pizza select', categories: ['OTHER'], flow_json: JSON.stringify(FLOW), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    const sent = await t.post('/messages', {
      headers: { 'D360-API-KEY': p.channel_api_key },
      json: {
        messaging_product: 'whatsapp',
        to: WA,
        type: 'interactive',
        interactive: { type: 'flow', body: { text: 'Your pizza' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 'SEL-1', flow_id: flow.body.id, flow_cta: 'Choose', flow_action_payload: { screen: 'PICK', data: { note: 'Nothing chosen' } } } } },
      },
    });
    expect(sent.status, sent.text).toBe(200);
    const id = sent.body.messages[0].id as string;
    const bubble = page.locator(`li.msg[data-id="${id}"]`);
    await bubble.waitFor({ timeout: 5000 });
    await bubble.getByRole('link', { name: 'Choose' }).click();
    await page.getByRole('heading', { name: 'Pick a pizza' }).waitFor();
    expect(await page.locator('p.flow-body').textContent()).toBe('Nothing chosen');
    // With the script, the Apply buttons are not shown: a change applies itself.
    expect(await page.locator('button.flow-apply').count()).toBe(2);
    expect(await page.locator('button.flow-apply').first().isVisible()).toBe(false);

    await page.getByLabel('Size', { exact: true }).selectOption('large');
    await page.locator('p.flow-body', { hasText: 'Size: large' }).waitFor({ timeout: 5000 });
    expect(await page.getByLabel('Size', { exact: true }).inputValue()).toBe('large');

    await page.getByRole('radio', { name: 'Thick' }).check();
    await page.locator('p.flow-body', { hasText: 'Crust: thick, size: large' }).waitFor({ timeout: 5000 });
    expect(await page.getByRole('radio', { name: 'Thick' }).isChecked()).toBe(true);
    await screenshot(page, 'phone-flow-select');

    await page.getByRole('button', { name: 'Order' }).click();
    const reply = await waitForInbound(receiver, 2);
    expect(JSON.parse(reply.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'SEL-1', size: 'large', crust: 'thick' });
    expect(cspViolations).toEqual([]);
  });
});
