// A simulated user completes a WhatsApp Flow through the sandbox API: POST /sandbox/v1/inbound with
// an interactive nfm_reply answering the business's flow message reaches the channel's webhook as
// Meta's "Response Message Webhook" shows it (Cloud), and in the On-Premise channel's format; the
// reply must answer a flow message sent to that user, and a malformed one is a 400 that stores and
// delivers nothing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { MINIMAL_FLOW_JSON } from '../helpers/flows.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const ADMIN = 'c'.repeat(32);
const USER = '4917612340001';
const OTHER = '4917612340002';

describeEachDb('sandbox: a user answers a flow (nfm_reply)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let onprem: Record<string, string>;
  const cloud = () => channelKey(p.channel_api_key);

  /** A published flow in the WABA of the channel `wabaAccountId` belongs to. */
  async function publishedFlow(wabaAccountId: string, name: string): Promise<string> {
    const res = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${wabaAccountId}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name, categories: ['SURVEY'], flow_json: JSON.stringify(MINIMAL_FLOW_JSON), publish: true },
    });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  }

  const flowMessage = (flowId: string, flowToken?: string) => ({
    to: USER,
    type: 'interactive',
    interactive: {
      type: 'flow',
      body: { text: 'Tell us how we did' },
      action: { name: 'flow', parameters: { flow_message_version: '3', ...(flowToken ? { flow_token: flowToken } : {}), flow_id: flowId, flow_cta: 'Rate us', flow_action: 'navigate', flow_action_payload: { screen: 'WELCOME' } } },
    },
  });

  const inbound = (headers: Record<string, string>, body: Record<string, unknown>) => t.post('/sandbox/v1/inbound', { headers, json: { from: USER, type: 'interactive', ...body } });
  const messageOf = (path: string, id: string) =>
    receiver.waitForBody(`message ${id} at ${path}`, () =>
      receiver
        .bodies(path)
        .flatMap((b) => (b.entry ? b.entry[0].changes[0].value.messages ?? [] : b.messages ?? []))
        .find((m: { id: string }) => m.id === id),
    );

  let cloudFlow: string;
  let cloudFlowMessage: string;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=20ms,delivered=40ms,read=60ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: cloud(), json: { url: `${receiver.url}/cloud` } })).status).toBe(200);
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123450001', phone_name: 'Legacy' },
    });
    expect(ch.status).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    onprem = channelKey(k.body.api_key);
    expect((await t.post('/v1/configs/webhook', { headers: onprem, json: { url: `${receiver.url}/onprem` } })).status).toBe(200);
    cloudFlow = await publishedFlow(p.waba_account_id, 'feedback');
    // The user writes first (the 24-hour window), then the business sends the flow.
    expect((await inbound(cloud(), { type: 'text', text: { body: 'hi' } })).status).toBe(200);
    const sent = await t.post('/messages', { headers: cloud(), json: { messaging_product: 'whatsapp', ...flowMessage(cloudFlow, 'survey-42') } });
    expect(sent.status, sent.text).toBe(200);
    cloudFlowMessage = sent.body.messages[0].id;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it("reaches the Cloud webhook as Meta's flow response message, replying to the flow message", async () => {
    const responseJson = JSON.stringify({ flow_token: 'survey-42', rating: '5', comment: 'Great <pizza> & "fast"' });
    const res = await inbound(cloud(), { interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: responseJson } }, context: { message_id: cloudFlowMessage } });
    expect(res.status, res.text).toBe(200);
    const id = res.body.messages[0].id as string;
    const m = await messageOf('/cloud', id);
    expect(m).toMatchObject({ from: USER, id, type: 'interactive', timestamp: expect.stringMatching(/^\d+$/) });
    // The string exactly as sent: clients JSON.parse it.
    expect(m.interactive).toEqual({ type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: responseJson } });
    expect(m.context).toEqual({ from: p.phone_number, id: cloudFlowMessage });
    const stored = await t.get('/sandbox/v1/messages', { headers: cloud(), query: { wa_id: USER, limit: '1' } });
    expect(stored.body.messages[0]).toMatchObject({ id, direction: 'inbound', type: 'interactive', content: { interactive: { type: 'nfm_reply' } } });
  });

  it("takes response_json as an object, and name and body default to WhatsApp's; without flow_token the message's comes first", async () => {
    const res = await inbound(cloud(), { interactive: { type: 'nfm_reply', nfm_reply: { response_json: { rating: '3' } } }, context: { id: cloudFlowMessage } });
    expect(res.status, res.text).toBe(200);
    const m = await messageOf('/cloud', res.body.messages[0].id);
    expect(m.interactive.nfm_reply.name).toBe('flow');
    expect(m.interactive.nfm_reply.body).toBe('Sent');
    expect(m.interactive.nfm_reply.response_json).toBe('{"flow_token":"survey-42","rating":"3"}');
  });

  it('a flow message without flow_token answers with Meta\'s default token, "unused"', async () => {
    const sent = await t.post('/messages', { headers: cloud(), json: { messaging_product: 'whatsapp', ...flowMessage(cloudFlow) } });
    expect(sent.status).toBe(200);
    const res = await inbound(cloud(), { interactive: { type: 'nfm_reply', nfm_reply: { response_json: '{}' } }, context: { message_id: sent.body.messages[0].id } });
    expect(res.status, res.text).toBe(200);
    const m = await messageOf('/cloud', res.body.messages[0].id);
    expect(JSON.parse(m.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'unused' });
  });

  it("reaches an On-Premise channel's webhook in its format (top-level contacts and messages)", async () => {
    const waba = await t.deps.db.kysely.selectFrom('channels').select(['waba_account_id', 'phone_number']).where('phone_number', '=', '4930123450001').executeTakeFirstOrThrow();
    const flowId = waba.waba_account_id === p.waba_account_id ? cloudFlow : await publishedFlow(waba.waba_account_id, 'feedback onprem');
    expect((await inbound(onprem, { type: 'text', text: { body: 'hallo' } })).status).toBe(200);
    const sent = await t.post('/v1/messages', { headers: onprem, json: { recipient_type: 'individual', ...flowMessage(flowId, 'op-7') } });
    expect(sent.status, sent.text).toBe(201);
    const flowMsg = sent.body.messages[0].id as string;
    const responseJson = '{"flow_token":"op-7","day":"2024-05-01"}';
    const res = await inbound(onprem, { interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: responseJson } }, context: { message_id: flowMsg } });
    expect(res.status, res.text).toBe(200);
    const id = res.body.messages[0].id as string;
    await messageOf('/onprem', id);
    const body = receiver.bodies('/onprem').find((b) => b.messages?.[0]?.id === id);
    expect(body).toEqual({
      contacts: [{ profile: { name: expect.any(String) }, wa_id: USER }],
      messages: [
        {
          from: USER,
          id,
          timestamp: expect.stringMatching(/^\d+$/),
          type: 'interactive',
          interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: responseJson } },
          context: { from: waba.phone_number, id: flowMsg },
        },
      ],
    });
  });

  it('refuses malformed replies with a 400 naming the field, storing and delivering nothing', async () => {
    const textMessage = await t.post('/messages', { headers: cloud(), json: { messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'plain' } } });
    expect(textMessage.status).toBe(200);
    const ok = { name: 'flow', body: 'Sent', response_json: '{"flow_token":"survey-42"}' };
    const context = { message_id: cloudFlowMessage };
    const cases: [string, Record<string, unknown>, string][] = [
      ['no response_json', { interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow' } }, context }, 'interactive.nfm_reply.response_json: is required'],
      ['response_json not JSON', { interactive: { type: 'nfm_reply', nfm_reply: { ...ok, response_json: '{nope' } }, context }, 'interactive.nfm_reply.response_json: must be the text of a JSON object (it is not JSON)'],
      ['response_json an array', { interactive: { type: 'nfm_reply', nfm_reply: { ...ok, response_json: '[1,2]' } }, context }, 'interactive.nfm_reply.response_json: must be the text of a JSON object'],
      ['response_json a number', { interactive: { type: 'nfm_reply', nfm_reply: { ...ok, response_json: 5 } }, context }, 'interactive.nfm_reply.response_json: must be the text of a JSON object, or the object itself'],
      ['response_json too long', { interactive: { type: 'nfm_reply', nfm_reply: { ...ok, response_json: JSON.stringify({ x: 'y'.repeat(70_000) }) } }, context }, 'at most 65536 characters'],
      ['another name', { interactive: { type: 'nfm_reply', nfm_reply: { ...ok, name: 'address_message' } }, context }, 'interactive.nfm_reply.name'],
      ['a field WhatsApp does not send', { interactive: { type: 'nfm_reply', nfm_reply: { ...ok, flow_id: '1' } }, context }, 'interactive.nfm_reply'],
      ['nfm_reply not an object', { interactive: { type: 'nfm_reply', nfm_reply: 'Sent' } , context }, 'interactive.nfm_reply: must be an object'],
      ['no context', { interactive: { type: 'nfm_reply', nfm_reply: ok } }, 'context.message_id: is required for an nfm_reply'],
      ['context a text message', { interactive: { type: 'nfm_reply', nfm_reply: ok }, context: { message_id: textMessage.body.messages[0].id } }, 'context.message_id: must be the id of a flow message'],
      ['context an unknown id', { interactive: { type: 'nfm_reply', nfm_reply: ok }, context: { message_id: 'wamid.nothing' } }, 'context.message_id: must be the id of a flow message'],
    ];
    const before = receiver.requests.length;
    const count = async () => (await t.get('/sandbox/v1/messages', { headers: cloud(), query: { wa_id: USER, limit: '500' } })).body.messages.length as number;
    const stored = await count();
    for (const [what, body, says] of cases) {
      const res = await inbound(cloud(), body);
      expect(res.status, what).toBe(400);
      expect(res.body.error.error_data.details, what).toContain(says);
    }
    // Another user cannot answer the flow message sent to USER.
    const other = await t.post('/sandbox/v1/inbound', { headers: cloud(), json: { from: OTHER, type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: ok }, context } });
    expect(other.status).toBe(400);
    expect(other.body.error.error_data.details).toContain(`flow message (interactive type "flow") the business sent to ${OTHER}`);
    expect(await count()).toBe(stored);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests.slice(before).filter((r) => r.body.includes('nfm_reply'))).toEqual([]);
  });
});
