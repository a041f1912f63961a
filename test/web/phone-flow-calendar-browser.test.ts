// In Chromium, a CalendarPicker in range mode runs its on-select-action (data_exchange) once the
// range is picked, as WhatsApp does: phone-flow.js waits for both dates (a start alone is not a
// selection), then submits the screen; the endpoint gets {"start-date","end-date"} and its answer
// redraws the screen. Completing sends the dates in response_json.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { Receiver } from '../helpers/receiver.ts';
import { FlowEndpoint, type FlowRequest, useAsBusinessKey } from '../helpers/flow-endpoint.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { openPhoneChat, waitForInbound } from './phone-client.ts';

const browserCheck = await checkBrowser();
const WA = '4917012340092';

const FLOW = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { STAY: [] },
  screens: [
    {
      id: 'STAY',
      title: 'Your stay',
      terminal: true,
      data: { note: { type: 'string', __example__: 'No dates yet' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '${data.note}' },
          {
            type: 'CalendarPicker',
            name: 'stay',
            mode: 'range',
            label: { 'start-date': 'Check-in', 'end-date': 'Check-out' },
            required: true,
            'min-date': '2026-03-01',
            'max-date': '2026-06-30',
            'on-select-action': { name: 'data_exchange', payload: { stay: '${form.stay}' } },
          },
          { type: 'Footer', label: 'Book', 'on-click-action': { name: 'complete', payload: { stay: '${form.stay}' } } },
        ],
      },
    },
  ],
};

describeBrowser('sandbox phone: a CalendarPicker range in the browser (phone-flow.js)', browserCheck, () => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let endpoint: FlowEndpoint;
  let session: IsolatedBrowser;
  let page: Page;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    receiver = await new Receiver().start();
    endpoint = await new FlowEndpoint().start();
    endpoint.handler = (req: FlowRequest) => {
      const stay = (req.data?.stay ?? {}) as Record<string, string>;
      return { json: { version: '3.0', screen: 'STAY', data: { note: `From ${stay['start-date']} to ${stay['end-date']}` } } };
    };
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=50ms,delivered=100ms,read=150ms' } });
    p = await t.tenant({ brandName: 'Hotel Bot' });
    expect((await t.post('/v1/configs/webhook', { headers: channelKey(p.channel_api_key), json: { url: receiver.url } })).status).toBe(200);
    await useAsBusinessKey(t, p.channel_api_key, endpoint);
    session = await openPhoneChat(t.baseUrl, p.channel_api_key, receiver, { wa: WA, name: 'Jane', say: 'a room' });
    page = session.page;
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await endpoint?.close();
    await receiver?.close();
  });

  it('picking the start does nothing yet; picking the end sends the range to the endpoint; Book completes with it', async () => {
    const flow = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'stay range', categories: ['APPOINTMENT_BOOKING'], endpoint_uri: `${endpoint.url}/flow`, flow_json: JSON.stringify(FLOW), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    const sent = await t.post('/messages', {
      headers: channelKey(p.channel_api_key),
      json: {
        messaging_product: 'whatsapp',
        to: WA,
        type: 'interactive',
        interactive: {
          type: 'flow',
          body: { text: 'When?' },
          action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 'CAL-B', flow_id: flow.body.id, flow_cta: 'Pick dates', flow_action: 'navigate', flow_action_payload: { screen: 'STAY', data: { note: 'No dates yet' } } } },
        },
      },
    });
    expect(sent.status, sent.text).toBe(200);
    const id = sent.body.messages[0].id as string;
    const bubble = page.locator(`li.msg[data-id="${id}"]`);
    await bubble.waitFor({ timeout: 5000 });
    await bubble.getByRole('link', { name: 'Pick dates' }).click();
    await page.getByRole('heading', { name: 'Your stay' }).waitFor();
    expect(await page.locator('button.flow-apply').isVisible()).toBe(false);

    await page.getByLabel(/^Check-in/).fill('2026-03-05');
    // A start alone is not yet a selection: nothing is sent.
    await page.waitForTimeout(300);
    expect(endpoint.decrypted()).toEqual([]);
    expect(await page.locator('p.flow-body').textContent()).toBe('No dates yet');

    await page.getByLabel(/^Check-out/).fill('2026-03-09');
    await page.locator('p.flow-body', { hasText: 'From 2026-03-05 to 2026-03-09' }).waitFor({ timeout: 5000 });
    expect(endpoint.decrypted()).toEqual([{ version: '3.0', action: 'data_exchange', screen: 'STAY', data: { stay: { 'start-date': '2026-03-05', 'end-date': '2026-03-09' } }, flow_token: 'CAL-B' }]);
    expect(await page.getByLabel(/^Check-out/).inputValue()).toBe('2026-03-09');
    await screenshot(page, 'phone-flow-calendar-range');

    await page.getByRole('button', { name: 'Book' }).click();
    const reply = await waitForInbound(receiver, 2);
    expect(JSON.parse(reply.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'CAL-B', stay: { 'start-date': '2026-03-05', 'end-date': '2026-03-09' } });
    expect(cspViolations).toEqual([]);
  });
});
