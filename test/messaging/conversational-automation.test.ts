// Meta's conversational components (POST/GET /conversational_automation and Graph's
// /{version}/{phone-number-id}/conversational_automation, the phone number node's
// conversational_automation field) on a sandbox number: set, read back, partial updates, Meta's
// limits refused in Graph's body naming the field, forms and query parameters, another tenant's
// number not reached. On Meta's network every call goes to Meta. The simulated user's first
// contact: request_welcome at the webhook in Cloud format (POST /sandbox/v1/inbound and the
// sandbox phone, which offers the ice breakers and commands on an empty chat).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import type { FakeGraph } from '../helpers/fake-graph.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient, waitForInbound } from '../web/phone-client.ts';

const ADMIN = 'conversational-automation-admin-token';
const SET = {
  enable_welcome_message: true,
  prompts: ['Book a table', 'Opening hours?'],
  commands: [
    { command_name: 'menu', command_description: "Today's menu" },
    { command_name: 'book', command_description: 'Book a table' },
  ],
};

describeEachDb('conversational components on a sandbox number', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let receiver: Receiver;
  const key = (q: BootstrapResult = p) => ({ 'D360-API-KEY': q.channel_api_key });
  const read = async (q: BootstrapResult = p) => {
    const res = await t.get('/conversational_automation', { headers: key(q) });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  const refused = async (json: unknown, field: string) => {
    const res = await t.post('/conversational_automation', { headers: key(), json });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe(100);
    expect(res.body.error.error_data.details).toContain(field);
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    p = await t.tenant();
    other = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/wh` } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('set at the root, read back at the root, on the Graph edge and as the phone number node field', async () => {
    // Never set: the welcome message off, no lists.
    expect(await read()).toEqual({ conversational_automation: { enable_welcome_message: false, prompts: [], commands: [] }, id: expect.stringMatching(/^\d+$/) });
    const res = await t.post('/conversational_automation', { headers: key(), json: SET });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    const root = await read();
    expect(root.conversational_automation).toEqual(SET);

    // Graph's paths with a Bearer token, as clients written for Meta call them.
    const id = root.id as string;
    const edge = await t.get(`/v22.0/${id}/conversational_automation`, { headers: bearer(p.channel_api_key) });
    expect(edge.status, edge.text).toBe(200);
    expect(edge.body).toEqual(root);
    const node = await t.get(`/v22.0/${id}`, { headers: bearer(p.channel_api_key), query: { fields: 'conversational_automation' } });
    expect(node.status, node.text).toBe(200);
    expect(node.body).toEqual({ conversational_automation: SET, id });

    // A Graph POST changing only the prompts: the rest stays.
    const post = await t.post(`/v22.0/${id}/conversational_automation`, { headers: bearer(p.channel_api_key), json: { prompts: ['Hi!'] } });
    expect(post.status, post.text).toBe(200);
    expect((await read()).conversational_automation).toEqual({ ...SET, prompts: ['Hi!'] });
  });

  it('takes a form and query parameters, lists as JSON text or as form lists', async () => {
    const form = new URLSearchParams({ enable_welcome_message: 'false', prompts: JSON.stringify(['Track my order']), 'commands[0][command_name]': 'track', 'commands[0][command_description]': 'Track an order' });
    const res = await t.post('/conversational_automation', { headers: { ...key(), 'content-type': 'application/x-www-form-urlencoded' }, raw: form.toString() });
    expect(res.status, res.text).toBe(200);
    expect((await read()).conversational_automation).toEqual({ enable_welcome_message: false, prompts: ['Track my order'], commands: [{ command_name: 'track', command_description: 'Track an order' }] });
    const q = await t.post('/conversational_automation', { headers: key(), query: { enable_welcome_message: 'true', commands: '[]' } });
    expect(q.status, q.text).toBe(200);
    expect((await read()).conversational_automation).toEqual({ enable_welcome_message: true, prompts: ['Track my order'], commands: [] });
  });

  it("refuses what Meta refuses, in Graph's body naming the field, and changes nothing", async () => {
    const before = await read();
    await refused({}, 'enable_welcome_message');
    await refused({ enable_welcome_message: 'maybe' }, 'enable_welcome_message');
    await refused({ prompts: ['a', 'b', 'c', 'd', 'e'] }, 'prompts');
    await refused({ prompts: ['x'.repeat(81)] }, 'prompts[0]');
    await refused({ prompts: [''] }, 'prompts[0]');
    await refused({ prompts: 'not a list' }, 'prompts');
    await refused({ commands: Array.from({ length: 31 }, (_, i) => ({ command_name: `c${i}`, command_description: 'd' })) }, 'commands');
    await refused({ commands: [{ command_name: 'x'.repeat(33), command_description: 'd' }] }, 'commands[0].command_name');
    await refused({ commands: [{ command_name: '/menu', command_description: 'd' }] }, 'commands[0].command_name');
    await refused({ commands: [{ command_name: 'my menu', command_description: 'd' }] }, 'commands[0].command_name');
    await refused({ commands: [{ command_name: 'menu', command_description: 'd'.repeat(257) }] }, 'commands[0].command_description');
    await refused({ commands: [{ command_name: 'menu' }] }, 'commands[0].command_description');
    await refused({ commands: [{ command_name: 'menu', command_description: 'a' }, { command_name: 'MENU', command_description: 'b' }] }, 'commands[1].command_name');
    await refused({ commands: [{ command_name: 'menu', command_description: 'd', extra: 1 }] }, 'commands[0].extra');
    // At the limits: accepted.
    const edge = { prompts: ['p'.repeat(80), 'b', 'c', 'd'], commands: Array.from({ length: 30 }, (_, i) => ({ command_name: `c${i}`.padEnd(32, 'x'), command_description: 'd'.repeat(256) })) };
    expect(await read()).toEqual(before);
    const ok = await t.post('/conversational_automation', { headers: key(), json: edge });
    expect(ok.status, ok.text).toBe(200);
    expect((await read()).conversational_automation).toMatchObject(edge);
  });

  it("another tenant's number is neither read nor changed", async () => {
    await t.post('/conversational_automation', { headers: key(), json: { prompts: ['Mine'] } });
    expect((await read(other)).conversational_automation).toEqual({ enable_welcome_message: false, prompts: [], commands: [] });
    expect((await t.post('/conversational_automation', { headers: key(other), json: { prompts: ['Theirs'] } })).status).toBe(200);
    expect((await read()).conversational_automation.prompts).toEqual(['Mine']);
    // Graph's path naming p's number with other's key: Graph's "does not exist" answer, nothing done.
    const id = (await read()).id as string;
    const res = await t.post(`/v22.0/${id}/conversational_automation`, { headers: bearer(other.channel_api_key), json: { prompts: ['Sneaky'] } });
    expect(res.status).toBe(400);
    expect(res.body.error.error_subcode).toBe(33);
    expect((await read()).conversational_automation.prompts).toEqual(['Mine']);
    expect((await t.get('/conversational_automation', {})).status).toBe(401);
  });

  it('request_welcome reaches the webhook in Cloud format, only with the welcome message on, and a reply is free-form', async () => {
    await t.post('/conversational_automation', { headers: key(), json: { enable_welcome_message: false } });
    const off = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: '4917600000301', type: 'request_welcome' } });
    expect(off.status, off.text).toBe(400);
    expect(off.body.error.error_data.details).toContain('enable_welcome_message');
    expect((await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: '4917600000301', type: 'request_welcome', request_welcome: {} } })).status).toBe(400);

    await t.post('/conversational_automation', { headers: key(), json: { enable_welcome_message: true } });
    const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: '4917600000301', name: 'Ana', type: 'request_welcome' } });
    expect(res.status, res.text).toBe(200);
    const id = res.body.messages[0].id as string;
    const value = await receiver.waitForBody('request_welcome', (bodies) => bodies.map((b) => b.entry?.[0]?.changes?.[0]?.value).find((v) => v?.messages?.[0]?.id === id));
    expect(value.messaging_product).toBe('whatsapp');
    expect(value.contacts[0]).toMatchObject({ profile: { name: 'Ana' }, wa_id: '4917600000301' });
    expect(value.messages[0]).toEqual({ from: '4917600000301', id, from_user_id: expect.any(String), timestamp: expect.stringMatching(/^\d+$/), type: 'request_welcome' });

    // The welcome reply: a free-form text inside the window the opening started.
    const reply = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: '4917600000301', type: 'text', text: { body: 'Welcome!' } } });
    expect(reply.status, reply.text).toBe(200);
  });

  it('an On-Premise channel gets no request_welcome', async () => {
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930111100088', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    const onprem = { 'D360-API-KEY': k.body.api_key as string };
    expect((await t.post('/conversational_automation', { headers: onprem, json: { enable_welcome_message: true } })).status).toBe(200);
    const res = await t.post('/sandbox/v1/inbound', { headers: onprem, json: { from: '4917600000302', type: 'request_welcome' } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.error_data.details).toContain('On-Premise');
  });

  it('the sandbox phone: opening an empty chat sends request_welcome once and offers the ice breakers and commands', async () => {
    const q = await t.tenant();
    const r = await new Receiver().start();
    try {
      expect((await t.post('/configs/webhook', { headers: key(q), json: { url: r.url } })).status).toBe(200);
      expect((await t.post('/conversational_automation', { headers: key(q), json: { ...SET, prompts: ['Book a <table>', 'Opening hours?'] } })).status).toBe(200);
      const phone = new PhoneClient(t);
      await phone.open(q.channel_api_key, { wa_id: '4917600000303', name: 'Bo' });
      const first = await waitForInbound(r, 1);
      expect(first).toMatchObject({ type: 'request_welcome', from: '4917600000303', contact: { profile: { name: 'Bo' } } });
      expect(first.request_welcome).toBeUndefined();

      // The empty chat offers them as buttons that send a text; the opening draws no bubble.
      const page = (await phone.get('/sandbox/phone')).text as string;
      expect(page).toContain('id="chat-suggestions"');
      expect(page).toContain('name="body" value="Book a &lt;table&gt;"');
      expect(page).toContain('name="body" value="/menu"');
      expect(page).toContain("Today&#39;s menu");
      expect(await phone.items()).toEqual([]);

      // Switching away and back: no second request_welcome.
      await phone.post('/sandbox/phone/switch', {});
      expect((await phone.post('/sandbox/phone/user', { wa_id: '4917600000303', name: 'Bo' })).status).toBe(303);

      // Tapping an ice breaker sends it as a text; then the suggestions are gone.
      expect((await phone.post('/sandbox/phone/text', { body: 'Opening hours?' })).status).toBe(303);
      const second = await waitForInbound(r, 2);
      expect(second).toMatchObject({ type: 'text', text: { body: 'Opening hours?' } });
      expect((await phone.get('/sandbox/phone')).text).not.toContain('chat-suggestions');
      await new Promise((done) => setTimeout(done, 300));
      expect(r.bodies().filter((b) => b.entry[0].changes[0].value.messages?.[0]?.type === 'request_welcome')).toHaveLength(1);
    } finally {
      await r.close();
    }
  });
});

const META_NUMBER = '106540352242999';

describeEachDb("conversational components on Meta's network: Meta's own", (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let p: BootstrapResult;
  let meta: MetaNumber | undefined;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });

  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: '102290129340999' });
    ({ graph, t, p } = meta);
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("the checked update goes to Meta's edge as JSON, the read to Meta's node; Meta's answers come back", async () => {
    graph.reset();
    const atMeta = { conversational_automation: { enable_welcome_message: true, prompts: ['Hi'], commands: [] }, id: META_NUMBER };
    graph.respond({ status: 200, json: { success: true } }, { status: 200, json: atMeta });
    const set = await t.post('/conversational_automation', { headers: key(), query: { access_token: 'not-passed-on' }, json: { enable_welcome_message: 'true', prompts: ['Hi'] } });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toEqual({ success: true });
    const got = await t.get('/conversational_automation', { headers: key() });
    expect(got.status, got.text).toBe(200);
    expect(got.body).toEqual(atMeta);
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['POST', `/${META_NUMBER}/conversational_automation`],
      ['GET', `/${META_NUMBER}?fields=conversational_automation`],
    ]);
    expect(graph.requests[0]!.json).toEqual({ enable_welcome_message: true, prompts: ['Hi'] });
    // Refused before Meta is asked.
    const bad = await t.post('/conversational_automation', { headers: key(), json: { prompts: ['x'.repeat(81)] } });
    expect(bad.status).toBe(400);
    expect(graph.requests).toHaveLength(2);
    expect(await t.deps.db.kysely.selectFrom('conversational_automation').selectAll().execute()).toEqual([]);
  });
});
