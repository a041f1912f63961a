// POST /marketing_messages on a number on Meta's network: the send goes to Graph's
// /{phone_number_id}/marketing_messages edge (a fake Graph API here) as a Cloud body with the MM
// Lite fields; Meta's answer (message_status included) or error is the client's; Meta judges the
// template's category and the WABA's onboarding, and the sandbox's MM Lite status endpoint is refused.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, graphErrorBody } from '../helpers/fake-graph.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { insertTemplate } from '../../src/messaging/templates/store.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const TOKEN = 'EAAGmetaTestToken' + 'Z'.repeat(60);
const VERSION = 'v23.0';
const TO = '5511912345678';
const PNID = '106540352299001';

const promo = (extra: Record<string, unknown> = {}) => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: TO,
  type: 'template',
  template: { name: 'spring_promo', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }] },
  ...extra,
});

describeEachDb('MM Lite through Meta: POST /marketing_messages', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let p: BootstrapResult;
  let key: Record<string, string>;

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, {
      env: { OPENWABA_SECRET_KEY: 'a'.repeat(64), OPENWABA_ADMIN_TOKEN: 'c'.repeat(32), OPENWABA_META_GRAPH_URL: graph.url, OPENWABA_META_GRAPH_VERSION: VERSION, OPENWABA_META_TIMEOUT: '600ms' },
    });
    p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: PNID, wabaId: '102290129340398', accessToken: TOKEN });
    key = { 'd360-api-key': p.channel_api_key };
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });
  beforeEach(() => graph.reset());

  it("goes to Graph's marketing_messages edge with the MM Lite fields; Meta's wamid and message_status are answered and stored as marketing_lite", async () => {
    const wamid = 'wamid.HBgNNTUxMTkxMjM0NTY3OBUCABEYEk1NTElURTAx';
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: TO, wa_id: TO }], messages: [{ id: wamid, message_status: 'accepted' }] } });
    const res = await t.post('/marketing_messages', { headers: key, json: promo({ message_activity_sharing: false, product_policy: 'STRICT', biz_opaque_callback_data: 'camp-1' }) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: TO, wa_id: TO }], messages: [{ id: wamid, message_status: 'accepted' }] });
    expect(graph.requests).toHaveLength(1);
    const req = graph.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/${VERSION}/${PNID}/marketing_messages`);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: TO,
      type: 'template',
      template: { name: 'spring_promo', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }] },
      biz_opaque_callback_data: 'camp-1',
      message_activity_sharing: false,
      product_policy: 'STRICT',
    });
    const row = await t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', wamid).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ channel_id: p.channel_id, direction: 'outbound', type: 'template', template_name: 'spring_promo', category: 'marketing_lite', status_plan: null });
  });

  it('Meta judges the category and the onboarding: a locally stored UTILITY template is forwarded, and Meta\'s 134100 / terms errors come back as Meta gave them; nothing is stored', async () => {
    await insertTemplate(t.deps, t.deps.db.kysely, { partnerId: p.partner_id, wabaAccountId: p.waba_account_id, name: 'order_update', language: 'pt_BR', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Pedido {{1}}' }] });
    const notMarketing = graphErrorBody(134100, 'Only marketing templates supported', { details: 'Only templates categorized as MARKETING are supported' });
    graph.respond({ status: 400, json: notMarketing });
    const res = await t.post('/marketing_messages', { headers: key, json: { ...promo(), template: { name: 'order_update', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '7' }] }] } } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(notMarketing);
    expect(graph.requests[0]!.path).toBe(`/${VERSION}/${PNID}/marketing_messages`);

    const terms = graphErrorBody(131055, 'Method not allowed', { details: 'You must accept the Marketing Messages Lite API terms to use the API.' });
    graph.respond({ status: 400, json: terms });
    const refused = await t.post('/marketing_messages', { headers: key, json: promo() });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual(terms);
    const n = await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('channel_id', '=', p.channel_id).where('category', '=', 'marketing_lite').executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });

  it('our own checks answer first: a text message, a bad product_policy never reach Meta; the MM Lite status is not ours to set on Meta', async () => {
    const text = await t.post('/marketing_messages', { headers: key, json: { messaging_product: 'whatsapp', to: TO, type: 'text', text: { body: 'hi' } } });
    expect(text.status).toBe(400);
    expect(text.body.error).toMatchObject({ code: 100, error_data: { details: 'Message must be a template message.' } });
    expect((await t.post('/marketing_messages', { headers: key, json: promo({ product_policy: 'ALWAYS' }) })).status).toBe(400);
    const set = await t.post('/sandbox/v1/marketing_messages_lite', { headers: key, json: { marketing_messages_lite_api_status: 'ELIGIBLE' } });
    expect(set.status).toBe(409);
    expect(set.body.error.code).toBe(100);
    expect(graph.requests).toHaveLength(0);
  });
});
