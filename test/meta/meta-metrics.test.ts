// The operator sees how requests to Meta fare: /metrics counts and times them by operation and outcome.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, fakeWamid, graphErrorBody } from '../helpers/fake-graph.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { graphOperation } from '../../src/network/meta/graph-metrics.ts';

const TO = '4915123456789';

it('operations are named by the Graph edge, never by an id', () => {
  expect(graphOperation('POST', '106540352200001/messages')).toBe('post_messages');
  expect(graphOperation('GET', '1234567890123456?phone_number_id=1')).toBe('get_object');
  expect(graphOperation('GET', '102290129340398/message_templates?limit=250')).toBe('get_message_templates');
  expect(graphOperation('GET', '106540352200001?fields=health_status')).toBe('get_object');
  expect(graphOperation('DELETE', 'x/../../evil')).toBe('delete_object');
});

describeEachDb('Meta Graph API metrics', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: { OPENWABA_SECRET_KEY: 'a'.repeat(64), OPENWABA_META_GRAPH_URL: graph.url, OPENWABA_META_TIMEOUT: '300ms' } });
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  it('counts sends by outcome: 2xx, 4xx, timeout', async () => {
    const p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: '106540352288801', wabaId: '102290129340398', accessToken: 'EAAG' + 'm'.repeat(40) });
    const send = () => t.post('/messages', { headers: { 'd360-api-key': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: TO, type: 'text', text: { body: 'hi' } } });
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: TO, wa_id: TO }], messages: [{ id: fakeWamid() }] } });
    expect((await send()).status).toBe(200);
    graph.respond({ status: 400, json: graphErrorBody(131030, 'Recipient phone number not in allowed list') });
    expect((await send()).status).toBe(400);
    graph.respond({ hang: true });
    expect((await send()).status).toBe(504);
    const metrics = (await t.get('/metrics')).text;
    const count = (outcome: string) => Number(new RegExp(`openwaba_meta_graph_request_duration_seconds_count\\{operation="post_messages",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect([count('2xx'), count('4xx'), count('timeout')]).toEqual([1, 1, 1]);
    expect(metrics).not.toContain('106540352288801');
  });
});
