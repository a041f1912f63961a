// The operator puts a channel on Meta's Cloud API and takes it back: PUT and DELETE
// /admin/channels/{channel_id}/meta. The access token is sealed, never answered, never logged.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, graphErrorBody } from '../helpers/fake-graph.ts';
import { pinFor, storePin } from '../../src/network/meta/embedded-signup.ts';

const KEY_HEX = 'a'.repeat(64);
const ADMIN = 'd'.repeat(32);
const admin = { authorization: `Bearer ${ADMIN}` };
const TOKEN = 'EAAGadminToken' + 'Q'.repeat(70);
const PNID = '106540352299901';
const WABA = '102290129399901';

describeEachDb('admin: channels on Meta', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let noKey: TestApp;

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SECRET_KEY: KEY_HEX, OPENWABA_META_GRAPH_URL: graph.url, OPENWABA_META_TIMEOUT: '500ms' } });
    noKey = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(async () => {
    await t?.close();
    await noKey?.close();
    await graph?.close();
  });
  beforeEach(() => graph.reset());

  const attach = (app: TestApp, channelId: string, body: Record<string, unknown>, headers: Record<string, string> = admin) => app.put(`/admin/channels/${channelId}/meta`, { headers, json: body });
  const creds = { phone_number_id: PNID, waba_id: WABA, access_token: TOKEN };

  it('POST …/meta/register registers an Embedded Signup number again with its kept PIN; 409 without one, 404 unknown, Meta refusing 400', async () => {
    const p = await t.tenant();
    expect((await attach(t, p.channel_id, { ...creds, phone_number_id: '106540352299977', verify: false })).status).toBe(200);
    const register = () => t.post(`/admin/channels/${p.channel_id}/meta/register`, { headers: admin });
    // Attached by the operator: the number's PIN is its owner's, not kept here.
    const none = await register();
    expect(none.status).toBe(409);
    expect(none.body.meta.developer_message).toContain('attached by the operator');
    expect(graph.requests).toHaveLength(0);

    const key = Buffer.from(KEY_HEX, 'hex');
    const pin = pinFor(key, '106540352299977');
    await storePin(t.deps, t.deps.db.kysely, p.channel_id, pin);
    const again = await register();
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: p.channel_id, network: 'meta' });
    expect(graph.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v23.0/106540352299977/register']);
    expect(graph.requests[0]!.json).toEqual({ messaging_product: 'whatsapp', pin });
    expect(graph.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(again.text).not.toContain(pin);

    const remove = graph.on((r) => (r.path.endsWith('/register') ? { status: 400, json: graphErrorBody(133005, 'Two step verification PIN Mismatch') } : undefined));
    const refused = await register();
    remove();
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('Two step verification PIN Mismatch');
    expect(refused.text).not.toContain(pin);
    expect((await t.post('/admin/channels/nope/meta/register', { headers: admin })).status).toBe(404);
    expect((await t.post(`/admin/channels/${p.channel_id}/meta/register`)).status).toBe(401);
  });

  it('PUT puts the channel on Meta (200 with the channel, no token); sends then go to Meta with it; DELETE returns it to the sandbox', async () => {
    const p = await t.tenant();
    const res = await attach(t, p.channel_id, creds);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: p.channel_id, partner_id: p.partner_id, client_id: p.client_id, network: 'meta', account_mode: 'live', external_id: PNID });
    expect(res.text).not.toContain(TOKEN);
    // Meta was asked about the number with these credentials (the channel took what it said), and
    // the app was subscribed to the WABA's webhooks.
    expect(graph.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`)).toEqual([
      `GET /v23.0/${PNID}?fields=display_phone_number%2Cverified_name%2Cquality_rating%2Cmessaging_limit_tier Bearer ${TOKEN}`,
      `GET /v23.0/${WABA}/phone_numbers?fields=id&limit=100 Bearer ${TOKEN}`,
      `POST /v23.0/${WABA}/subscribed_apps Bearer ${TOKEN}`,
    ]);
    expect(res.body).toMatchObject({ current_limit: 'TIER_10K', current_quality_rating: 'GREEN', setup_info: { phone_number: `1555010${PNID.slice(-4)}`, phone_name: 'Fake Graph Business' } });
    graph.reset();
    // The same channel object the Partner API shows.
    const listed = await t.get(`/api/v2/partners/${p.partner_id}/channels`, { headers: partnerKey(p.partner_api_key) });
    expect(listed.body.partner_channels.find((c: { id: string }) => c.id === p.channel_id)).toEqual(res.body);

    const sent = await t.post('/messages', { headers: { 'd360-api-key': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: '4915123456789', type: 'text', text: { body: 'hi' } } });
    expect(sent.status).toBe(200);
    expect(graph.requests).toHaveLength(1);
    expect(graph.requests[0]!.path).toBe(`/v23.0/${PNID}/messages`);
    expect(graph.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);

    // New credentials replace the old ones.
    const replaced = await attach(t, p.channel_id, { ...creds, access_token: TOKEN + 'R' });
    expect(replaced.status).toBe(200);

    const back = await t.delete(`/admin/channels/${p.channel_id}/meta`, { headers: admin });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ id: p.channel_id, network: 'sandbox', account_mode: 'sandbox' });
    expect(back.body.external_id).not.toBe(PNID);
    const again = await t.delete(`/admin/channels/${p.channel_id}/meta`, { headers: admin });
    expect(again.status).toBe(404);
    expect(again.body.meta).toMatchObject({ success: false, http_code: 404, developer_message: expect.stringMatching(/not on Meta/) });
    // Back in the sandbox: nothing goes to Meta.
    graph.reset();
    expect((await t.post('/messages', { headers: { 'd360-api-key': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: '4915123456789', type: 'text', text: { body: 'hi' } } })).status).toBe(200);
    expect(graph.requests).toHaveLength(0);
  });

  it("Meta's refusal of the number or token is a 400 with Meta's reason, Meta unreachable a 502; nothing is attached; verify false attaches without asking", async () => {
    const p = await t.tenant();
    graph.respond({ status: 400, json: graphErrorBody(100, "Unsupported get request. Object with ID '106540352299999' does not exist, cannot be loaded due to missing permissions", { subcode: 33, type: 'GraphMethodException' }) });
    const refused = await attach(t, p.channel_id, creds);
    expect(refused.status).toBe(400);
    expect(refused.body.meta.developer_message).toMatch(/^Meta refused these credentials for phone_number_id \d+: .*does not exist/);
    // The number is fine but the app may not be subscribed to the WABA: refused too.
    const numberOk = { status: 200, json: { id: PNID, display_phone_number: '+1 555 0100', verified_name: 'X', quality_rating: 'GREEN', messaging_limit_tier: 'TIER_1K' } };
    const numbersOk = { status: 200, json: { data: [{ id: PNID }], paging: { cursors: { before: 'A', after: 'B' } } } };
    graph.respond(numberOk, numbersOk, { status: 403, json: graphErrorBody(200, 'Permissions error', { type: 'OAuthException' }) });
    const unsubscribed = await attach(t, p.channel_id, creds);
    expect(unsubscribed.status).toBe(400);
    expect(unsubscribed.body.meta.developer_message).toMatch(/refused to send WABA \d+'s webhooks to this app/);
    graph.respond({ hang: true });
    const slow = await attach(t, p.channel_id, creds);
    expect(slow.status).toBe(502);
    expect(slow.body.meta.developer_message).toMatch(/Meta could not be asked/);
    expect(await t.deps.db.kysely.selectFrom('meta_channels').select('channel_id').where('channel_id', '=', p.channel_id).execute()).toEqual([]);
    graph.reset();
    const blind = await attach(t, p.channel_id, { ...creds, verify: false });
    expect(blind.status).toBe(200);
    expect(blind.body).toMatchObject({ network: 'meta', setup_info: { phone_number: p.phone_number } });
    expect(graph.requests).toHaveLength(0);
    expect((await t.delete(`/admin/channels/${p.channel_id}/meta`, { headers: admin })).status).toBe(200);
  });

  it('401 without the admin token, with a wrong one or a partner key; before the body is looked at', async () => {
    const p = await t.tenant();
    for (const headers of [{}, { authorization: `Bearer ${'e'.repeat(32)}` }, partnerKey(p.partner_api_key)] as Record<string, string>[]) {
      const put = await attach(t, p.channel_id, creds, headers);
      expect(put.status, JSON.stringify(headers)).toBe(401);
      expect(put.body.meta).toMatchObject({ success: false, http_code: 401 });
      expect((await t.delete(`/admin/channels/${p.channel_id}/meta`, { headers })).status).toBe(401);
    }
    expect((await attach(t, p.channel_id, { nonsense: 1 }, {})).status).toBe(401);
    const row = await t.deps.db.kysely.selectFrom('channels').select('network').where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    expect(row.network).toBe('sandbox');
  });

  it('404 for an unknown channel; 400 for bad ids, a bad token, missing or unknown fields; 409 for a number already attached elsewhere', async () => {
    expect((await attach(t, 'no-such-channel', creds)).status).toBe(404);
    expect((await t.delete('/admin/channels/no-such-channel/meta', { headers: admin })).status).toBe(404);
    const p = await t.tenant();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...creds, phone_number_id: 'abc' }, /phone_number_id/],
      [{ ...creds, phone_number_id: '12' }, /phone_number_id/],
      [{ ...creds, waba_id: '12ab45678' }, /waba_id/],
      [{ ...creds, access_token: 'short' }, /access_token/],
      [{ ...creds, access_token: 'has a space in it, which no token has' }, /access_token/],
      [{ phone_number_id: PNID, waba_id: WABA }, /access_token/],
      [{ ...creds, extra: 1 }, /extra/],
    ];
    for (const [body, field] of bad) {
      const res = await attach(t, p.channel_id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.meta.developer_message).toMatch(field);
    }
    const q = await t.tenant();
    expect((await attach(t, q.channel_id, { ...creds, phone_number_id: '106540352299902' })).status).toBe(200);
    const taken = await attach(t, p.channel_id, { ...creds, phone_number_id: '106540352299902' });
    expect(taken.status).toBe(409);
    expect(taken.body.meta.developer_message).toMatch(/already attached/);
  });

  it('409 without OPENWABA_SECRET_KEY: nothing is stored', async () => {
    const p = await noKey.tenant();
    const res = await attach(noKey, p.channel_id, creds);
    expect(res.status).toBe(409);
    expect(res.body.meta.developer_message).toMatch(/OPENWABA_SECRET_KEY/);
    expect(await noKey.deps.db.kysely.selectFrom('meta_channels').selectAll().execute()).toEqual([]);
    expect(res.text).not.toContain(TOKEN);
  });

  it('the token appears in no answer and no log line, whether the PUT is taken or refused', async () => {
    const p = await t.tenant();
    const token = 'EAAGloggedNowhere' + 'L'.repeat(50);
    const ok = await attach(t, p.channel_id, { ...creds, phone_number_id: '106540352299903', access_token: token });
    expect(ok.status).toBe(200);
    expect(ok.text).not.toContain(token);
    const refused = await attach(t, p.channel_id, { ...creds, waba_id: 'not-an-id', access_token: token });
    expect(refused.status).toBe(400);
    expect(refused.text).not.toContain(token);
    expect(t.logs.some((l) => l.includes(`/admin/channels/${p.channel_id}/meta`))).toBe(true);
    for (const logs of [t.logs, noKey.logs]) {
      const all = logs.join('\n');
      expect(all).not.toContain(token);
      expect(all).not.toContain(TOKEN);
    }
  });

  it('the routes are documented under Admin, the token write-only', async () => {
    const doc = await t.get('/openapi.json');
    const put = doc.body.paths['/admin/channels/{channel_id}/meta'].put;
    expect(put.tags).toEqual(['Admin']);
    expect(put.security).toEqual([{ AdminToken: [] }]);
    const schema = put.requestBody.content['application/json'].schema;
    expect(schema.properties.access_token.writeOnly).toBe(true);
    expect(doc.body.paths['/admin/channels/{channel_id}/meta'].delete.tags).toEqual(['Admin']);
  });
});
