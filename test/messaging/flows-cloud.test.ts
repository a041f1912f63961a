// WhatsApp Flows on the Messaging API in Meta's Flows API shapes (messaging/routes/flows.ts): the
// lifecycle as pywa sends it (Graph paths, Bearer token: create with categories as a JSON string in
// a form body, upload flow.json multipart, get with fields=preview, publish, send, deprecate,
// delete, list with paging), the same on the root paths with D360-API-KEY, tenant isolation
// (Graph's 100/33), bad input (4xx in Graph's body), and the other owners of the bare Graph node
// (media, the phone number node, template edit) still answering as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, type HttpResponse, type TestApp } from '../helpers/app.ts';
import { MINIMAL_FLOW_JSON } from '../helpers/flows.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES } from './media-fixtures.ts';
import { graphToRoot } from '../../src/messaging/graph-paths.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { graphErrorBody } from '../helpers/fake-graph.ts';

const USER = '4917612349901';
const FLOW_JSON = JSON.stringify(MINIMAL_FLOW_JSON);

/** Graph's answer for a node the token cannot see. */
function expectNodeError(res: HttpResponse, id: string, method = 'get') {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: expect.any(String) });
  expect(res.body.error.message).toContain(`Unsupported ${method} request. Object with ID '${id}'`);
}

function expectGraphError(res: HttpResponse, status: number, code: number, text?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body.error).toMatchObject({ code, type: expect.any(String), message: expect.any(String), fbtrace_id: expect.any(String) });
  if (text) expect(JSON.stringify(res.body.error)).toContain(text);
}

describe('graphToRoot: the flow paths', () => {
  it('maps the WABA edge and the flow edges; keeps the bare node where it was', () => {
    expect(graphToRoot('/v21.0/102290129340398/flows?fields=name')).toEqual({ url: '/flows?fields=name', graph: { node: '102290129340398', owner: 'waba' } });
    expect(graphToRoot('/v21.0/1234567890123456/assets')).toEqual({ url: '/flows/1234567890123456/assets', graph: { node: '1234567890123456', owner: 'none' } });
    expect(graphToRoot('/v21.0/1234567890123456/publish', 'POST')?.url).toBe('/flows/1234567890123456/publish');
    expect(graphToRoot('/1234567890123456/deprecate', 'POST')?.url).toBe('/flows/1234567890123456/deprecate');
    expect(graphToRoot('/v21.0/abc/publish', 'POST')?.url).toBe('/abc/publish');
    expect(graphToRoot('/v21.0/1234567890123456')?.url).toBe('/1234567890123456');
    expect(graphToRoot('/v21.0/1234567890123456', 'POST')?.url).toBe('/message_templates/1234567890123456');
    expect(graphToRoot('/flows')).toBeUndefined();
  });
});

describeEachDb('WhatsApp Flows on the Messaging API (Meta shapes, root and Graph paths)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let wabaID: string;
  let phoneID: string;

  const externalWaba = async (b: BootstrapResult) =>
    (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', b.waba_account_id).executeTakeFirstOrThrow()).external_id;

  /** pywa's update_flow_json: multipart file=("flow.json", json, "application/json"), name, asset_type, messaging_product. */
  async function uploadAsset(path: string, headers: Record<string, string>, json = FLOW_JSON, fields: Record<string, string> = { name: 'flow.json', asset_type: 'FLOW_JSON', messaging_product: 'whatsapp' }) {
    const fd = new FormData();
    fd.append('file', new Blob([json], { type: 'application/json' }), 'flow.json');
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', body: fd, headers });
    const text = await res.text();
    return { status: res.status, text, headers: {}, body: text ? JSON.parse(text) : undefined } as HttpResponse;
  }

  /** A form-encoded POST (Meta's Postman collection, requests' data=). */
  const postForm = (path: string, headers: Record<string, string>, form: Record<string, string>) =>
    t.post(path, { headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, raw: new URLSearchParams(form).toString() });

  const sendFlow = (headers: Record<string, string>, flowId: string, mode?: string) =>
    t.post('/messages', {
      headers,
      json: {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: USER,
        type: 'interactive',
        interactive: {
          type: 'flow',
          body: { text: 'Sign up' },
          action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 'tok', flow_id: flowId, flow_cta: 'Open', flow_action: 'navigate', flow_action_payload: { screen: 'WELCOME' }, ...(mode ? { mode } : {}) } },
        },
      },
    });

  beforeAll(async () => {
    t = await startReplayApp(kind);
    p = await t.tenant();
    other = await t.tenant();
    wabaID = await externalWaba(p);
    phoneID = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id;
    const hi = await t.post('/sandbox/v1/inbound', { headers: channelKey(p.channel_api_key), json: { from: USER, name: 'Jane', type: 'text', text: { body: 'hi' } } });
    expect(hi.status, hi.text).toBe(200);
  });
  afterAll(() => t.close());

  it('pywa on Graph paths with a Bearer token: create (form, categories as a JSON string) → upload → preview → publish → send → deprecate', async () => {
    const auth = bearer(p.channel_api_key);
    const created = await postForm(`/v21.0/${wabaID}/flows`, auth, { name: 'pywa sign up', categories: '["SIGN_UP","OTHER"]' });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toEqual({ id: expect.stringMatching(/^\d{16}$/), success: true });
    const id = created.body.id as string;

    const draft = await t.get(`/v21.0/${id}`, { headers: auth });
    expect(draft.status, draft.text).toBe(200);
    expect(draft.body).toEqual({ id, name: 'pywa sign up', status: 'DRAFT', categories: ['SIGN_UP', 'OTHER'], validation_errors: [] });

    const up = await uploadAsset(`/v21.0/${id}/assets`, auth);
    expect(up.status, up.text).toBe(200);
    expect(up.body).toEqual({ success: true, validation_errors: [] });

    const assets = await t.get(`/v21.0/${id}/assets`, { headers: auth });
    expect(assets.status, assets.text).toBe(200);
    expect(assets.body).toEqual({
      data: [{ name: 'flow.json', asset_type: 'FLOW_JSON', download_url: `${t.baseUrl}/flows/${id}/assets/FLOW_JSON` }],
      paging: { cursors: { before: expect.any(String), after: expect.any(String) } },
    });
    const download = await t.get(`/flows/${id}/assets/FLOW_JSON`, { headers: auth });
    expect(download.body).toEqual(MINIMAL_FLOW_JSON);

    const preview = await t.get(`/v21.0/${id}`, { headers: auth, query: { fields: 'preview.invalidate(false),name' } });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body).toEqual({ id, name: 'pywa sign up', preview: { preview_url: expect.stringMatching(/^http/), expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*\+0000$/) } });

    // A DRAFT is sent only with mode "draft".
    expect((await sendFlow(auth, id, 'draft')).status).toBe(200);

    // update_flow_metadata: POST /{flow-id} with JSON.
    const renamed = await t.post(`/v21.0/${id}`, { headers: auth, json: { name: 'pywa signup', endpoint_uri: 'https://example.com/flow' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toEqual({ success: true });
    expect((await t.get(`/v21.0/${id}`, { headers: auth, query: { fields: 'name,endpoint_uri,json_version,whatsapp_business_account' } })).body).toEqual({
      id,
      name: 'pywa signup',
      endpoint_uri: 'https://example.com/flow',
      json_version: '7.0',
      whatsapp_business_account: { id: wabaID, name: expect.any(String) },
    });

    expect((await t.post(`/v21.0/${id}/publish`, { headers: auth })).body).toEqual({ success: true });
    expect((await t.get(`/v21.0/${id}`, { headers: auth, query: { fields: 'status' } })).body).toEqual({ id, status: 'PUBLISHED' });

    // The new flow id in an interactive flow message.
    const sent = await sendFlow(auth, id);
    expect(sent.status, sent.text).toBe(200);
    expect(sent.body.messages[0].id).toMatch(/^wamid\./);

    // A published flow no longer changes: Meta's code, with its user title and message.
    const change = await t.post(`/v21.0/${id}`, { headers: auth, json: { name: 'again' } });
    expectGraphError(change, 400, 139001, "Flow can't be updated");
    expect(change.body.error).toMatchObject({ error_user_title: "Flow can't be updated", error_user_msg: expect.stringContaining('(#139001)') });
    expectGraphError(await t.delete(`/v21.0/${id}`, { headers: auth }), 400, 139004);

    expect((await t.post(`/v21.0/${id}/deprecate`, { headers: auth })).body).toEqual({ success: true });
    expect((await t.get(`/v21.0/${id}`, { headers: auth })).body.status).toBe('DEPRECATED');
    expectGraphError(await sendFlow(auth, id), 400, 131009, 'flow_id');
  });

  it('the root paths with D360-API-KEY: JSON and multipart creation, flow_json + publish, clone, delete a draft', async () => {
    const key = channelKey(p.channel_api_key);
    const published = await t.post('/flows', { headers: key, json: { name: 'root published', categories: ['SURVEY'], flow_json: FLOW_JSON, publish: true } });
    expect(published.status, published.text).toBe(200);
    expect(published.body).toEqual({ id: expect.any(String), success: true, validation_errors: [] });
    expect((await t.get(`/flows/${published.body.id}`, { headers: key })).body).toMatchObject({ status: 'PUBLISHED', json_version: '7.0' });

    // Multipart, as Meta's Postman collection sends form-data; publish as the string "true".
    const fd = new FormData();
    fd.append('name', 'multipart flow');
    fd.append('categories', '["CONTACT_US"]');
    fd.append('flow_json', FLOW_JSON);
    fd.append('publish', 'true');
    const mp = await fetch(`${t.baseUrl}/flows`, { method: 'POST', body: fd, headers: key });
    const mpBody = (await mp.json()) as { id: string; success: boolean };
    expect(mp.status, JSON.stringify(mpBody)).toBe(200);
    expect((await t.get(`/flows/${mpBody.id}`, { headers: key, query: { fields: 'status,categories' } })).body).toEqual({ id: mpBody.id, status: 'PUBLISHED', categories: ['CONTACT_US'] });

    const clone = await t.post('/flows', { headers: key, json: { name: 'root clone', categories: ['SURVEY'], clone_flow_id: published.body.id } });
    expect(clone.status, clone.text).toBe(200);
    expect((await t.get(`/flows/${clone.body.id}`, { headers: key })).body).toMatchObject({ status: 'DRAFT', json_version: '7.0' });

    // Bad Flow JSON: validation errors in a 200, and the draft cannot be published.
    const bad = await uploadAsset(`/flows/${clone.body.id}/assets`, key, '{"version":"7.0","screens":[{"id":"x"}]}');
    expect(bad.status, bad.text).toBe(200);
    expect(bad.body.success).toBe(true);
    expect(bad.body.validation_errors.length).toBeGreaterThan(0);
    expectGraphError(await t.post(`/flows/${clone.body.id}/publish`, { headers: key }), 400, 139002, 'Publishing Flow with validation errors');

    // Delete the draft on the bare Graph node and on the root.
    expect((await t.delete(`/v21.0/${clone.body.id}`, { headers: bearer(p.channel_api_key) })).body).toEqual({ success: true });
    expectNodeError(await t.get(`/flows/${clone.body.id}`, { headers: key }), clone.body.id);
    const draft = await t.post('/flows', { headers: key, json: { name: 'root draft', categories: ['OTHER'] } });
    expect((await t.delete(`/flows/${draft.body.id}`, { headers: key })).body).toEqual({ success: true });
    expectNodeError(await t.delete(`/flows/${draft.body.id}`, { headers: key }), draft.body.id, 'delete');
  });

  it("lists the WABA's flows newest first, Meta's data and cursor paging, fields=", async () => {
    const fresh = await t.tenant();
    const key = channelKey(fresh.channel_api_key);
    const ids: string[] = [];
    // Created a few milliseconds apart: the list orders by creation time (to the millisecond), and
    // flows created in one millisecond come in id order, which is random.
    for (let i = 0; i < 5; i++) {
      ids.push((await t.post('/flows', { headers: key, json: { name: `listed ${i}`, categories: ['OTHER'] } })).body.id);
      await new Promise((r) => setTimeout(r, 3));
    }
    const newestFirst = [...ids].reverse();

    const page1 = await t.get(`/v21.0/${await externalWaba(fresh)}/flows`, { headers: bearer(fresh.channel_api_key), query: { limit: '2', fields: 'name' } });
    expect(page1.status, page1.text).toBe(200);
    expect(page1.body.data).toEqual(newestFirst.slice(0, 2).map((id, i) => ({ id, name: `listed ${4 - i}` })));
    expect(page1.body.paging).toMatchObject({ cursors: { before: expect.any(String), after: expect.any(String) }, next: expect.stringContaining('after=') });
    expect(page1.body.paging.previous).toBeUndefined();
    const page2 = await t.get('/flows', { headers: key, query: { limit: '2', after: page1.body.paging.cursors.after } });
    expect(page2.body.data.map((f: { id: string }) => f.id)).toEqual(newestFirst.slice(2, 4));
    expect(page2.body.data[0]).toEqual({ id: newestFirst[2], name: 'listed 2', status: 'DRAFT', categories: ['OTHER'], validation_errors: [] });
    const back = await t.get('/flows', { headers: key, query: { limit: '2', before: page2.body.paging.cursors.before } });
    expect(back.body.data.map((f: { id: string }) => f.id)).toEqual(newestFirst.slice(0, 2));
    const last = await t.get('/flows', { headers: key, query: { limit: '2', after: page2.body.paging.cursors.after } });
    expect(last.body.data.map((f: { id: string }) => f.id)).toEqual(newestFirst.slice(4));
    expect(last.body.paging.next).toBeUndefined();
    // Another tenant's list holds none of them.
    const theirs = await t.get('/flows', { headers: channelKey(other.channel_api_key) });
    expect(theirs.body.data.map((f: { id: string }) => f.id)).not.toContain(ids[0]);
  });

  it('another channel in another WABA sees none of the flows: Graph 100/33, nothing changed', async () => {
    const mine = await t.post('/flows', { headers: channelKey(p.channel_api_key), json: { name: 'not yours', categories: ['OTHER'], flow_json: FLOW_JSON } });
    const id = mine.body.id as string;
    const theirs = bearer(other.channel_api_key);
    expectNodeError(await t.get(`/v21.0/${id}`, { headers: theirs }), id);
    expectNodeError(await t.get(`/flows/${id}`, { headers: channelKey(other.channel_api_key) }), id);
    expectNodeError(await t.get(`/v21.0/${id}/assets`, { headers: theirs }), id);
    expectNodeError(await t.get(`/flows/${id}/assets/FLOW_JSON`, { headers: theirs }), id);
    expectNodeError(await t.post(`/v21.0/${id}`, { headers: theirs, json: { name: 'stolen' } }), id, 'post');
    expectNodeError(await t.post(`/flows/${id}`, { headers: theirs, json: { name: 'stolen' } }), id, 'post');
    expectNodeError(await uploadAsset(`/v21.0/${id}/assets`, theirs), id, 'post');
    expectNodeError(await t.post(`/v21.0/${id}/publish`, { headers: theirs }), id, 'post');
    expectNodeError(await t.post(`/v21.0/${id}/deprecate`, { headers: theirs }), id, 'post');
    expectNodeError(await t.delete(`/v21.0/${id}`, { headers: theirs }), id, 'delete');
    expectNodeError(await t.delete(`/flows/${id}`, { headers: theirs }), id, 'delete');
    // Their own WABA edge with our WABA id: refused before anything is read.
    expectNodeError(await t.get(`/v21.0/${wabaID}/flows`, { headers: theirs }), wabaID);
    expectNodeError(await postForm(`/v21.0/${wabaID}/flows`, theirs, { name: 'x', categories: '["OTHER"]' }), wabaID, 'post');
    // A flow of theirs cannot be cloned from ours either.
    expectGraphError(await t.post('/flows', { headers: theirs, json: { name: 'clone', categories: ['OTHER'], clone_flow_id: id } }), 400, 100, 'clone_flow_id');
    const still = await t.get(`/flows/${id}`, { headers: channelKey(p.channel_api_key) });
    expect(still.body).toMatchObject({ id, name: 'not yours', status: 'DRAFT' });
  });

  it("bad input answers a 4xx in Graph's body", async () => {
    const auth = bearer(p.channel_api_key);
    const key = channelKey(p.channel_api_key);
    expectGraphError(await t.post('/flows', { headers: key, json: { categories: ['OTHER'] } }), 400, 100, 'name: is required');
    expectGraphError(await postForm(`/v21.0/${wabaID}/flows`, auth, { name: 'x', categories: '["NOPE"]' }), 400, 100, 'is not a flow category');
    expectGraphError(await t.post('/flows', { headers: key, json: { name: 'x', categories: ['OTHER'], unknown: 1 } }), 400, 100, 'unknown: is not a known field');
    expectGraphError(await t.post('/flows', { headers: key, json: [1, 2] }), 400, 100);
    expectGraphError(await t.post('/flows', { headers: key, json: { name: 'x', categories: ['OTHER'], endpoint_uri: 'ftp://x' } }), 400, 100, 'Invalid Endpoint URI');
    const dup = await t.post('/flows', { headers: key, json: { name: 'twice', categories: ['OTHER'] } });
    expect(dup.status).toBe(200);
    expectGraphError(await t.post('/flows', { headers: key, json: { name: 'twice', categories: ['OTHER'] } }), 400, 100, 'Flow name is not unique');
    expectGraphError(await t.get('/flows', { headers: key, query: { fields: 'nope' } }), 400, 100, 'nonexisting field');
    expectGraphError(await t.get('/flows', { headers: key, query: { after: 'garbage' } }), 400, 100, 'not a cursor');
    expectGraphError(await t.get('/flows', { headers: key, query: { limit: '0' } }), 400, 100, 'limit');
    expectGraphError(await t.get(`/v21.0/${dup.body.id}`, { headers: auth, query: { fields: 'preview.bogus' } }), 400, 100);
    expectGraphError(await t.get(`/v21.0/${dup.body.id}`, { headers: auth, query: { fields: 'name,nope' } }), 400, 100, 'nonexisting field');
    expectGraphError(await uploadAsset(`/v21.0/${dup.body.id}/assets`, auth, FLOW_JSON, { name: 'flow.json', asset_type: 'IMAGE' }), 400, 100, 'asset_type');
    const notMultipart = await t.post(`/v21.0/${dup.body.id}/assets`, { headers: auth, json: { file: FLOW_JSON } });
    expectGraphError(notMultipart, 400, 100, 'multipart/form-data');
    expectGraphError(await t.post(`/v21.0/${dup.body.id}/deprecate`, { headers: auth }), 400, 139003);
    expectNodeError(await t.get('/flows/abc', { headers: key }), 'abc');
    // A missing token on a Graph path: Graph's 190.
    expectGraphError(await t.get(`/v21.0/${wabaID}/flows`), 401, 190);
  });

  it('the bare node still serves media (GET, DELETE), the phone number node and template edit', async () => {
    const auth = bearer(p.channel_api_key);
    const s = SAMPLES[0]!;
    const fd = new FormData();
    fd.append('file', new Blob([s.data], { type: s.mime }), s.name);
    fd.append('messaging_product', 'whatsapp');
    fd.append('type', s.mime);
    const up = await fetch(`${t.baseUrl}/v21.0/${phoneID}/media`, { method: 'POST', body: fd, headers: auth });
    const mediaId = ((await up.json()) as { id: string }).id;
    const info = await t.get(`/v21.0/${mediaId}`, { headers: auth });
    expect(info.status, info.text).toBe(200);
    expect(info.body).toMatchObject({ messaging_product: 'whatsapp', id: mediaId, mime_type: s.mime });
    expect((await t.delete(`/v21.0/${mediaId}`, { headers: auth })).body).toEqual({ success: true });
    expectNodeError(await t.get(`/v21.0/${mediaId}`, { headers: auth }), mediaId);

    const node = await t.get(`/v21.0/${phoneID}`, { headers: auth, query: { fields: 'display_phone_number' } });
    expect(node.status, node.text).toBe(200);
    expect(node.body).toEqual({ display_phone_number: expect.any(String), id: phoneID });

    const tpl = await t.post(`/v21.0/${wabaID}/message_templates`, {
      headers: auth,
      json: { name: 'flows_bare_node', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your code is ready' }] },
    });
    expect(tpl.status, tpl.text).toBe(200);
    const tplId = tpl.body.id as string;
    await waitUntil('template approved', async () => (await t.deps.db.kysely.selectFrom('templates').select('status').where('id', '=', tplId).executeTakeFirstOrThrow()).status === 'APPROVED');
    const edit = await t.post(`/v21.0/${tplId}`, { headers: auth, json: { components: [{ type: 'BODY', text: 'Your order is ready' }] } });
    expect(edit.status, edit.text).toBe(200);
    expect(edit.body).toEqual({ success: true });
    // An id that is neither: the template edit's answer, as before.
    expectNodeError(await t.post('/v21.0/1234567890123456', { headers: auth, json: { name: 'x' } }), '1234567890123456', 'post');
  });
});

describeEachDb("WhatsApp Flows on the Messaging API, a number on Meta's network", (kind) => {
  const META_NUMBER = '106540352249901';
  const META_WABA = '102290129349901';
  let meta: MetaNumber | undefined;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: META_WABA });
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("each request is the same request at Meta's Graph API, Meta's answers and errors coming back", async () => {
    const { graph, t, p } = meta!;
    const key = channelKey(p.channel_api_key);
    const flowId = '5550001112223334';
    graph.reset();
    const listed = { data: [{ id: flowId, name: 'At Meta', status: 'DRAFT', categories: ['OTHER'], validation_errors: [] }], paging: { cursors: { before: 'QVFI', after: 'QVFJ' } } };
    graph.respond(
      { status: 200, json: { id: flowId, success: true } },
      { status: 200, json: listed },
      { status: 200, json: { success: true, validation_errors: [] } },
      { status: 200, json: { success: true } },
      { status: 400, json: graphErrorBody(139004, "Can't delete published Flow", { subcode: 4016003 }) },
    );
    const created = await t.post(`/v21.0/${META_WABA}/flows`, { headers: { ...bearer(p.channel_api_key), 'content-type': 'application/x-www-form-urlencoded' }, raw: 'name=At+Meta&categories=%5B%22OTHER%22%5D' });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toEqual({ id: flowId, success: true });
    const list = await t.get('/flows', { headers: key, query: { fields: 'name,status', limit: '5' } });
    expect(list.body).toEqual(listed);
    const fd = new FormData();
    fd.append('file', new Blob([FLOW_JSON], { type: 'application/json' }), 'flow.json');
    fd.append('name', 'flow.json');
    fd.append('asset_type', 'FLOW_JSON');
    const up = await fetch(`${t.baseUrl}/flows/${flowId}/assets`, { method: 'POST', body: fd, headers: key });
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ success: true, validation_errors: [] });
    expect((await t.post(`/v21.0/${flowId}/publish`, { headers: bearer(p.channel_api_key) })).body).toEqual({ success: true });
    const del = await t.delete(`/flows/${flowId}`, { headers: key });
    expect(del.status).toBe(400);
    expect(del.body.error).toMatchObject({ code: 139004, error_subcode: 4016003 });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['POST', `/${META_WABA}/flows`],
      ['GET', `/${META_WABA}/flows?fields=name%2Cstatus&limit=5`],
      ['POST', `/${flowId}/assets`],
      ['POST', `/${flowId}/publish`],
      ['DELETE', `/${flowId}`],
    ]);
    expect(graph.requests[0]!.json).toEqual({ name: 'At Meta', categories: ['OTHER'] });
    expect(graph.requests[2]!.raw.toString('utf8')).toContain('"WELCOME"');
  });
});
