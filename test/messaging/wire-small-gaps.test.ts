// Small wire gaps unmodified clients hit (gap analysis items 5, 7, 8, 10):
// - inbound media webhooks (Cloud) carry `url`, the download URL GET /{media_id} answers;
//   On-Premise webhooks stay without it;
// - a Cloud send of a template answers messages[0].message_status "accepted" (On-Premise unchanged);
// - GET /{waba-id} answers currency, country, ownership_type and primary_funding_id; GET /me the
//   key's system user {id, name}, the id GET /debug_token names;
// - duplicate slashes in the path (a base URL with a trailing slash) reach the same route, and an
//   unknown route answers 404 in its API's own error body.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request as undiciRequest } from 'undici';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';
import { mergeDuplicateSlashes } from '../../src/http/duplicate-slashes.ts';
import { download, sha256, uploadOnPrem, uploadSample } from './media-fixtures.ts';

const USER = '4917600000501';
const helloWorld = (to: string) => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });

it('mergeDuplicateSlashes merges runs of slashes in the path only', () => {
  expect(mergeDuplicateSlashes('//messages')).toBe('/messages');
  expect(mergeDuplicateSlashes('//v21.0//123///messages/?a=b//c')).toBe('/v21.0/123/messages/?a=b//c');
  expect(mergeDuplicateSlashes('/messages?next=http://x')).toBe('/messages?next=http://x');
  expect(mergeDuplicateSlashes('/a%2F%2Fb')).toBe('/a%2F%2Fb');
  expect(mergeDuplicateSlashes('*')).toBe('*');
});

describeEachDb('small wire gaps', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let pnid: string;
  let wabaId: string;
  let onprem: { key: string };
  const key = () => channelKey(p.channel_api_key);
  /** The delivered webhook body holding a message of that id (Cloud or On-Premise shape). */
  const delivered = (id: string) =>
    receiver.waitForBody(`message ${id}`, (bodies) => {
      for (const b of bodies) {
        const messages = b.entry?.[0]?.changes?.[0]?.value?.messages ?? b.messages;
        const m = messages?.find((x: { id: string }) => x.id === id);
        if (m) return m;
      }
      return undefined;
    });
  /** A request to a path as written (new URL(path, base) would read `//x` as a host). */
  const raw = async (method: string, path: string, headers: Record<string, string>, json?: unknown) => {
    const res = await undiciRequest(t.baseUrl + path, {
      method: method as 'GET',
      headers: { ...headers, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: json !== undefined ? JSON.stringify(json) : undefined,
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined, text };
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true });
    p = await t.tenant({ phoneNumber: '4930111100501' });
    const ch = await t.deps.db.kysely
      .selectFrom('channels')
      .innerJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
      .select(['channels.external_id', 'waba_accounts.external_id as waba'])
      .where('channels.id', '=', p.channel_id)
      .executeTakeFirstOrThrow();
    pnid = ch.external_id;
    wabaId = ch.waba;
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/cloud` } })).status).toBe(200);
    const op = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, phoneNumber: '4930555000501', phoneName: 'On-Prem line', wabaAccountId: p.waba_account_id, hostingType: 'onpremise' });
    onprem = { key: (await createChannelApiKey(t.deps, op)).api_key };
    expect((await t.post('/v1/configs/webhook', { headers: channelKey(onprem.key), json: { url: `${receiver.url}/onprem` } })).status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('an inbound media webhook (Cloud) carries url: a download URL that works with the key and is the one GET /{media_id} gives', async () => {
    const cases: [string, string][] = [
      ['image', 'chart.png'],
      ['video', 'clip.mp4'],
      ['audio', 'voice.ogg'],
      ['document', 'invoice.pdf'],
      ['sticker', 'static.webp'],
    ];
    for (const [type, name] of cases) {
      const { id, sample } = await uploadSample(t, p.channel_api_key, name);
      const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: USER, name: 'Ida', type, [type]: { id } } });
      expect(res.status, res.text).toBe(200);
      const m = await delivered(res.body.messages[0].id);
      const media = m[type];
      expect(media, type).toMatchObject({ id, mime_type: sample.mime, sha256: sha256(sample.data), url: expect.any(String) });
      const url = new URL(media.url);
      expect(`${url.origin}${url.pathname}`).toBe(`${t.baseUrl}/whatsapp_business/attachments/`);
      expect(url.searchParams.get('mid')).toBe(id);
      // Valid for the webhook retry horizon (7 days), not GET /{media_id}'s five minutes.
      const ext = Number(url.searchParams.get('ext'));
      expect(ext * 1000 - Date.now()).toBeGreaterThan(6 * 24 * 3600 * 1000);
      // The same URL form as GET /{media_id}'s; it needs the channel's key, as Meta's needs the token.
      const info = await t.get(`/${id}`, { headers: key() });
      expect(info.status).toBe(200);
      expect(new URL(info.body.url).pathname).toBe(url.pathname);
      const got = await download(t, media.url, p.channel_api_key);
      expect(got.status).toBe(200);
      expect(got.body.equals(sample.data)).toBe(true);
      expect((await download(t, media.url)).status).toBe(401);
    }
    // The stored message keeps the media object as it came (the URL is the webhook's only).
    const stored = await t.deps.db.kysely.selectFrom('messages').select('content').where('channel_id', '=', p.channel_id).where('direction', '=', 'inbound').execute();
    expect(stored.length).toBeGreaterThan(0);
    for (const r of stored) expect(String(r.content)).not.toContain('attachments');
  });

  it('a text inbound webhook is unchanged, and an On-Premise media webhook has no url', async () => {
    const text = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: USER, type: 'text', text: { body: 'hi' } } });
    expect(text.status).toBe(200);
    expect(await delivered(text.body.messages[0].id)).toMatchObject({ type: 'text', text: { body: 'hi' } });
    const up = await uploadOnPrem(t, onprem.key, Buffer.from('\x89PNG\r\n\x1a\n' + 'x'.repeat(500), 'latin1'), 'image/png');
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    const mediaId = up.body.media[0].id as string;
    const res = await t.post('/sandbox/v1/inbound', { headers: channelKey(onprem.key), json: { from: USER, type: 'image', image: { id: mediaId } } });
    expect(res.status, res.text).toBe(200);
    const m = await delivered(res.body.messages[0].id);
    expect(m.image.id).toBe(mediaId);
    expect(m.image).not.toHaveProperty('url');
  });

  it('a Cloud template send answers message_status "accepted"; other Cloud sends and On-Premise sends do not', async () => {
    for (const path of ['/messages', `/v21.0/${pnid}/messages`]) {
      const res = await t.post(path, { headers: key(), json: helloWorld(USER) });
      expect(res.status, res.text).toBe(200);
      expect(res.body.messages).toEqual([{ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' }]);
    }
    const bearerSend = await t.post(`/v21.0/${pnid}/messages`, { headers: bearer(p.channel_api_key), json: helloWorld(USER) });
    expect(bearerSend.body.messages[0].message_status).toBe('accepted');
    // USER wrote above: the window is open for a text.
    const text = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'hello' } } });
    expect(text.status, text.text).toBe(200);
    expect(text.body.messages[0]).not.toHaveProperty('message_status');
    const { namespace } = await t.deps.db.kysely.selectFrom('waba_accounts').select('namespace').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow();
    const v1 = await t.post('/v1/messages', { headers: channelKey(onprem.key), json: { to: USER, type: 'template', template: { namespace, name: 'hello_world', language: { policy: 'deterministic', code: 'en_US' } } } });
    expect(v1.status, v1.text).toBe(201);
    expect(v1.body.messages).toEqual([{ id: expect.any(String) }]);
  });

  it('GET /{waba-id} answers currency, country, ownership_type and primary_funding_id; the default fields stay as they were', async () => {
    const fields = 'id,name,currency,country,primary_funding_id,purchase_order_number,ownership_type,timezone_id,message_template_namespace,account_review_status,on_behalf_of_business_info';
    const res = await t.get(`/v21.0/${wabaId}?fields=${fields}`, { headers: bearer(p.channel_api_key) });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: wabaId, currency: 'USD', country: 'DE', primary_funding_id: expect.stringMatching(/^\d{15}$/) });
    // ON_BEHALF_OF exactly when the WABA has an on-behalf-of business (the bootstrap's has one).
    expect(res.body.ownership_type).toBe(res.body.on_behalf_of_business_info ? 'ON_BEHALF_OF' : 'CLIENT_OWNED');
    await t.deps.db.kysely.updateTable('waba_accounts').set({ obo_business_id: null }).where('id', '=', p.waba_account_id).execute();
    const owned = await t.get(`/v21.0/${wabaId}?fields=ownership_type`, { headers: bearer(p.channel_api_key) });
    expect(owned.body).toEqual({ id: wabaId, ownership_type: 'CLIENT_OWNED' });
    expect(res.body.timezone_id).toEqual(expect.any(String));
    expect(res.body.message_template_namespace).toEqual(expect.any(String));
    // Graph leaves out a purchase order number none was supplied for.
    expect(res.body).not.toHaveProperty('purchase_order_number');
    // Stable across requests.
    const again = await t.get(`/v21.0/${wabaId}?fields=primary_funding_id`, { headers: bearer(p.channel_api_key) });
    expect(again.body.primary_funding_id).toBe(res.body.primary_funding_id);
    const plain = await t.get(`/v21.0/${wabaId}`, { headers: bearer(p.channel_api_key) });
    expect(Object.keys(plain.body).sort()).toEqual(['id', 'message_template_namespace', 'name', 'timezone_id']);
    // A name Meta's node does not have is still Graph's 400.
    const bad = await t.get(`/v21.0/${wabaId}?fields=id,currencyy`, { headers: bearer(p.channel_api_key) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('nonexisting field (currencyy)');
  });

  it("GET /me: the key's system user {id, name}, with the user_id GET /debug_token names", async () => {
    const debug = await t.get(`/v21.0/debug_token?input_token=${p.channel_api_key}`, { headers: bearer(p.channel_api_key) });
    expect(debug.status, debug.text).toBe(200);
    const userId = debug.body.data.user_id as string;
    for (const [path, headers] of [
      ['/v21.0/me', bearer(p.channel_api_key)],
      ['/me', channelKey(p.channel_api_key)],
      ['/me', bearer(p.channel_api_key)],
      [`/v21.0/me?access_token=${p.channel_api_key}`, {}],
      ['/v21.0/me?fields=id,name', bearer(p.channel_api_key)],
    ] as const) {
      const res = await t.get(path, { headers });
      expect(res.status, `${path}: ${res.text}`).toBe(200);
      expect(res.body).toEqual({ id: userId, name: 'openwaba system user' });
    }
    expect((await t.get('/v21.0/me?fields=id', { headers: bearer(p.channel_api_key) })).body).toEqual({ id: userId });
    // Other User fields have nothing behind them: left out, the answer still a 200.
    expect((await t.get('/v21.0/me?fields=id,name,email', { headers: bearer(p.channel_api_key) })).body).toEqual({ id: userId, name: 'openwaba system user' });
    // Another client's key is another system user.
    const other = await t.tenant();
    const theirs = await t.get('/v21.0/me', { headers: bearer(other.channel_api_key) });
    expect(theirs.body.id).not.toBe(userId);
    // A bad token: Graph's 401, code 190.
    const bad = await t.get('/v21.0/me', { headers: bearer('nope') });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe(190);
    const badRoot = await t.get('/me', { headers: channelKey('nope') });
    expect(badRoot.status).toBe(401);
  });

  it('duplicate slashes in the path reach the same route', async () => {
    const a = await raw('POST', '//messages', key(), helloWorld(USER));
    expect(a.status, a.text).toBe(200);
    expect(a.body.messages[0].message_status).toBe('accepted');
    const b = await raw('POST', `//v21.0/${pnid}/messages`, bearer(p.channel_api_key), helloWorld(USER));
    expect(b.status, b.text).toBe(200);
    const c = await raw('POST', `/v21.0//${pnid}//messages/`, bearer(p.channel_api_key), helloWorld(USER));
    expect(c.status, c.text).toBe(200);
    const health = await raw('GET', '//v1/health', channelKey(onprem.key));
    expect(health.status, health.text).toBe(200);
    const tpl = await raw('GET', `//v21.0/${wabaId}/message_templates?limit=1`, bearer(p.channel_api_key));
    expect(tpl.status, tpl.text).toBe(200);
    expect(tpl.body.data).toHaveLength(1);
    const partner = await raw('GET', `//api/v2/partners/${p.partner_id}/channels`, partnerKey(p.partner_api_key));
    expect(partner.status, partner.text).toBe(200);
  });

  it('an unknown route answers 404 in its API’s own error body, double slashes or not', async () => {
    for (const path of ['/v1/no_such_thing', '//v1/no_such_thing']) {
      const res = await raw('GET', path, channelKey(onprem.key));
      expect(res.status, path).toBe(404);
      expect(res.body, path).toMatchObject({ errors: [{ code: expect.any(Number), title: expect.any(String) }], meta: { api_status: 'stable' } });
    }
    // Under a Cloud prefix, or a Graph path. (A multi-segment path under no API's prefix, /a/b, is
    // no API's: its 404 stays the plain {"error":…} of the app's other paths, as before.)
    for (const path of ['/message_templates/1/no/such', '//message_templates/1/no/such', '/sandbox/v1/no_such_thing', `/v21.0/${pnid}/no_such_edge`, `//v21.0/${pnid}/no_such_edge`]) {
      const res = await raw('GET', path, key());
      expect(res.status, path).toBe(404);
      expect(res.body, path).toMatchObject({ error: { message: expect.any(String), code: expect.any(Number) } });
    }
    for (const path of [`/api/v2/partners/${p.partner_id}/no_such_thing`, `//api/v2/partners/${p.partner_id}/no_such_thing`]) {
      const res = await raw('GET', path, partnerKey(p.partner_api_key));
      expect(res.status, path).toBe(404);
      expect(res.body, path).toMatchObject({ meta: { success: false, http_code: 404 } });
    }
  });
});
