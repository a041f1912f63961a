// The 360 template list of a Meta number is read from Meta and kept 30 s; Meta's webhook of a
// template's change drops it at once, so a client that hears "APPROVED" and lists sees it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { ACCESS_TOKEN, META_ENV, post } from './meta-webhook-fixtures.ts';

const WABA = '102290129340777';

describeEachDb("Meta's template webhook and the kept 360 list", (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let status = 'PENDING';
  beforeAll(async () => {
    graph = await new FakeGraph().start();
    graph.on((req) =>
      req.method === 'GET' && req.path.includes(`/${WABA}/message_templates`)
        ? { status: 200, json: { data: [{ id: '594425479261596', name: 'order_update', language: 'en_US', status, category: 'UTILITY', components: [{ type: 'BODY', text: 'Order {{1}}' }] }], paging: { cursors: { before: 'A', after: 'B' } } } }
        : undefined,
    );
    t = await startTestApp(kind, { env: { ...META_ENV, OPENWABA_META_GRAPH_URL: graph.url } });
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  it('a list after the webhook reads Meta again; without it the kept reading answers', async () => {
    const p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: '106540352266601', wabaId: WABA, accessToken: ACCESS_TOKEN });
    const list = async () => (await t.get('/v1/configs/templates', { headers: { 'd360-api-key': p.channel_api_key } })).body.waba_templates.map((x: { status: string }) => x.status);
    const reads = () => graph.requests.filter((r) => r.path.includes('/message_templates')).length;
    expect(await list()).toEqual(['PENDING']);
    status = 'APPROVED';
    expect(await list()).toEqual(['PENDING']); // kept
    expect(reads()).toBe(1);
    const change = { field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 594425479261596, message_template_name: 'order_update', message_template_language: 'en_US', reason: 'NONE' } };
    expect((await post(t, { object: 'whatsapp_business_account', entry: [{ id: WABA, time: 1733486400, changes: [change] }] })).status).toBe(200);
    expect(await list()).toEqual(['APPROVED']);
    expect(reads()).toBe(2);
  });
});
