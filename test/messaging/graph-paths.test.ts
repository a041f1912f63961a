// Meta's Graph paths (/{version}/{phone-number-id}/messages, …) served as the root paths they
// stand for (src/messaging/graph-paths.ts), so that a client written for Meta's Cloud API works
// with only its base URL changed and a channel's key as its access token.
//
// The first part runs the npm library whatsapp-api-js 5.3.0 with nothing changed but the origin
// (https://graph.facebook.com → openwaba): its version, its phone number id in the path and its
// `Authorization: Bearer` header go out as it builds them. The rest are the rules, request by
// request: whose ids a Graph path may name, Graph's error bodies there, and the root and
// On-Premise paths as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppAPI } from 'whatsapp-api-js';
import { Template, Text } from 'whatsapp-api-js/messages';
import { graphToRoot } from '../../src/messaging/graph-paths.ts';
import { messagingFlavourOfPath } from '../../src/messaging/errors.ts';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, type TestApp } from '../helpers/app.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256 } from './media-fixtures.ts';
import { cloudMediaCases, contentTypeCases, Prng, randomJsonCases, structuralCases, type HostileCase } from './hostile-bodies.ts';
import { request as undiciRequest } from 'undici';

/** The only change a user makes: Meta's origin becomes openwaba's. Paths, query and headers stay. */
function toOpenwaba(openwaba: string): typeof fetch {
  return (input, init) => {
    const url = (input instanceof Request ? input.url : String(input)).replace(/^https:\/\/graph\.facebook\.com/, openwaba);
    return fetch(url, init);
  };
}

function parsed<T extends object>(r: T | Response): T {
  if (r instanceof Response) throw new Error('whatsapp-api-js returned a raw Response although parsed is on');
  return r;
}

const WAMID = /^wamid\.[\w=+/-]+$/;
const USER = '4917612340001';

describe('graphToRoot', () => {
  it('maps the Graph paths to the root paths, keeps the query, and leaves every other path alone', () => {
    expect(graphToRoot('/v21.0/106540352242922/messages')).toEqual({ url: '/messages', graph: { node: '106540352242922', owner: 'phone' } });
    expect(graphToRoot('/v19.0/106540352242922/media?messaging_product=whatsapp')?.url).toBe('/media?messaging_product=whatsapp');
    expect(graphToRoot('/v22.0/102290129340398/message_templates?name=x')).toEqual({ url: '/message_templates?name=x', graph: { node: '102290129340398', owner: 'waba' } });
    expect(graphToRoot('/v22.0/1234567890?phone_number_id=1')).toEqual({ url: '/1234567890?phone_number_id=1', graph: { node: '1234567890', owner: 'none' } });
    expect(graphToRoot('/v22.0/594425479261596', 'POST')).toEqual({ url: '/message_templates/594425479261596', graph: { node: '594425479261596', owner: 'none' } });
    expect(graphToRoot('/106540352242922/whatsapp_business_profile')?.url).toBe('/whatsapp_business_profile');
    expect(graphToRoot('/v21.0/102290129340398/phone_numbers?fields=id')).toEqual({ url: '/phone_numbers?fields=id', graph: { node: '102290129340398', owner: 'waba' } });
    expect(graphToRoot('/v21.0/106540352242922/messages/')?.url).toBe('/messages');
    // Not Graph paths: On-Premise (/v1/ has no minor version), the root, a media id, our own paths.
    for (const path of ['/v1/messages', '/messages', '/messages/wamid.x', '/1234567890', '/sandbox/v1/inbound', '/api/v2/partners', '/v2/x', '/vx.0/1/messages', '/abc/messages'])
      expect(graphToRoot(path), path).toBeUndefined();
  });

  it('puts errors raised before routing on a Graph path in the Cloud body', () => {
    expect(messagingFlavourOfPath('/v21.0/106540352242922/messages')).toBe('cloud');
    expect(messagingFlavourOfPath('/v1/messages')).toBe('onpremise');
  });
});

describeEachDb("Graph paths: Meta's Cloud API paths and bearer token", (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let wa: WhatsAppAPI;
  let phoneID: string;
  let wabaID: string;
  let otherPhoneID: string;

  const phoneOf = async (channelId: string) =>
    (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', channelId).executeTakeFirstOrThrow()).external_id;
  const count = async (channelId: string) =>
    Number((await t.deps.db.kysely.selectFrom('messages').select((e) => e.fn.countAll().as('n')).where('channel_id', '=', channelId).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await startReplayApp(kind);
    p = await t.tenant();
    other = await t.tenant();
    phoneID = await phoneOf(p.channel_id);
    otherPhoneID = await phoneOf(other.channel_id);
    wabaID = (
      await t.deps.db.kysely
        .selectFrom('channels')
        .innerJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
        .select('waba_accounts.external_id')
        .where('channels.id', '=', p.channel_id)
        .executeTakeFirstOrThrow()
    ).external_id;
    wa = new WhatsAppAPI({ token: p.channel_api_key, v: 'v22.0', secure: false, ponyfill: { fetch: toOpenwaba(t.baseUrl) } });
    const hi = await t.post('/sandbox/v1/inbound', { headers: channelKey(p.channel_api_key), json: { from: USER, name: 'Jane', type: 'text', text: { body: 'hi' } } });
    expect(hi.status, hi.text).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('whatsapp-api-js, only its origin changed: text and template sends, mark as read, media upload → retrieve → fetch → delete', async () => {
    const text = parsed(await wa.sendMessage(phoneID, USER, new Text('Hello from a Graph client')));
    if (text.error) throw new Error(JSON.stringify(text.error));
    expect(text).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: USER, wa_id: USER }], messages: [{ id: expect.stringMatching(WAMID) }] });
    const row = await t.deps.db.kysely.selectFrom('messages').select(['channel_id', 'type']).where('id', '=', text.messages[0].id).executeTakeFirstOrThrow();
    expect(row).toEqual({ channel_id: p.channel_id, type: 'text' });

    const tpl = parsed(await wa.sendMessage(phoneID, '4917612340077', new Template('hello_world', 'en_US')));
    if (tpl.error) throw new Error(JSON.stringify(tpl.error));
    expect(tpl.messages[0].id).toMatch(WAMID);

    const inbound = await t.post('/sandbox/v1/inbound', { headers: channelKey(p.channel_api_key), json: { from: USER, name: 'Jane', type: 'text', text: { body: 'again' } } });
    expect(parsed(await wa.markAsRead(phoneID, inbound.body.messages[0].id as string))).toEqual({ success: true });

    const sample = SAMPLES.find((s) => s.name === 'photo.jpg')!;
    const form = new FormData();
    form.set('file', new Blob([sample.data], { type: sample.mime }), sample.name);
    const up = parsed(await wa.uploadMedia(phoneID, form));
    if (up.error) throw new Error(JSON.stringify(up.error));
    const info = parsed(await wa.retrieveMedia(up.id, phoneID));
    if (info.error) throw new Error(JSON.stringify(info.error));
    expect(info).toMatchObject({ messaging_product: 'whatsapp', id: up.id, mime_type: 'image/jpeg', sha256: sha256(sample.data) });
    // The download URL is openwaba's; the library sends its bearer token there, and that is the key.
    const file = await wa.fetchMedia(info.url);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(sample.data)).toBe(true);
    expect(parsed(await wa.deleteMedia(up.id, phoneID))).toEqual({ success: true });
    const gone = parsed(await wa.retrieveMedia(up.id));
    expect(gone.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
  });

  it("another channel's phone number id answers as Graph does for an object the token cannot see, and nothing is sent", async () => {
    const before = await count(p.channel_id);
    const body = { messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'not mine' } };
    for (const node of [otherPhoneID, other.channel_id, '999999999999999', wabaID]) {
      const res = await t.post(`/v21.0/${node}/messages`, { headers: bearer(p.channel_api_key), json: body });
      expect(res.status, res.text).toBe(400);
      expect(res.body).toEqual({
        error: {
          message: `Unsupported post request. Object with ID '${node}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
          type: 'GraphMethodException',
          code: 100,
          error_subcode: 33,
          fbtrace_id: expect.any(String),
        },
      });
    }
    expect(await count(p.channel_id)).toBe(before);
    expect(await count(other.channel_id)).toBe(0);

    // Its own ids: the phone number id (Meta's) and the channel id (openwaba's), with or without a version.
    for (const path of [`/v21.0/${phoneID}/messages`, `/v21.0/${p.channel_id}/messages`, `/${phoneID}/messages`]) {
      const res = await t.post(path, { headers: bearer(p.channel_api_key), json: body });
      expect(res.status, `${path}: ${res.text}`).toBe(200);
    }
    expect(await count(p.channel_id)).toBe(before + 3);
  });

  it("a missing or unknown token is Graph's OAuthException 190; a cancelled channel's key is refused in Graph's body", async () => {
    const body = { messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'x' } };
    for (const headers of [{}, bearer('wrong-key'), { authorization: 'Basic abc' }, channelKey('wrong-key')]) {
      const res = await t.post(`/v21.0/${phoneID}/messages`, { headers, json: body });
      expect(res.status, res.text).toBe(401);
      expect(res.body).toEqual({ error: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190, fbtrace_id: expect.any(String) } });
    }
    // The root paths keep 360dialog's body for the same key errors.
    const root = await t.post('/messages', { headers: bearer('wrong-key'), json: body });
    expect(root.status).toBe(401);
    expect(root.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });

    const gone = await t.tenant();
    const gonePhone = await phoneOf(gone.channel_id);
    await t.deps.db.kysely.updateTable('channels').set({ status: 'terminated', terminated_at: new Date().toISOString() }).where('id', '=', gone.channel_id).execute();
    const blocked = await t.post(`/v21.0/${gonePhone}/messages`, { headers: bearer(gone.channel_api_key), json: body });
    expect(blocked.status, blocked.text).toBe(403);
    expect(blocked.body).toEqual({ error: { message: '(#10) The endpoint is blocked', type: 'OAuthException', code: 10, fbtrace_id: expect.any(String) } });
  });

  it('D360-API-KEY is taken on Graph paths too, and comes before a bearer token', async () => {
    const body = { messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'both headers' } };
    const res = await t.post(`/v21.0/${phoneID}/messages`, { headers: { ...channelKey(p.channel_api_key), ...bearer('wrong-key') }, json: body });
    expect(res.status, res.text).toBe(200);
    // A bearer token on the root path, as the same clients send it there.
    const root = await t.post('/messages', { headers: bearer(p.channel_api_key), json: body });
    expect(root.status, root.text).toBe(200);
    // The request log shows the path as the client sent it, and never the token.
    await waitUntil('the Graph path logged', async () => t.logs.some((l) => l.includes(`"url":"/v21.0/${phoneID}/messages"`)));
    expect(t.logs.join('\n')).not.toContain(p.channel_api_key);
  });

  it('message_templates on the WABA id (Meta\'s or openwaba\'s): create, list, delete; a phone number id there is refused', async () => {
    const auth = bearer(p.channel_api_key);
    const created = await t.post(`/v21.0/${wabaID}/message_templates`, {
      headers: auth,
      json: { name: 'graph_order_status', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Order {{1}} is on its way', example: { body_text: [['#1']] } }] },
    });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toMatchObject({ id: expect.any(String), category: 'UTILITY' });
    await waitUntil('graph_order_status approved', async () => {
      const res = await t.get(`/v21.0/${wabaID}/message_templates`, { headers: auth, query: { name: 'graph_order_status' } });
      return res.body.data?.[0]?.status === 'APPROVED';
    });
    const waba = await t.deps.db.kysely.selectFrom('channels').select('waba_account_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    const byOwnId = await t.get(`/v21.0/${waba.waba_account_id}/message_templates`, { headers: auth, query: { name: 'graph_order_status' } });
    expect(byOwnId.status, byOwnId.text).toBe(200);
    expect(byOwnId.body.data[0]).toMatchObject({ name: 'graph_order_status', id: created.body.id });

    const onPhone = await t.get(`/v21.0/${phoneID}/message_templates`, { headers: auth });
    expect(onPhone.status, onPhone.text).toBe(400);
    expect(onPhone.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
    expect(onPhone.body.error.message).toContain(`Unsupported get request. Object with ID '${phoneID}'`);

    const del = await t.delete(`/v21.0/${wabaID}/message_templates`, { headers: auth, query: { name: 'graph_order_status' } });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ success: true });
  });

  it("POST /{version}/{template-id}: Meta's template edit (root /message_templates/{id}); another WABA's template is not there", async () => {
    const auth = bearer(p.channel_api_key);
    const created = await t.post(`/v21.0/${wabaID}/message_templates`, {
      headers: auth,
      json: { name: 'graph_edit_me', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your code is ready' }] },
    });
    expect(created.status, created.text).toBe(200);
    const id = created.body.id as string;
    const stored = async () => (await t.deps.db.kysely.selectFrom('templates').select(['status', 'components']).where('id', '=', id).executeTakeFirstOrThrow());
    await waitUntil('graph_edit_me approved', async () => (await stored()).status === 'APPROVED');

    const edit = await t.post(`/v21.0/${id}`, { headers: auth, json: { components: [{ type: 'BODY', text: 'Your order is ready' }] } });
    expect(edit.status, edit.text).toBe(200);
    expect(edit.body).toEqual({ success: true });
    const after = await stored();
    expect(after.status).toBe('PENDING');
    expect(JSON.parse(after.components)).toEqual([{ type: 'BODY', text: 'Your order is ready' }]);
    await waitUntil('graph_edit_me approved again', async () => (await stored()).status === 'APPROVED');
    const root = await t.post(`/message_templates/${id}`, { headers: channelKey(p.channel_api_key), json: { components: [{ type: 'BODY', text: 'Your parcel is ready' }] } });
    expect(root.status, root.text).toBe(200);

    for (const [headers, node] of [[bearer(other.channel_api_key), id], [auth, '999999999999'], [auth, 'abc']] as const) {
      const res = await t.post(node === 'abc' ? '/message_templates/abc' : `/v21.0/${node}`, { headers, json: { components: [{ type: 'BODY', text: 'x' }] } });
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
      expect(res.body.error.message).toContain(`Unsupported post request. Object with ID '${node}'`);
    }
  });

  it('the business profile on the phone number id', async () => {
    const auth = bearer(p.channel_api_key);
    const set = await t.post(`/v21.0/${phoneID}/whatsapp_business_profile`, { headers: auth, json: { messaging_product: 'whatsapp', about: 'Open 9 to 5' } });
    expect(set.status, set.text).toBe(200);
    const got = await t.get(`/v21.0/${phoneID}/whatsapp_business_profile`, { headers: auth, query: { fields: 'about' } });
    expect(got.status, got.text).toBe(200);
    expect(got.body.data[0]).toMatchObject({ about: 'Open 9 to 5', messaging_product: 'whatsapp' });
  });

  it("an edge openwaba does not serve is a 404 in Graph's body naming the path as sent; errors of the routes come in Graph's body", async () => {
    const auth = bearer(p.channel_api_key);
    const unserved = await t.post(`/v21.0/${phoneID}/no_such_edge`, { headers: auth, json: { sync_type: 'smb_app_state_sync' } });
    expect(unserved.status, unserved.text).toBe(404);
    expect(unserved.body.error).toMatchObject({ code: 100, error_data: { details: `Route POST /v21.0/${phoneID}/no_such_edge not found` } });

    // Edges served since: calling settings, registration (a sandbox number is always registered), QR codes, commerce settings.
    const settings = await t.post(`/v21.0/${phoneID}/settings`, { headers: auth, json: { calling: { status: 'ENABLED' } } });
    expect(settings.status, settings.text).toBe(200);
    expect(settings.body).toEqual({ success: true });
    const register = await t.post(`/v21.0/${phoneID}/register`, { headers: auth, json: { messaging_product: 'whatsapp', pin: '123456' } });
    expect(register.status, register.text).toBe(200);
    expect(register.body).toEqual({ success: true });
    const qr = await t.post(`/v21.0/${phoneID}/message_qrdls`, { headers: auth, json: { prefilled_message: 'Hi, I saw your QR code', generate_qr_image: 'SVG' } });
    expect(qr.status, qr.text).toBe(200);
    expect(qr.body).toMatchObject({ code: expect.any(String), prefilled_message: 'Hi, I saw your QR code' });
    const commerce = await t.get(`/v21.0/${phoneID}/whatsapp_commerce_settings`, { headers: auth });
    expect(commerce.status, commerce.text).toBe(200);
    expect(commerce.body.data[0]).toMatchObject({ is_cart_enabled: true, is_catalog_visible: false });
    const theirs = await t.post(`/v21.0/${otherPhoneID}/register`, { headers: auth, json: { messaging_product: 'whatsapp', pin: '123456' } });
    expect(theirs.status).toBe(400);
    expect(theirs.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });

    // A validation error of POST /messages: Meta's body, naming the field.
    const bad = await t.post(`/v21.0/${phoneID}/messages`, { headers: auth, json: { messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'x'.repeat(4097) } } });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.body.error).toMatchObject({ type: 'OAuthException', fbtrace_id: expect.any(String) });
    expect(JSON.stringify(bad.body.error.error_data)).toContain('text.body');
  });

  it("GET /{version}/{phone-number-id}: the number as Graph's phone number node, with Graph's default fields or those asked", async () => {
    const auth = bearer(p.channel_api_key);
    const ch = await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    const node = await t.get(`/v21.0/${phoneID}`, { headers: auth });
    expect(node.status, node.text).toBe(200);
    expect(node.body).toEqual({
      verified_name: ch.phone_name,
      code_verification_status: 'VERIFIED',
      display_phone_number: ch.phone_number,
      quality_rating: 'GREEN',
      platform_type: 'CLOUD_API',
      throughput: { level: 'STANDARD' },
      id: phoneID,
    });
    const byChannelId = await t.get(`/v21.0/${p.channel_id}`, { headers: auth, query: { fields: 'messaging_limit_tier,name_status' } });
    expect(byChannelId.body).toEqual({ messaging_limit_tier: 'TIER_1K', name_status: 'APPROVED', id: phoneID });

    // health_status, as GET /health_status answers it.
    const health = await t.get(`/v21.0/${phoneID}`, { headers: auth, query: { fields: 'health_status' } });
    expect(health.status, health.text).toBe(200);
    const root = await t.get('/health_status', { headers: auth });
    expect(health.body).toEqual(root.body);
    expect(health.body.health_status.entities[0]).toEqual({ entity_type: 'PHONE_NUMBER', id: phoneID, can_send_message: 'AVAILABLE' });

    const unknown = await t.get(`/v21.0/${phoneID}`, { headers: auth, query: { fields: 'verified_name,nope' } });
    expect(unknown.status, unknown.text).toBe(400);
    expect(unknown.body.error).toMatchObject({ message: '(#100) Tried accessing nonexisting field (nope) on node type (WhatsAppBusinessPhoneNumber)', type: 'OAuthException', code: 100 });
    expect(unknown.body.error.error_data.details).toContain('"nope" is not a field of a phone number');

    // Another channel's number is an object this token cannot see; at the root a phone number id is a media id.
    const theirs = await t.get(`/v21.0/${otherPhoneID}`, { headers: auth });
    expect(theirs.status).toBe(400);
    expect(theirs.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
    const atRoot = await t.get(`/${phoneID}`, { headers: auth });
    expect(atRoot.status).toBe(400);
    expect(atRoot.body.error.message).toContain(`Unsupported get request. Object with ID '${phoneID}'`);
  });

  it("GET /{version}/{waba-id}/phone_numbers: the WABA's numbers as phone number nodes; another tenant's never", async () => {
    const auth = bearer(p.channel_api_key);
    const list = await t.get(`/v21.0/${wabaID}/phone_numbers`, { headers: auth });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toHaveLength(1);
    const node = await t.get(`/v21.0/${phoneID}`, { headers: auth });
    expect(list.body.data[0]).toEqual(node.body);
    const some = await t.get(`/v21.0/${wabaID}/phone_numbers`, { headers: auth, query: { fields: 'display_phone_number,quality_rating' } });
    expect(some.body).toEqual({ data: [{ display_phone_number: node.body.display_phone_number, quality_rating: 'GREEN', id: phoneID }] });
    expect(JSON.stringify(list.body)).not.toContain(otherPhoneID);

    const onPhone = await t.get(`/v21.0/${phoneID}/phone_numbers`, { headers: auth });
    expect(onPhone.status).toBe(400);
    expect(onPhone.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
    const theirs = await t.get(`/v21.0/${wabaID}/phone_numbers`, { headers: bearer(other.channel_api_key) });
    expect(theirs.status).toBe(400);
    const badField = await t.get('/phone_numbers', { headers: auth, query: { fields: 'nope' } });
    expect(badField.status).toBe(400);
    expect(badField.body.error.message).toBe('(#100) Tried accessing nonexisting field (nope) on node type (WhatsAppBusinessPhoneNumber)');
  });

  it("hostile bodies on the Graph paths: a 4xx in Graph's body (or a 2xx where the input may be valid), never a 5xx", async () => {
    const rng = new Prng(20261207);
    const targets: { path: string; cases: HostileCase[] }[] = [
      { path: `/v21.0/${phoneID}/messages`, cases: [...structuralCases({ messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'x' } }), ...contentTypeCases({ messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'x' } }), ...randomJsonCases(rng, 60)] },
      { path: `/v21.0/${phoneID}/media`, cases: cloudMediaCases() },
      { path: `/v21.0/${wabaID}/message_templates`, cases: [...structuralCases({ name: 'x', language: 'en_US', category: 'UTILITY', components: [] }), ...randomJsonCases(rng, 60)] },
      { path: `/v21.0/${phoneID}/whatsapp_business_profile`, cases: [...structuralCases({ messaging_product: 'whatsapp', about: 'x' }), ...randomJsonCases(rng, 60)] },
    ];
    const problems: string[] = [];
    let sent = 0;
    for (const { path, cases } of targets) {
      for (const c of cases) {
        if (c.urlLevel || c.oversizeHeaders || c.params || c.query) continue;
        const res = await undiciRequest(t.baseUrl + path, { method: 'POST', headers: { ...c.headers, ...bearer(p.channel_api_key) }, body: c.body });
        const text = await res.body.text();
        sent++;
        const ok2xx = c.expect === 'either' && res.statusCode >= 200 && res.statusCode < 300;
        if (ok2xx) continue;
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const e = body?.error;
        const graphBody = e && typeof e.message === 'string' && typeof e.type === 'string' && Number.isInteger(e.code) && typeof e.fbtrace_id === 'string' && Object.keys(body).length === 1;
        if (res.statusCode < 400 || res.statusCode >= 500 || !graphBody) problems.push(`${path} ${c.label}: ${res.statusCode} ${text.slice(0, 200)}`);
      }
    }
    expect(sent).toBeGreaterThan(200);
    expect(problems).toEqual([]);
    // Still up and serving.
    const after = await t.post(`/v21.0/${phoneID}/messages`, { headers: bearer(p.channel_api_key), json: { messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'still here' } } });
    expect(after.status, after.text).toBe(200);
  });

  it('the root Cloud paths and the On-Premise paths are unchanged', async () => {
    const key = channelKey(p.channel_api_key);
    const cloud = await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'root' } } });
    expect(cloud.status, cloud.text).toBe(200);
    const onprem = await t.post('/v1/messages', { headers: key, json: { to: USER, type: 'text', text: { body: 'on-prem' } } });
    expect(onprem.status, onprem.text).toBe(201);
    expect(onprem.body.messages[0].id).toEqual(expect.any(String));
    const unknownOnPrem = await t.get('/v1/nothing_here', { headers: key });
    expect(unknownOnPrem.status).toBe(404);
    expect(unknownOnPrem.body.errors?.[0]).toMatchObject({ code: 1006 });
  });
});
