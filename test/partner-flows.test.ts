// WhatsApp Flows through the Partner API, the sandbox standing in for Meta: a partner creates a
// flow, uploads its Flow JSON (problems come back as validation_errors), publishes it, deprecates
// it; the lifecycle rules answer Meta's codes; another partner's WABA or flow is the templates'
// 404. A flow message sent through the Messaging API is checked against the stored flow's status.
import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { describeEachDb } from './helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { MINIMAL_FLOW_JSON } from './helpers/flows.ts';

const FLOW_JSON = MINIMAL_FLOW_JSON;
const ENDPOINT_FLOW_JSON = { ...FLOW_JSON, data_api_version: '3.0', routing_model: { WELCOME: [] } };
const MB = 1024 * 1024;

interface UploadFields {
  file?: Buffer | string;
  name?: string;
  asset_type?: string;
  fileField?: string;
  fileType?: string;
}

describeEachDb('Partner API: WhatsApp Flows', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let publicKeyPem: string;

  const flowsPath = (p: BootstrapResult, waba = p.waba_account_id, pid = p.partner_id) => `/api/v2/partners/${pid}/waba_accounts/${waba}/flows`;
  const flowPath = (p: BootstrapResult, id: string, rest = '') => `${flowsPath(p)}/${id}${rest}`;
  const auth = (p: BootstrapResult) => ({ headers: partnerKey(p.partner_api_key) });
  let n = 0;
  const create = async (p: BootstrapResult, body: Record<string, unknown> = {}) => {
    const res = await t.post(flowsPath(p), { ...auth(p), json: { name: `flow ${++n}`, categories: ['SIGN_UP'], ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };
  const get = (p: BootstrapResult, id: string, query?: Record<string, string>) => t.get(flowPath(p, id), { ...auth(p), query });

  async function upload(p: BootstrapResult, id: string, f: UploadFields = {}, path = flowPath(p, id, '/assets')) {
    const fd = new FormData();
    if (f.asset_type !== '') fd.append('asset_type', f.asset_type ?? 'FLOW_JSON');
    if (f.name !== '') fd.append('name', f.name ?? 'flow.json');
    const file = f.file ?? JSON.stringify(FLOW_JSON);
    if (f.file !== '') fd.append(f.fileField ?? 'file', new Blob([file], { type: f.fileType ?? 'application/json' }), 'flow.json');
    const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', body: fd, headers: partnerKey(p.partner_api_key) });
    const text = await res.text();
    return { status: res.status, text, headers: {}, body: text ? JSON.parse(text) : undefined };
  }

  const sendFlow = (p: BootstrapResult, parameters: Record<string, unknown>, path = '/messages') =>
    t.post(path, {
      headers: channelKey(p.channel_api_key),
      json: {
        ...(path === '/messages' ? { messaging_product: 'whatsapp' } : {}),
        to: '4917612345678',
        type: 'interactive',
        interactive: {
          type: 'flow',
          body: { text: 'Sign up' },
          action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 'tok', flow_cta: 'Open', flow_action: 'navigate', flow_action_payload: { screen: 'WELCOME' }, ...parameters } },
        },
      },
    });

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    b = await t.tenant();
    publicKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  });
  afterAll(() => t.close());

  describe('lifecycle', () => {
    it('create → list → upload the Flow JSON → publish → deprecate, each in Meta’s shape', async () => {
      const created = await t.post(flowsPath(a), { ...auth(a), json: { name: 'Sign up', categories: ['SIGN_UP', 'OTHER'] } });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: expect.stringMatching(/^\d{16}$/), success: true, validation_errors: [] });
      const id = created.body.id as string;

      const list = await t.get(flowsPath(a), auth(a));
      expect(list.status).toBe(200);
      expect(list.body).toEqual({ flows: [{ id, name: 'Sign up', status: 'DRAFT', categories: ['SIGN_UP', 'OTHER'], validation_errors: [] }], count: 1, total: 1 });

      const up = await upload(a, id);
      expect(up.status, up.text).toBe(200);
      expect(up.body).toEqual({ success: true, validation_errors: [] });
      expect((await get(a, id)).body).toEqual({ id, name: 'Sign up', status: 'DRAFT', categories: ['SIGN_UP', 'OTHER'], validation_errors: [], json_version: '7.0' });

      // The asset can be read back through its download_url (same credentials).
      const assets = await t.get(flowPath(a, id, '/assets'), auth(a));
      expect(assets.body).toEqual({ assets: [{ name: 'flow.json', asset_type: 'FLOW_JSON', download_url: `${t.baseUrl}${flowPath(a, id, '/assets/FLOW_JSON')}` }], count: 1, total: 1 });
      const download = await t.get(new URL(assets.body.assets[0].download_url).pathname, auth(a));
      expect(download.status).toBe(200);
      expect(download.body).toEqual(FLOW_JSON);
      expect((await t.get(new URL(assets.body.assets[0].download_url).pathname)).status).toBe(401);

      expect((await t.post(flowPath(a, id, '/publish'), auth(a))).body).toEqual({ success: true });
      expect((await get(a, id)).body.status).toBe('PUBLISHED');
      expect((await t.post(flowPath(a, id, '/deprecate'), auth(a))).body).toEqual({ success: true });
      expect((await get(a, id)).body.status).toBe('DEPRECATED');
    });

    it('a published flow can no longer be changed or deleted; only a published one is deprecated', async () => {
      const id = await create(a);
      expect((await upload(a, id)).status).toBe(200);
      expectPartnerError(await t.post(flowPath(a, id, '/deprecate'), auth(a)), 400, "(#139003) Can't deprecate unpublished Flow");
      expect((await t.post(flowPath(a, id, '/publish'), auth(a))).status).toBe(200);

      expectPartnerError(await upload(a, id), 400, "(#139001) Flow can't be updated");
      expectPartnerError(await t.post(flowPath(a, id), { ...auth(a), json: { name: 'renamed' } }), 400, "(#139001) Flow can't be updated");
      expectPartnerError(await t.delete(flowPath(a, id), auth(a)), 400, "(#139004) Can't delete published Flow");
      expectPartnerError(await t.post(flowPath(a, id, '/publish'), auth(a)), 400, '(#139002) Publishing Flow in invalid state');
      expect((await get(a, id)).body).toMatchObject({ status: 'PUBLISHED', name: expect.stringMatching(/^flow /) });
      // The JSON kept is the one published.
      expect((await t.get(flowPath(a, id, '/assets/FLOW_JSON'), auth(a))).body).toEqual(FLOW_JSON);

      expect((await t.post(flowPath(a, id, '/deprecate'), auth(a))).status).toBe(200);
      expectPartnerError(await t.post(flowPath(a, id, '/deprecate'), auth(a)), 400, '(#139003) Flow is already deprecated');
      expectPartnerError(await t.delete(flowPath(a, id), auth(a)), 400, '(#139004)');
    });

    it('a DRAFT flow is edited and deleted', async () => {
      const id = await create(a, { categories: ['SURVEY'] });
      expect((await t.post(flowPath(a, id), { ...auth(a), json: { name: 'Feedback', categories: ['SURVEY', 'CUSTOMER_SUPPORT'], endpoint_uri: 'https://example.com/flow' } })).body).toEqual({ success: true });
      expect((await get(a, id)).body).toEqual({ id, name: 'Feedback', status: 'DRAFT', categories: ['SURVEY', 'CUSTOMER_SUPPORT'], validation_errors: [], endpoint_uri: 'https://example.com/flow' });
      expect((await t.post(flowPath(a, id), { ...auth(a), json: { endpoint_uri: null } })).status).toBe(200);
      expect((await get(a, id)).body.endpoint_uri).toBeUndefined();

      expect((await t.delete(flowPath(a, id), auth(a))).body).toEqual({ success: true });
      expectPartnerError(await get(a, id), 404, `Flow ${id} not found`);
      expectPartnerError(await t.delete(flowPath(a, id), auth(a)), 404);
    });

    it('changes at the same moment: one publish (or delete) wins, the others are judged on what it left', async () => {
      const id = await create(a, { flow_json: JSON.stringify(FLOW_JSON) });
      const publishes = await Promise.all(Array.from({ length: 8 }, () => t.post(flowPath(a, id, '/publish'), auth(a))));
      expect(publishes.filter((r) => r.status === 200)).toHaveLength(1);
      for (const r of publishes.filter((x) => x.status !== 200)) expectPartnerError(r, 400, '(#139002) Publishing Flow in invalid state');

      const draft = await create(a);
      const deletes = await Promise.all(Array.from({ length: 6 }, () => t.delete(flowPath(a, draft), auth(a))));
      expect(deletes.filter((r) => r.status === 200)).toHaveLength(1);
      for (const r of deletes.filter((x) => x.status !== 200)) expectPartnerError(r, 404, `Flow ${draft} not found`);

      // An upload racing a publish: the flow ends either published with the valid JSON, or DRAFT with the broken one.
      const racing = await create(a, { flow_json: JSON.stringify(FLOW_JSON) });
      const [pub, up] = await Promise.all([t.post(flowPath(a, racing, '/publish'), auth(a)), upload(a, racing, { file: '{"version":"7.0"}' })]);
      const after = (await get(a, racing)).body;
      if (pub.status === 200) {
        expect(after).toMatchObject({ status: 'PUBLISHED', validation_errors: [] });
        expect(up.status).toBe(400);
      } else {
        expect(after).toMatchObject({ status: 'DRAFT', validation_errors: [expect.objectContaining({ error: 'MISSING_REQUIRED_TYPE_PROPERTY' })] });
        expect(up.status).toBe(200);
      }
    });

    it('names are unique in a WABA (#100), not across WABAs', async () => {
      await create(a, { name: 'Unique name' });
      expectPartnerError(await t.post(flowsPath(a), { ...auth(a), json: { name: 'Unique name', categories: ['OTHER'] } }), 400, '(#100) Flow name is not unique');
      const other = await create(a, { name: 'Other name' });
      expectPartnerError(await t.post(flowPath(a, other), { ...auth(a), json: { name: 'Unique name' } }), 400, 'Flow name is not unique');
      await create(b, { name: 'Unique name' });
    });

    it('flow_json with publish:true creates a published flow when valid, a DRAFT with its errors when not', async () => {
      const ok = await t.post(flowsPath(a), { ...auth(a), json: { name: 'one step', categories: ['OTHER'], flow_json: JSON.stringify(FLOW_JSON), publish: true } });
      expect(ok.body).toEqual({ id: expect.any(String), success: true, validation_errors: [] });
      expect((await get(a, ok.body.id)).body).toMatchObject({ status: 'PUBLISHED', json_version: '7.0' });

      const bad = await t.post(flowsPath(a), { ...auth(a), json: { name: 'one step, broken', categories: ['OTHER'], flow_json: '{"version":"7.0"}', publish: true } });
      expect(bad.status).toBe(201);
      expect(bad.body.validation_errors).toEqual([expect.objectContaining({ error: 'MISSING_REQUIRED_TYPE_PROPERTY', error_type: 'FLOW_JSON_ERROR' })]);
      expect((await get(a, bad.body.id)).body).toMatchObject({ status: 'DRAFT', validation_errors: bad.body.validation_errors });
    });

    it('clone_flow_id copies a flow of the same WABA as a new DRAFT', async () => {
      const source = await create(a);
      await upload(a, source);
      await t.post(flowPath(a, source, '/publish'), auth(a));
      const clone = await t.post(flowsPath(a), { ...auth(a), json: { name: 'the copy', categories: ['OTHER'], clone_flow_id: source } });
      expect(clone.status).toBe(201);
      expect((await get(a, clone.body.id)).body).toMatchObject({ status: 'DRAFT', json_version: '7.0' });
      expect((await t.get(flowPath(a, clone.body.id, '/assets/FLOW_JSON'), auth(a))).body).toEqual(FLOW_JSON);

      const foreign = await create(b);
      expectPartnerError(await t.post(flowsPath(a), { ...auth(a), json: { name: 'x', categories: ['OTHER'], clone_flow_id: foreign } }), 400, 'Flow with specified ID does not exist');
    });

    it('publishing needs a valid asset; an endpoint flow also needs its endpoint_uri and a business public key', async () => {
      const tenant = await t.tenant();
      const id = await create(tenant);
      expectPartnerError(await t.post(flowPath(tenant, id, '/publish'), auth(tenant)), 400, '(#139002) Publishing Flow with validation errors: ');
      await upload(tenant, id, { file: '{"version":"7.0","screens":[]}' });
      expectPartnerError(await t.post(flowPath(tenant, id, '/publish'), auth(tenant)), 400, /\(#139002\) Publishing Flow with validation errors: .*1 validation error.*at least 1 item/);

      await upload(tenant, id, { file: JSON.stringify(ENDPOINT_FLOW_JSON) });
      expect((await get(tenant, id)).body).toMatchObject({ json_version: '7.0', data_api_version: '3.0' });
      expectPartnerError(await t.post(flowPath(tenant, id, '/publish'), auth(tenant)), 400, '(#139002) Publishing without specifying endpoint_uri is forbidden');
      await t.post(flowPath(tenant, id), { ...auth(tenant), json: { endpoint_uri: 'https://example.com/endpoint' } });
      expectPartnerError(await t.post(flowPath(tenant, id, '/publish'), auth(tenant)), 400, '(#139002) Missing Flows Signed Public Key');

      const key = await t.post('/whatsapp_business_encryption', { headers: { ...channelKey(tenant.channel_api_key), 'content-type': 'application/x-www-form-urlencoded' }, raw: new URLSearchParams({ business_public_key: publicKeyPem }).toString() });
      expect(key.status, key.text).toBe(200);
      expect((await t.post(flowPath(tenant, id, '/publish'), auth(tenant))).body).toEqual({ success: true });
    });

    it('fields narrows the answer (id always); an unknown field is refused', async () => {
      const id = await create(a, { name: 'fielded' });
      expect((await get(a, id, { fields: 'name,status' })).body).toEqual({ id, name: 'fielded', status: 'DRAFT' });
      const list = await t.get(flowsPath(a), { ...auth(a), query: { fields: 'name' } });
      expect(list.body.flows.every((f: object) => Object.keys(f).join() === 'id,name')).toBe(true);
      expectPartnerError(await get(a, id, { fields: 'name,password' }), 400, 'nonexisting field (password)');
      const page = await t.get(flowsPath(a), { ...auth(a), query: { limit: '2', offset: '1' } });
      expect(page.body).toMatchObject({ count: 2, total: list.body.total });
      expect(page.body.flows.map((f: { id: string }) => f.id)).toEqual(list.body.flows.slice(1, 3).map((f: { id: string }) => f.id));
      expectPartnerError(await t.get(flowsPath(a), { ...auth(a), query: { limit: '-1' } }), 400, 'limit');
      // As the other Partner API lists: no empty page for limit=0.
      expectPartnerError(await t.get(flowsPath(a), { ...auth(a), query: { limit: '0' } }), 400, 'limit must be at least 1');
    });
  });

  describe('the Flow JSON asset', () => {
    let draft: string;
    beforeAll(async () => {
      draft = await create(a, { name: 'asset checks' });
    });
    const errorsOf = async (file: Buffer | string) => {
      const res = await upload(a, draft, { file });
      expect(res.status, res.text).toBe(200);
      expect(res.body.success).toBe(true);
      return res.body.validation_errors as { error: string; error_type: string; message: string; line_start?: number; column_start?: number }[];
    };

    it('problems are validation_errors in a 200, with Meta’s error names, and kept on the flow', async () => {
      const syntax = await errorsOf('{\n  "version": "7.0",\n  "screens": [,]\n}');
      expect(syntax).toEqual([
        { error: 'INVALID_FLOW_JSON', error_type: 'FLOW_JSON_ERROR', message: expect.stringContaining('(line 3, column 15)'), line_start: 3, line_end: 3, column_start: 15, column_end: 15 },
      ]);
      expect((await get(a, draft)).body.validation_errors).toEqual(syntax);
      expect((await errorsOf('{"version":"7.0","screens":[]'))[0]).toMatchObject({ line_start: 1, column_start: 30 });
      expect((await errorsOf('{"version":"7.0"}\n  x'))[0]).toMatchObject({ line_start: 2, column_start: 3 });
      expect((await errorsOf('{"version":"7.0","screens":[{"id":"A\\q"}]}'))[0]).toMatchObject({ error: 'INVALID_FLOW_JSON', column_start: 37 });

      expect((await errorsOf('[1,2]'))[0]).toMatchObject({ error: 'INVALID_PROPERTY_TYPE', message: expect.stringContaining('object but found array') });
      const screen = FLOW_JSON.screens[0]!;
      const withScreens = (rest: Record<string, unknown>, screens: unknown = FLOW_JSON.screens) => JSON.stringify({ ...rest, screens });
      expect((await errorsOf(withScreens({}))).map((e) => e.error)).toEqual(['MISSING_FLOW_JSON_VERSION']);
      expect((await errorsOf(withScreens({ version: 7 }))).map((e) => e.error)).toEqual(['INVALID_FLOW_JSON_VERSION']);
      expect((await errorsOf(withScreens({ version: '1.0' }))).map((e) => e.error)).toEqual(['UNSUPPORTED_FLOW_JSON_VERSION']);
      expect((await errorsOf(withScreens({ version: '7.0' }, { id: 'A' }))).map((e) => e.error)).toEqual(['INVALID_PROPERTY_TYPE']);
      const screens = await errorsOf(withScreens({ version: '7.0' }, [screen, { ...screen, id: undefined }, { ...screen, id: 'WELCOME' }, 'x', { ...screen, id: '' }]));
      expect(screens.map((e) => e.error)).toEqual(['MISSING_REQUIRED_TYPE_PROPERTY', 'INVALID_PROPERTY_VALUE', 'INVALID_PROPERTY_TYPE', 'INVALID_PROPERTY_TYPE']);
      expect(screens[1]!.message).toContain('screens[2].id');
      expect((await get(a, draft)).body.json_version).toBe('7.0');
      expect((await errorsOf(withScreens({ version: '7.0', data_api_version: 3, routing_model: { WELCOME: [] } }))).map((e) => e.error)).toEqual(['INVALID_PROPERTY_VALUE']);
      // A corrected asset clears them.
      expect(await errorsOf(JSON.stringify(FLOW_JSON))).toEqual([]);
      expect((await get(a, draft)).body.validation_errors).toEqual([]);
    });

    it('hostile files: not UTF-8, NUL bytes, nested beyond the parser, a BOM — never a 5xx', async () => {
      expect((await errorsOf(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])))[0]).toMatchObject({ error: 'INVALID_FLOW_JSON', message: expect.stringContaining('UTF-8') });
      expect((await errorsOf('{"version":"7.0",\u0000"screens":[]}'))[0]!.error).toBe('INVALID_FLOW_JSON');
      // Nothing storable was kept: no asset to download, nothing to publish.
      expect((await t.get(flowPath(a, draft, '/assets'), auth(a))).body).toEqual({ assets: [], count: 0, total: 0 });
      expectPartnerError(await t.post(flowPath(a, draft, '/publish'), auth(a)), 400, '#139002');
      const deep = `{"version":"7.0","screens":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`;
      expect((await errorsOf(deep))[0]).toMatchObject({ error: 'INVALID_FLOW_JSON', message: expect.stringContaining('nest deeper than 128 levels') });
      expect(await errorsOf(`\ufeff${JSON.stringify(FLOW_JSON)}`)).toEqual([]);
      expect(await errorsOf(`${JSON.stringify(FLOW_JSON).slice(0, -1)},"__proto__":{"x":1}}`)).toEqual([]);
    });

    it('an asset over 10 MB is a 413 (by Content-Length, and when streamed without one); the flow keeps its asset', async () => {
      await upload(a, draft);
      const big = Buffer.alloc(10 * MB + 1, 0x20);
      expectPartnerError(await upload(a, draft, { file: big }), 413, 'at most 10 MB');

      // Chunked: no Content-Length to judge by, so the file part itself is cut at the limit.
      const boundary = 'flowsboundary';
      async function* body() {
        yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="asset_type"\r\n\r\nFLOW_JSON\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="flow.json"\r\nContent-Type: application/json\r\n\r\n`);
        for (let i = 0; i < 11; i++) yield Buffer.alloc(MB, 0x20);
        yield Buffer.from(`\r\n--${boundary}--\r\n`);
      }
      const res = await request(`${t.baseUrl}${flowPath(a, draft, '/assets')}`, {
        method: 'POST',
        headers: { ...partnerKey(a.partner_api_key), 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: Readable.from(body()),
      });
      const text = await res.body.text();
      expect(res.statusCode, text).toBe(413);
      expect(JSON.parse(text).meta.developer_message).toContain('at most 10 MB');
      expect((await t.get(flowPath(a, draft, '/assets/FLOW_JSON'), auth(a))).body).toEqual(FLOW_JSON);
    });

    it('a wrong request is a 400 naming what is wrong', async () => {
      expectPartnerError(await t.post(flowPath(a, draft, '/assets'), { ...auth(a), json: { file: FLOW_JSON, asset_type: 'FLOW_JSON' } }), 400, 'multipart/form-data');
      expectPartnerError(await upload(a, draft, { asset_type: '' }), 400, 'asset_type: is required');
      expectPartnerError(await upload(a, draft, { asset_type: 'IMAGE' }), 400, 'asset_type: must be FLOW_JSON');
      expectPartnerError(await upload(a, draft, { file: '' }), 400, 'file: is required');
      expectPartnerError(await upload(a, draft, { fileField: 'json' }), 400, 'unexpected file field');
      expectPartnerError(await upload(a, draft, { file: Buffer.alloc(0) }), 400, 'file: the file is empty');
      const two = new FormData();
      two.append('asset_type', 'FLOW_JSON');
      two.append('file', new Blob(['{}']), 'a.json');
      two.append('file', new Blob(['{}']), 'b.json');
      const twoRes = await fetch(`${t.baseUrl}${flowPath(a, draft, '/assets')}`, { method: 'POST', body: two, headers: partnerKey(a.partner_api_key) });
      expect(twoRes.status).toBe(400);
      expect(((await twoRes.json()) as { meta: { developer_message: string } }).meta.developer_message).toContain('one file');
      const broken = await t.post(flowPath(a, draft, '/assets'), {
        headers: { ...partnerKey(a.partner_api_key), 'content-type': 'multipart/form-data; boundary=xyz' },
        raw: '--xyz\r\nContent-Disposition: form-data; name="asset_type"\r\n\r\nFLOW_JSON\r\n--xyz\r\nContent-Disposition: form-data; name="file"; filename="f.json"\r\n\r\n{"version"',
      });
      expectPartnerError(broken, 400);
      expectPartnerError(await t.post(flowPath(a, draft, '/assets'), { headers: { ...partnerKey(a.partner_api_key), 'content-type': 'text/plain' }, raw: 'hi' }), 400, 'multipart/form-data');
      expectPartnerError(await t.post(flowPath(a, draft, '/assets'), { headers: { ...partnerKey(a.partner_api_key), 'content-type': 'application/octet-stream' }, raw: 'hi' }), 415);
      // The flow still has the asset it had.
      expect((await get(a, draft)).body.validation_errors).toEqual([]);
    });
  });

  describe('creation input', () => {
    it.each([
      ['not an object', [1], 'body: must be a JSON object'],
      ['no name', { categories: ['OTHER'] }, 'name: is required'],
      ['empty name', { name: '  ', categories: ['OTHER'] }, 'name: must not be empty'],
      ['long name', { name: 'x'.repeat(201), categories: ['OTHER'] }, 'at most 200'],
      ['no categories', { name: 'x' }, 'categories: is required'],
      ['empty categories', { name: 'x', categories: [] }, 'at least one category'],
      ['unknown category', { name: 'x', categories: ['MARKETING'] }, '"MARKETING" is not a flow category'],
      ['unknown field', { name: 'x', categories: ['OTHER'], flow_jsn: '{}' }, 'flow_jsn: is not a known field'],
      ['bad endpoint', { name: 'x', categories: ['OTHER'], endpoint_uri: 'ftp://example.com' }, 'Invalid Endpoint URI'],
      ['two clone sources', { name: 'x', categories: ['OTHER'], clone_flow_id: '123', clone_template: 'FLOWS_OFFSITE_CALL_TO_ACTION' }, 'Only one clone source can be set'],
      ['publish not boolean', { name: 'x', categories: ['OTHER'], publish: 'yes' }, 'publish: must be true or false'],
      ['NUL in name', { name: 'a\u0000b', categories: ['OTHER'] }, 'NUL'],
    ])('%s → 400', async (_label, json, message) => {
      expectPartnerError(await t.post(flowsPath(a), { ...auth(a), json }), 400, message);
    });

    it('categories as a JSON string (form-style clients) and a library template (kairon sends `template`) are taken', async () => {
      const res = await t.post(flowsPath(a), { ...auth(a), json: { name: 'from kairon', categories: '["APPOINTMENT_BOOKING","OTHER"]', template: 'FLOWS_OFFSITE_CALL_TO_ACTION' } });
      expect(res.status).toBe(201);
      expect((await get(a, res.body.id)).body.categories).toEqual(['APPOINTMENT_BOOKING', 'OTHER']);
    });
  });

  describe('scope', () => {
    it("another partner's WABA is the templates' 404; another WABA's flow is a 404; another partner id is the scope's 403", async () => {
      const templates404 = await t.get(`/api/v2/partners/${a.partner_id}/waba_accounts/${b.waba_account_id}/waba_templates`, auth(a));
      const bFlow = await create(b);
      const foreignWaba = flowsPath(a, b.waba_account_id);
      const attempts = [
        await t.get(foreignWaba, auth(a)),
        await t.post(foreignWaba, { ...auth(a), json: { name: 'x', categories: ['OTHER'] } }),
        await t.get(`${foreignWaba}/${bFlow}`, auth(a)),
        await t.post(`${foreignWaba}/${bFlow}/publish`, auth(a)),
        await upload(a, bFlow, {}, `${foreignWaba}/${bFlow}/assets`),
      ];
      for (const res of attempts) {
        expectPartnerError(res, 404);
        expect(res.body).toEqual(templates404.body);
      }
      for (const res of [
        await get(a, bFlow),
        await t.post(flowPath(a, bFlow, '/publish'), auth(a)),
        await t.post(flowPath(a, bFlow, '/deprecate'), auth(a)),
        await t.delete(flowPath(a, bFlow), auth(a)),
        await t.get(flowPath(a, bFlow, '/assets/FLOW_JSON'), auth(a)),
        await upload(a, bFlow),
      ]) {
        expectPartnerError(res, 404, `Flow ${bFlow} not found`);
      }
      expectPartnerError(await t.get(flowsPath(b, b.waba_account_id, b.partner_id), auth(a)), 403, b.partner_id);
      expectPartnerError(await t.get(flowsPath(a), { headers: partnerKey('wrong') }), 401);
      // B's flow is untouched.
      expect((await get(b, bFlow)).body.status).toBe('DRAFT');
    });
  });

  describe('sending a flow message', () => {
    let draft: string;
    let published: string;
    let deprecated: string;
    beforeAll(async () => {
      draft = await create(a, { name: 'send draft' });
      published = await create(a, { name: 'send published' });
      await upload(a, published);
      await t.post(flowPath(a, published, '/publish'), auth(a));
      deprecated = await create(a, { name: 'send deprecated', flow_json: JSON.stringify(FLOW_JSON), publish: true });
      await t.post(flowPath(a, deprecated, '/deprecate'), auth(a));
    });

    it('mode "published" (the default) needs a PUBLISHED flow, mode "draft" a DRAFT one', async () => {
      expect((await sendFlow(a, { flow_id: published })).status).toBe(200);
      expect((await sendFlow(a, { flow_name: 'send published', mode: 'published' })).status).toBe(200);
      expect((await sendFlow(a, { flow_id: draft, mode: 'draft' })).status).toBe(200);

      const refused = await sendFlow(a, { flow_id: draft });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 131009, message: '(#131009) Parameter value is not valid' });
      expect(refused.body.error.error_data.details).toMatch(/^interactive\.action\.parameters\.flow_id: flow \d+ \("send draft"\) is DRAFT; publish it first/);
      const byName = await sendFlow(a, { flow_name: 'send published', mode: 'draft' });
      expect(byName.status).toBe(400);
      expect(byName.body.error.error_data.details).toMatch(/^interactive\.action\.parameters\.flow_name: .* is PUBLISHED; mode "draft" is only for DRAFT flows/);
      for (const mode of ['draft', 'published']) {
        const res = await sendFlow(a, { flow_id: deprecated, mode });
        expect(res.status).toBe(400);
        expect(res.body.error.error_data.details).toContain('is DEPRECATED');
      }
      // On-Premise sends are checked alike, in their own error body.
      const onprem = await sendFlow(a, { flow_id: draft }, '/v1/messages');
      expect(onprem.status).toBe(400);
      expect(onprem.body.errors[0]).toMatchObject({ code: 1009, details: expect.stringContaining('is DRAFT') });
    });

    it("a flow the WABA's store does not know is refused (#131009) on both APIs, another WABA's flow too, saying nothing of it", async () => {
      const storedOnA = async () => (await t.deps.db.kysely.selectFrom('messages').select('id').where('channel_id', '=', a.channel_id).execute()).length;
      const before = await storedOnA();
      const unknown = await sendFlow(a, { flow_id: '1234567890123456' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toMatchObject({ message: '(#131009) Parameter value is not valid', type: 'OAuthException', code: 131009, fbtrace_id: expect.any(String) });
      expect(unknown.body.error.error_data.details).toBe('interactive.action.parameters.flow_id: no flow with flow id 1234567890123456 in this WhatsApp Business Account; create it (and publish it, or send with "mode":"draft") first');
      const byName = await sendFlow(a, { flow_name: 'no such flow', mode: 'draft' });
      expect(byName.status).toBe(400);
      expect(byName.body.error.error_data.details).toMatch(/^interactive\.action\.parameters\.flow_name: no flow with flow name "no such flow"/);
      const onprem = await sendFlow(a, { flow_id: '1234567890123456' }, '/v1/messages');
      expect(onprem.status).toBe(400);
      expect(onprem.body).toMatchObject({ errors: [{ code: 1009, title: 'Parameter value is not valid', details: expect.stringContaining('interactive.action.parameters.flow_id: no flow with') }], meta: { api_status: 'stable' } });

      const bDraft = await create(b, { name: 'b draft' });
      const foreign = await sendFlow(a, { flow_id: bDraft, mode: 'draft' });
      expect(foreign.status).toBe(400);
      expect(foreign.body.error.error_data.details).toContain('no flow with');
      expect(foreign.text).not.toContain('b draft');
      expect((await sendFlow(b, { flow_id: bDraft, mode: 'draft' })).status).toBe(200);
      // Nothing refused was stored.
      expect(await storedOnA()).toBe(before);
    });
  });
});

describe('Flow JSON check', () => {
  it('reports at most 50 problems, the first ones in order, however many screens are wrong (a million bad screens build no million errors)', async () => {
    const { checkFlowJson } = await import('../src/messaging/flows/flow-json.ts');
    const bad = Buffer.from(JSON.stringify({ version: '7.0', screens: Array.from({ length: 200_000 }, () => 1) }));
    const r = checkFlowJson(bad);
    expect(r.errors).toHaveLength(50);
    expect(r.errors[0]!.error).toBe('INVALID_PROPERTY_TYPE');
    expect(r.errors.map((e) => e.message)).toEqual(Array.from({ length: 50 }, (_, i) => `Expected screens[${i}] to be object but found number`));
    // With a version problem first, the screens get the rest of the budget.
    const both = checkFlowJson(Buffer.from(JSON.stringify({ screens: [FLOW_JSON.screens[0], FLOW_JSON.screens[0]] })));
    expect(both.errors.map((e) => e.error)).toEqual(['MISSING_FLOW_JSON_VERSION', 'INVALID_PROPERTY_VALUE']);
  });
});
