// A number on Meta's Cloud API: sends and marks-as-read go to Meta (a fake Graph API here) after
// our own checks, as Cloud API bodies whatever flavour they came in; Meta's wamid is stored and
// answered, Meta's errors come back in the client's API format, and Meta's failures are 5xx.
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, graphErrorBody } from '../helpers/fake-graph.ts';
import { insertMessageRow } from '../helpers/messages.ts';
import { uploadCloud, uploadOnPrem } from '../messaging/media-fixtures.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { insertTemplate } from '../../src/messaging/templates/store.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const KEY_HEX = 'a'.repeat(64);
const ADMIN = 'c'.repeat(32);
const TOKEN = 'EAAGmetaTestToken' + 'Z'.repeat(60);
const VERSION = 'v22.0';
const TO = '4915123456789';

let pnidSeq = 0;
const nextPnid = () => String(106540352200000 + ++pnidSeq);

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describeEachDb('sending through Meta', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let a: BootstrapResult;
  let pnid: string;
  let key: Record<string, string>;

  const metaEnv = (url: string) => ({
    OPENWABA_SECRET_KEY: KEY_HEX,
    OPENWABA_ADMIN_TOKEN: ADMIN,
    OPENWABA_META_GRAPH_URL: url,
    OPENWABA_META_GRAPH_VERSION: VERSION,
    OPENWABA_META_TIMEOUT: '600ms',
  });
  /** A tenant whose channel is on Meta with its own phone_number_id. */
  const metaTenant = async (app: TestApp) => {
    const p = await app.tenant();
    const id = nextPnid();
    await attachMetaChannel(app.deps, p.channel_id, { phoneNumberId: id, wabaId: '102290129340398', accessToken: TOKEN });
    return { p, pnid: id, key: { 'd360-api-key': p.channel_api_key } };
  };
  const storedCount = async (channelId: string) =>
    Number((await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('channel_id', '=', channelId).executeTakeFirstOrThrow()).n);
  const sendText = (headers: Record<string, string>, body = 'hello') => t.post('/messages', { headers, json: { messaging_product: 'whatsapp', to: TO, type: 'text', text: { body } } });

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: metaEnv(graph.url) });
    ({ p: a, pnid, key } = await metaTenant(t));
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });
  beforeEach(() => graph.reset());

  it("a Cloud send reaches Meta with the bearer token, path and version, as a Cloud body; Meta's wamid is answered and stored", async () => {
    const wamid = 'wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABEYEjQ1QkQ5RkE2';
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: TO, wa_id: TO }], messages: [{ id: wamid, message_status: 'accepted' }] } });
    const res = await t.post('/messages', {
      headers: key,
      json: { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+49 151 2345 6789', type: 'text', text: { body: 'Hi Ada', preview_url: true }, context: { message_id: 'wamid.earlier' }, biz_opaque_callback_data: 'order-7' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: '+49 151 2345 6789', wa_id: TO }], messages: [{ id: wamid, message_status: 'accepted' }] });
    expect(graph.requests).toHaveLength(1);
    const req = graph.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/${VERSION}/${pnid}/messages`);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: TO,
      type: 'text',
      text: { body: 'Hi Ada', preview_url: true },
      context: { message_id: 'wamid.earlier' },
      biz_opaque_callback_data: 'order-7',
    });
    const row = await t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', wamid).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ channel_id: a.channel_id, direction: 'outbound', status: 'accepted', wa_id: TO, type: 'text', category: 'service', status_plan: null, status_due_at: null, context_id: 'wamid.earlier' });
    expect(JSON.parse(row.content!)).toMatchObject({ type: 'text', text: { body: 'Hi Ada' } });
  });

  it("stores Meta's wa_id when Meta resolves the number to another one", async () => {
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: '5511912345678', wa_id: '551112345678' }], messages: [{ id: 'wamid.br1' }] } });
    const res = await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: '5511912345678', type: 'text', text: { body: 'oi' } } });
    expect(res.body).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: '5511912345678', wa_id: '551112345678' }], messages: [{ id: 'wamid.br1' }] });
    expect((await t.deps.db.kysely.selectFrom('messages').select('wa_id').where('id', '=', 'wamid.br1').executeTakeFirstOrThrow()).wa_id).toBe('551112345678');
  });

  it('an On-Premise number: /v1/messages bodies (text, template with namespace, hsm, media with provider) reach Meta as Cloud bodies; answers in On-Premise shape', async () => {
    const ch = await t.post(`/admin/partners/${a.partner_id}/clients/${a.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123456789', phone_name: 'Legacy' },
    });
    expect(ch.status).toBe(201);
    const k = await t.post(`/api/v2/partners/${a.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(a.partner_api_key) });
    const onPremKey = { 'd360-api-key': k.body.api_key as string };
    const onPremPnid = nextPnid();
    await attachMetaChannel(t.deps, ch.body.id, { phoneNumberId: onPremPnid, wabaId: '102290129340399', accessToken: TOKEN });

    const text = await t.post('/v1/messages', { headers: onPremKey, json: { recipient_type: 'individual', to: TO, type: 'text', text: { body: 'hi' }, preview_url: false } });
    expect(text.status).toBe(201);
    const wamid = text.body.messages[0].id as string;
    expect(text.body).toEqual({ contacts: [{ input: TO, wa_id: TO }], messages: [{ id: expect.stringMatching(/^wamid\./) }], meta: { api_status: 'stable', version: expect.any(String) } });
    expect(graph.requests[0]!.path).toBe(`/${VERSION}/${onPremPnid}/messages`);
    expect(graph.requests[0]!.json).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: TO, type: 'text', text: { body: 'hi', preview_url: false } });
    expect((await t.deps.db.kysely.selectFrom('messages').select('channel_id').where('id', '=', wamid).executeTakeFirstOrThrow()).channel_id).toBe(ch.body.id);

    // A template our store does not have, with the On-Premise namespace and language policy.
    const tpl = await t.post('/v1/messages', {
      headers: onPremKey,
      json: {
        to: TO,
        type: 'template',
        template: { namespace: 'c8ae5f90_307a_ca4c_b8f6_d1e2a2573574', name: 'shipping_update', language: { policy: 'deterministic', code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
      },
    });
    expect(tpl.status).toBe(201);
    expect(graph.requests[1]!.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: TO,
      type: 'template',
      template: { name: 'shipping_update', language: { code: 'en', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
    });

    const hsm = await t.post('/v1/messages', {
      headers: onPremKey,
      json: { to: TO, type: 'hsm', hsm: { namespace: 'whatever_namespace', element_name: 'legacy_hello', language: { policy: 'deterministic', code: 'de' }, localizable_params: [{ default: 'Otto' }] } },
    });
    expect(hsm.status).toBe(201);
    expect(graph.requests[2]!.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: TO,
      type: 'template',
      template: { name: 'legacy_hello', language: { code: 'de', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Otto' }] }] },
    });

    const doc = await t.post('/v1/messages', {
      headers: onPremKey,
      json: { to: TO, type: 'document', document: { link: 'https://example.com/a.pdf', provider: { name: 'cdn' }, caption: 'Invoice', filename: 'a.pdf' } },
    });
    expect(doc.status).toBe(201);
    expect(graph.requests[3]!.json.document).toEqual({ link: 'https://example.com/a.pdf', caption: 'Invoice', filename: 'a.pdf' });
  });

  it('a template our store does not know is forwarded (category marketing); a known one is counted in its category, not checked here', async () => {
    const unknown = await t.post('/messages', {
      headers: key,
      json: { messaging_product: 'whatsapp', to: TO, type: 'template', template: { name: 'made_at_meta', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'x' }] }] } },
    });
    expect(unknown.status).toBe(200);
    expect(graph.requests[0]!.json.template).toEqual({ name: 'made_at_meta', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'x' }] }] });
    const row = await t.deps.db.kysely.selectFrom('messages').select(['category', 'template_name', 'status_plan']).where('id', '=', unknown.body.messages[0].id).executeTakeFirstOrThrow();
    expect(row).toEqual({ category: 'marketing', template_name: 'made_at_meta', status_plan: null });

    await insertTemplate(t.deps, t.deps.db.kysely, {
      partnerId: a.partner_id,
      wabaAccountId: a.waba_account_id,
      name: 'known_utility',
      language: 'en_US',
      category: 'UTILITY',
      status: 'APPROVED',
      components: [{ type: 'BODY', text: 'Order {{1}} is ready' }],
    });
    // The parameter count does not match the stored template: Meta, not we, decides on that.
    const known = await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: TO, type: 'template', template: { name: 'known_utility', language: { code: 'en_US' } } } });
    expect(known.status).toBe(200);
    expect(graph.requests).toHaveLength(2);
    expect((await t.deps.db.kysely.selectFrom('messages').select('category').where('id', '=', known.body.messages[0].id).executeTakeFirstOrThrow()).category).toBe('utility');
  });

  it('a flow our store does not know is forwarded (flow_message_version as the string Meta documents)', async () => {
    const res = await t.post('/messages', {
      headers: key,
      json: {
        messaging_product: 'whatsapp',
        to: TO,
        type: 'interactive',
        interactive: { type: 'flow', body: { text: 'Book' }, action: { name: 'flow', parameters: { flow_message_version: 3, flow_id: '1234567890123', flow_cta: 'Open', flow_action: 'navigate', flow_action_payload: { screen: 'START' } } } },
      },
    });
    expect(res.status).toBe(200);
    expect(graph.requests[0]!.json.interactive.action.parameters).toEqual({ flow_message_version: '3', flow_id: '1234567890123', flow_cta: 'Open', flow_action: 'navigate', flow_action_payload: { screen: 'START' } });
  });

  it("a send by one of our media ids uploads the file to Meta first and names Meta's id; links and Meta's own ids pass through", async () => {
    const data = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(5000, 7)]);
    const up = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/jpeg', file: { data, type: 'image/jpeg', name: 'photo.jpg' } });
    expect(up.status).toBe(200);
    const ours = up.body.id as string;
    graph.respond({ status: 200, json: { id: '1357924680135792' } });
    const res = await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: TO, type: 'image', image: { id: ours, caption: 'Look' } } });
    expect(res.status).toBe(200);
    expect(graph.requests.map((r) => r.path)).toEqual([`/${VERSION}/${pnid}/media`, `/${VERSION}/${pnid}/messages`]);
    const upload = graph.requests[0]!;
    expect(upload.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const form = await FakeGraph.form(upload);
    expect(form.get('messaging_product')).toBe('whatsapp');
    expect(form.get('type')).toBe('image/jpeg');
    const file = form.get('file') as File;
    expect(file.type).toBe('image/jpeg');
    expect(Buffer.from(await file.arrayBuffer()).equals(data)).toBe(true);
    expect(graph.requests[1]!.json.image).toEqual({ id: '1357924680135792', caption: 'Look' });
    // The stored message keeps what the client sent.
    expect(JSON.parse((await t.deps.db.kysely.selectFrom('messages').select('content').where('id', '=', res.body.messages[0].id).executeTakeFirstOrThrow()).content!).image.id).toBe(ours);

    // Meta's id is kept: the same media again is not uploaded again. A template header by our id too.
    graph.reset();
    const again = await t.post('/messages', {
      headers: key,
      json: { messaging_product: 'whatsapp', to: TO, type: 'template', template: { name: 'promo', language: { code: 'en' }, components: [{ type: 'header', parameters: [{ type: 'image', image: { id: ours } }] }] } },
    });
    expect(again.status).toBe(200);
    expect(graph.requests.map((r) => r.path)).toEqual([`/${VERSION}/${pnid}/messages`]);
    expect(graph.requests[0]!.json.template.components[0].parameters[0].image).toEqual({ id: '1357924680135792' });

    // An On-Premise upload (raw body), sent by a link-less id from an interactive header.
    graph.reset();
    const pdf = Buffer.from('%PDF-1.7\n' + 'x'.repeat(2000));
    const up2 = await uploadOnPrem(t, a.channel_api_key, pdf, 'application/pdf');
    expect(up2.status).toBe(201);
    graph.respond({ status: 200, json: { id: '2468013579246801' } });
    const doc = await t.post('/messages', {
      headers: key,
      json: { messaging_product: 'whatsapp', to: TO, type: 'interactive', interactive: { type: 'button', header: { type: 'document', document: { id: up2.body.media[0].id } }, body: { text: 'Your invoice' }, action: { buttons: [{ type: 'reply', reply: { id: 'ok', title: 'OK' } }] } } },
    });
    expect(doc.status).toBe(200);
    expect((await FakeGraph.form(graph.requests[0]!)).get('type')).toBe('application/pdf');
    expect(graph.requests[1]!.json.interactive.header).toEqual({ type: 'document', document: { id: '2468013579246801' } });

    // A link, and an id we never issued (Meta's own, e.g. from an inbound message): no upload.
    graph.reset();
    expect((await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: TO, type: 'image', image: { link: 'https://example.com/cat.jpg' } } })).status).toBe(200);
    expect((await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: TO, type: 'sticker', sticker: { id: '987654321098765' } } })).status).toBe(200);
    expect(graph.requests.map((r) => r.path)).toEqual([`/${VERSION}/${pnid}/messages`, `/${VERSION}/${pnid}/messages`]);
    expect(graph.requests[0]!.json.image).toEqual({ link: 'https://example.com/cat.jpg' });
    expect(graph.requests[1]!.json.sticker).toEqual({ id: '987654321098765' });
  });

  it('sends of one of our files at the same moment share one upload to Meta', async () => {
    const data = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3000, 9)]);
    const up = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/jpeg', file: { data, type: 'image/jpeg', name: 'same.jpg' } });
    expect(up.status).toBe(200);
    const off = graph.on((req) => (req.path.endsWith('/media') ? { status: 200, json: { id: '1122334455667788' } } : undefined));
    try {
      const sends = await Promise.all(
        Array.from({ length: 6 }, () => t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: TO, type: 'image', image: { id: up.body.id } } })),
      );
      expect(sends.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(graph.requests.filter((r) => r.path.endsWith('/media'))).toHaveLength(1);
      expect(graph.requests.filter((r) => r.path.endsWith('/messages')).map((r) => r.json.image.id)).toEqual(Array(6).fill('1122334455667788'));
    } finally {
      off();
    }
  });

  it("Meta refusing the upload of our media: its error is the answer and no message goes out", async () => {
    const data = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'binary'), Buffer.alloc(300, 1)]);
    const up = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/png', file: { data, type: 'image/png', name: 'x.png' } });
    const before = await storedCount(a.channel_id);
    const metaBody = graphErrorBody(131053, 'Media upload error', { details: 'Unsupported image type' });
    graph.respond({ status: 400, json: metaBody });
    const res = await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: TO, type: 'image', image: { id: up.body.id } } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(metaBody);
    expect(graph.requests.map((r) => r.path)).toEqual([`/${VERSION}/${pnid}/media`]);
    expect(await storedCount(a.channel_id)).toBe(before);
  });

  it("Meta's 400 passes through: Cloud gets Meta's status and error as given, On-Premise its format with Meta's code, title, details; nothing is stored", async () => {
    const before = await storedCount(a.channel_id);
    const metaBody = graphErrorBody(131030, 'Recipient phone number not in allowed list', { details: 'Recipient phone number not in allowed list: add it in the app dashboard' });
    graph.respond({ status: 400, json: metaBody });
    const cloud = await sendText(key);
    expect(cloud.status).toBe(400);
    expect(cloud.body).toEqual(metaBody);

    graph.respond({ status: 400, json: metaBody });
    const onprem = await t.post('/v1/messages', { headers: key, json: { to: TO, type: 'text', text: { body: 'hi' } } });
    expect(onprem.status).toBe(400);
    expect(onprem.body).toEqual({
      errors: [{ code: 131030, title: 'Recipient phone number not in allowed list', details: 'Recipient phone number not in allowed list: add it in the app dashboard', href: expect.any(String) }],
      meta: { api_status: 'stable', version: expect.any(String) },
    });

    // An invalid-parameter error keeps Meta's code 100 and subcode (not renumbered as our own 100s are).
    const param = graphErrorBody(100, 'Invalid parameter', { subcode: 2494010, details: 'Parameter to is invalid' });
    graph.respond({ status: 400, json: param });
    const onprem100 = await t.post('/v1/messages', { headers: key, json: { to: TO, type: 'text', text: { body: 'hi' } } });
    expect(onprem100.body.errors[0]).toMatchObject({ code: 100, title: 'Invalid parameter', details: 'Parameter to is invalid' });
    expect(graph.requests).toHaveLength(3);
    expect(await storedCount(a.channel_id)).toBe(before);
  });

  it("Meta refusing openwaba's access token (401, code 190) is a 502 with Meta's error, not a 401 the client would read as its own key", async () => {
    const before = await storedCount(a.channel_id);
    const expired = graphErrorBody(190, 'Error validating access token: Session has expired', { subcode: 463, type: 'OAuthException' });
    graph.respond({ status: 401, json: expired });
    const cloud = await sendText(key);
    expect(cloud.status).toBe(502);
    expect(cloud.body).toEqual(expired);
    graph.respond({ status: 403, json: graphErrorBody(200, 'Permissions error', { type: 'OAuthException' }) });
    expect((await sendText(key)).status).toBe(502);
    // The same token refusals as a 400 (Graph nodes differ), and WhatsApp's "Access denied".
    graph.respond({ status: 400, json: graphErrorBody(190, 'Error validating access token', { subcode: 460 }) });
    expect((await sendText(key)).status).toBe(502);
    graph.respond({ status: 403, json: graphErrorBody(131005, 'Access denied') });
    expect((await sendText(key)).status).toBe(502);
    // Other 403s (a policy refusal, not our credentials) keep Meta's status.
    graph.respond({ status: 403, json: graphErrorBody(131031, 'Business Account locked') });
    expect((await sendText(key)).status).toBe(403);
    expect(await storedCount(a.channel_id)).toBe(before);
  });

  it("Meta's 5xx, a non-Graph answer, a reset connection, a timeout → 5xx in the API's format, nothing stored, the next send fine", async () => {
    const before = await storedCount(a.channel_id);
    // A Graph error with a 5xx keeps Meta's status and body.
    const down = graphErrorBody(131000, 'Something went wrong', { details: 'Something went wrong' });
    graph.respond({ status: 500, json: down });
    const r1 = await sendText(key);
    expect(r1.status).toBe(500);
    expect(r1.body).toEqual(down);

    graph.respond({ status: 503, body: '<html>Service Unavailable</html>' });
    const r2 = await sendText(key);
    expect(r2.status).toBe(502);
    expect(r2.body.error).toMatchObject({ code: 131000, error_data: { details: expect.stringMatching(/^WhatsApp for Business API not available: Meta's Cloud API answered with HTTP 503/) } });

    graph.respond({ status: 200, body: 'not json' });
    const r3 = await sendText(key);
    expect(r3.status).toBe(502);
    expect(r3.body.error.error_data.details).toMatch(/no message id; the message may have been sent/);

    graph.respond({ reset: true });
    const r4 = await t.post('/v1/messages', { headers: key, json: { to: TO, type: 'text', text: { body: 'hi' } } });
    expect(r4.status).toBe(502);
    expect(r4.body.errors[0]).toMatchObject({ code: 131000, details: expect.stringMatching(/Meta's Cloud API could not be reached/) });

    graph.respond({ hang: true });
    const started = Date.now();
    const r5 = await sendText(key);
    expect(r5.status).toBe(504);
    expect(r5.body.error).toMatchObject({ code: 131000, error_data: { details: expect.stringMatching(/did not answer within 0\.6 s/) } });
    expect(Date.now() - started).toBeLessThan(5000);

    expect(await storedCount(a.channel_id)).toBe(before);
    expect((await t.get('/health')).status).toBe(200);
    expect((await sendText(key)).status).toBe(200);
    // The token is in no log line, failures included.
    expect(t.logs.join('\n')).not.toContain(TOKEN);
  });

  it('a redirect from the Graph API is not followed', async () => {
    graph.respond({ status: 302, headers: { location: `${graph.url}/${VERSION}/${pnid}/elsewhere` } });
    const res = await sendText(key);
    expect(res.status).toBe(502);
    expect(res.body.error.error_data.details).toMatch(/redirect \(HTTP 302\), which is not followed/);
    await new Promise((r) => setTimeout(r, 100));
    expect(graph.requests).toHaveLength(1);
  });

  it('Meta cannot be connected to (connection refused) → 502', async () => {
    const port = await closedPort();
    const other = await startTestApp(kind, { env: metaEnv(`http://127.0.0.1:${port}`) });
    try {
      const { key: otherKey } = await metaTenant(other);
      const res = await other.post('/messages', { headers: otherKey, json: { messaging_product: 'whatsapp', to: TO, type: 'text', text: { body: 'x' } } });
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ code: 131000, error_data: { details: expect.stringMatching(/could not be reached \(ECONNREFUSED\)/) } });
      expect(await other.deps.db.kysely.selectFrom('messages').selectAll().execute()).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('mark as read is forwarded to Meta (all three forms) and our stored inbound rows are marked too', async () => {
    const now = new Date().toISOString();
    const inbound = await insertMessageRow(t.deps.db, { channel_id: a.channel_id, partner_id: a.partner_id, client_id: a.client_id, direction: 'inbound', created_at: now, id: 'wamid.inbound1' });
    const res = await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', status: 'read', message_id: inbound, typing_indicator: { type: 'text' } } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(graph.requests[0]!.path).toBe(`/${VERSION}/${pnid}/messages`);
    expect(graph.requests[0]!.json).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: inbound, typing_indicator: { type: 'text' } });
    expect((await t.deps.db.kysely.selectFrom('messages').select('read_at').where('id', '=', inbound).executeTakeFirstOrThrow()).read_at).not.toBeNull();

    // A message Meta knows and we have not stored (yet): Meta's answer decides.
    const put = await t.put('/messages/wamid.notStoredHere', { headers: key, json: { status: 'read' } });
    expect(put.status).toBe(200);
    const v1 = await t.put('/v1/messages/wamid.alsoNotHere', { headers: key, json: { status: 'read' } });
    expect(v1.status).toBe(200);
    expect(v1.body).toEqual({ meta: { api_status: 'stable', version: expect.any(String) } });
    expect(graph.requests.slice(1).map((r) => r.json)).toEqual([
      { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.notStoredHere' },
      { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.alsoNotHere' },
    ]);

    const metaBody = graphErrorBody(100, 'Invalid parameter', { details: 'Invalid message_id' });
    graph.respond({ status: 400, json: metaBody });
    const refused = await t.put('/messages/wamid.bogus', { headers: key, json: { status: 'read' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual(metaBody);
  });

  it('our own checks still answer first: validation 400, throughput 429; nothing reaches Meta', async () => {
    const bad = await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: TO, type: 'text', text: {} } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.error_data.details).toMatch(/text\.body/);
    const badTo = await t.post('/v1/messages', { headers: key, json: { to: 'abc', type: 'text', text: { body: 'x' } } });
    expect(badTo.status).toBe(400);
    expect(graph.requests).toHaveLength(0);

    const { p, key: slowKey } = await metaTenant(t);
    await t.deps.db.kysely.updateTable('channels').set({ throughput_mps: 1 }).where('id', '=', p.channel_id).execute();
    expect((await sendText(slowKey)).status).toBe(200);
    const limited = await sendText(slowKey);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe(130429);
    expect(graph.requests).toHaveLength(1);

    // Template messaging disabled on the channel is still ours to refuse.
    const { p: q, key: noTemplatesKey } = await metaTenant(t);
    await t.deps.db.kysely.updateTable('channels').set({ template_messaging: 0 }).where('id', '=', q.channel_id).execute();
    const tpl = await t.post('/messages', { headers: noTemplatesKey, json: { messaging_product: 'whatsapp', to: '4915100000001', type: 'template', template: { name: 'x', language: { code: 'en' } } } });
    expect(tpl.status).toBe(400);
    expect(tpl.body.error.code).toBe(131005);
    expect(graph.requests).toHaveLength(1);
  });

  it('a sandbox channel is unchanged: its own wamid, a status plan, its template store; nothing goes to Meta', async () => {
    const s = await t.tenant();
    const sKey = { 'd360-api-key': s.channel_api_key };
    const res = await sendText(sKey);
    expect(res.status).toBe(200);
    const row = await t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', res.body.messages[0].id).executeTakeFirstOrThrow();
    expect(row.status_plan).not.toBeNull();
    const tpl = await t.post('/messages', { headers: sKey, json: { messaging_product: 'whatsapp', to: TO, type: 'template', template: { name: 'made_at_meta', language: { code: 'en_US' } } } });
    expect(tpl.status).toBe(404);
    expect(tpl.body.error.code).toBe(132001);
    const read = await t.post('/messages', { headers: sKey, json: { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.unknown' } });
    expect(read.status).toBe(400);
    expect(graph.requests).toHaveLength(0);
  });
});
