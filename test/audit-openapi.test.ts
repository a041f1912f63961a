// /openapi.json documents what the routes answer: the On-Premise 201s (POST /v1/messages,
// POST /v1/media), the Messaging API's error bodies in each route's own format (reference §4.3,
// §6), the 429 of the Partner API's rate-limited routes (reference §1.5), and no 200 where a route
// only ever answers 201. Each documented answer is also provoked and compared with the document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelKey, partnerKey, startTestApp, type HttpResponse, type TestApp } from './helpers/app.ts';
import { describeEachDb } from './helpers/db.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
}
interface Operation {
  security?: Record<string, unknown>[];
  responses?: Record<string, { description?: string; content?: { 'application/json'?: { schema?: Schema } } }>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

const ADMIN = 'audit-openapi-admin-token';

const schemaOf = (op: Operation | undefined, status: number): Schema | undefined => op?.responses?.[String(status)]?.content?.['application/json']?.schema;

/** Whether a JSON value has the documented shape: types, required keys, nested objects and arrays. */
function conforms(value: unknown, s: Schema | undefined): boolean {
  if (!s) return false;
  if (s.anyOf) return s.anyOf.some((alt) => conforms(value, alt));
  if (s.type === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const o = value as Record<string, unknown>;
    if ((s.required ?? []).some((k) => !(k in o))) return false;
    return Object.entries(s.properties ?? {}).every(([k, p]) => !(k in o) || conforms(o[k], p));
  }
  if (s.type === 'array') return Array.isArray(value) && value.every((v) => conforms(v, s.items ?? {}));
  if (s.type === 'string') return typeof value === 'string';
  if (s.type === 'integer') return Number.isInteger(value);
  if (s.type === 'number') return typeof value === 'number';
  if (s.type === 'boolean') return typeof value === 'boolean';
  return true;
}

function expectDocumented(doc: Doc, path: string, method: string, res: HttpResponse): void {
  const op = doc.paths[path]?.[method];
  const schema = schemaOf(op, res.status);
  expect(schema, `${method.toUpperCase()} ${path} documents ${res.status}`).toBeDefined();
  expect(conforms(res.body, schema), `${method.toUpperCase()} ${path} ${res.status}: ${res.text} against ${JSON.stringify(schema)}`).toBe(true);
}

describeEachDb('the OpenAPI document against the answers', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let doc: Doc;
  let onprem: { key: string };
  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    a = await t.tenant();
    doc = (await t.get('/openapi.json')).body as Doc;
    // A second number of the same client, hosted On-Premise, with its own key.
    const ch = await t.post(`/admin/partners/${a.partner_id}/clients/${a.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930111100078', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const key = await t.post(`/api/v2/partners/${a.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(a.partner_api_key) });
    expect(key.status, key.text).toBe(201);
    onprem = { key: key.body.api_key };
  });
  afterAll(() => t.close());

  describe('On-Premise answers of 201', () => {
    it('POST /v1/messages: 201 for a send, 200 for a mark as read, as documented', async () => {
      const op = doc.paths['/v1/messages']!.post!;
      expect(Object.keys(op.responses ?? {})).toEqual(expect.arrayContaining(['200', '201']));
      expect(schemaOf(op, 201)?.required).toEqual(expect.arrayContaining(['contacts', 'messages', 'meta']));
      const inbound = await t.post('/sandbox/v1/inbound', { headers: channelKey(onprem.key), json: { from: '4915112345678', type: 'text', text: { body: 'Hi' } } });
      expect(inbound.status, inbound.text).toBe(200);
      const sent = await t.post('/v1/messages', { headers: channelKey(onprem.key), json: { to: '4915112345678', type: 'text', text: { body: 'Hello' } } });
      expect(sent.status, sent.text).toBe(201);
      expectDocumented(doc, '/v1/messages', 'post', sent);
      const read = await t.post('/v1/messages', { headers: channelKey(onprem.key), json: { status: 'read', message_id: inbound.body.messages[0].id } });
      expect(read.status, read.text).toBe(200);
      expectDocumented(doc, '/v1/messages', 'post', read);
    });

    it('POST /v1/media: 201 with media[].id, as documented', async () => {
      const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 1)]);
      const up = await t.post('/v1/media', { headers: { ...channelKey(onprem.key), 'content-type': 'image/png' }, raw: png });
      expect(up.status, up.text).toBe(201);
      expectDocumented(doc, '/v1/media', 'post', up);
      expect(schemaOf(doc.paths['/v1/media']!.post, 200)).toBeUndefined();
    });
  });

  describe("the Messaging API's error bodies", () => {
    const messagingRoutes = () =>
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op.security?.some((s) => 'D360ApiKey' in s))
          .map(([method, op]) => ({ path, method, op })),
      );

    it('every route documents its 401 (360dialog\'s key error) and its 400 in its own format', () => {
      const routes = messagingRoutes();
      expect(routes.length).toBeGreaterThan(40);
      for (const { path, method, op } of routes) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(schemaOf(op, 401)?.required, where).toEqual(['meta']);
        const bad = schemaOf(op, 400);
        if (path === '/multi_webhook') expect(bad?.properties?.error?.type, where).toBe('string');
        else if (path.startsWith('/v1/configs/templates')) expect(bad?.anyOf?.map((s) => s.required), where).toEqual([['error'], ['errors']]);
        else if (path.startsWith('/v1/')) expect(bad?.required, where).toEqual(['errors']);
        else expect(bad?.required, where).toEqual(['error']);
      }
    });

    it('the answers have the documented shapes: a missing key, and a bad request on each flavour', async () => {
      const noKey = await t.post('/messages', { json: {} });
      expect(noKey.status).toBe(401);
      expectDocumented(doc, '/messages', 'post', noKey);
      const noKeyV1 = await t.get('/v1/configs/phone_number');
      expect(noKeyV1.status).toBe(401);
      expectDocumented(doc, '/v1/configs/phone_number', 'get', noKeyV1);

      const cloud = await t.post('/messages', { headers: channelKey(a.channel_api_key), json: { messaging_product: 'whatsapp', to: '4915112345678', type: 'text', text: {} } });
      expect(cloud.status).toBe(400);
      expectDocumented(doc, '/messages', 'post', cloud);
      // The error's fields keep the order Meta writes them in.
      expect(Object.keys(cloud.body.error)).toEqual(['message', 'type', 'code', 'error_data', 'fbtrace_id']);

      const v1 = await t.post('/v1/messages', { headers: channelKey(onprem.key), json: { to: '4915112345678', type: 'bogus' } });
      expect(v1.status).toBe(400);
      expectDocumented(doc, '/v1/messages', 'post', v1);

      for (const key of [a.channel_api_key, onprem.key]) {
        const list = await t.get('/v1/configs/templates', { headers: channelKey(key), query: { filters: '{bad' } });
        expect(list.status).toBe(400);
        expectDocumented(doc, '/v1/configs/templates', 'get', list);
      }
      const multi = await t.post('/multi_webhook', { headers: channelKey(a.channel_api_key), json: { enabled: 'yes' } });
      expect(multi.status).toBe(400);
      expectDocumented(doc, '/multi_webhook', 'post', multi);
    });
  });

  describe('the Partner API', () => {
    it('the rate-limited routes document their 429, which comes with Retry-After', async () => {
      const limited = [
        ['/api/v2/partners/{partner_id}/clients/{client_id}/info/balance', 'get'],
        ['/api/v2/partners/{partner_id}/clients/{client_id}/channels/{channel_id}/info/balance', 'get'],
        ['/api/v2/partners/{partner_id}/waba_accounts/{waba_account_id}/waba_templates', 'get'],
        ['/api/v2/partners/{partner_id}/waba_accounts/{waba_account_id}/waba_templates', 'post'],
      ] as const;
      for (const [path, method] of limited) expect(schemaOf(doc.paths[path]?.[method], 429)?.required, `${method} ${path}`).toEqual(['meta']);
      let last: HttpResponse | undefined;
      for (let i = 0; i < 6; i++) last = await t.get(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}/info/balance`, { headers: partnerKey(a.partner_api_key) });
      expect(last!.status).toBe(429);
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
      expectDocumented(doc, limited[0][0], 'get', last!);
    });

    it("POST …/channels/{channel_id}/api_keys documents the 201 it answers, and no 200", async () => {
      const op = doc.paths['/api/v2/partners/{partner_id}/channels/{channel_id}/api_keys']!.post!;
      expect(schemaOf(op, 200)).toBeUndefined();
      const res = await t.post(`/api/v2/partners/${a.partner_id}/channels/${a.channel_id}/api_keys`, { headers: partnerKey(a.partner_api_key) });
      expect(res.status).toBe(201);
      expectDocumented(doc, '/api/v2/partners/{partner_id}/channels/{channel_id}/api_keys', 'post', res);
    });
  });
});
