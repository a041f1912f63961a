// The setup the sandbox phone's flow tests share: an app with a webhook receiver, a test flow
// endpoint (test/helpers/flow-endpoint.ts) whose public key is the number's business key, a
// published flow using that endpoint, and a phone whose user has written first (the
// customer-service window is open); and the business's send of an interactive flow message.
import { expect } from 'vitest';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { DbKind } from '../helpers/db.ts';
import { FlowEndpoint, useAsBusinessKey } from '../helpers/flow-endpoint.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient, waitForInbound } from './phone-client.ts';

export interface FlowPhone {
  t: TestApp;
  p: BootstrapResult;
  receiver: Receiver;
  endpoint: FlowEndpoint;
  phone: PhoneClient;
  flowId: string;
  close(): Promise<void>;
}

export async function startFlowPhone(
  kind: DbKind,
  opts: { flow: unknown; name: string; categories: string[]; wa: string; firstWords: string; handler?: FlowEndpoint['handler'] },
): Promise<FlowPhone> {
  const receiver = await new Receiver().start();
  const endpoint = await new FlowEndpoint().start();
  if (opts.handler) endpoint.handler = opts.handler;
  const t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
  const close = async () => {
    await t.close();
    await endpoint.close();
    await receiver.close();
  };
  try {
    const p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: channelKey(p.channel_api_key), json: { url: receiver.url } })).status).toBe(200);
    await useAsBusinessKey(t, p.channel_api_key, endpoint);
    const flow = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: opts.name, categories: opts.categories, endpoint_uri: `${endpoint.url}/flow`, flow_json: JSON.stringify(opts.flow), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    expect(flow.body.validation_errors).toEqual([]);
    const phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: opts.wa, name: 'Jane' });
    expect((await phone.post('/sandbox/phone/text', { body: opts.firstWords })).status).toBe(303);
    await waitForInbound(receiver, 1);
    return { t, p, receiver, endpoint, phone, flowId: flow.body.id as string, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The business sends the flow as an interactive flow message opening `screen` with `data`: its wamid. */
export async function sendFlowMessage(
  s: Pick<FlowPhone, 't' | 'p' | 'flowId'>,
  m: { to: string; token: string; text: string; cta: string; screen: string; data: Record<string, unknown> },
): Promise<string> {
  const res = await s.t.post('/messages', {
    headers: channelKey(s.p.channel_api_key),
    json: {
      messaging_product: 'whatsapp',
      to: m.to,
      type: 'interactive',
      interactive: {
        type: 'flow',
        body: { text: m.text },
        action: {
          name: 'flow',
          parameters: { flow_message_version: '3', flow_token: m.token, flow_id: s.flowId, flow_cta: m.cta, flow_action: 'navigate', flow_action_payload: { screen: m.screen, data: m.data } },
        },
      },
    },
  });
  expect(res.status, res.text).toBe(200);
  return res.body.messages[0].id as string;
}
