// A flow's endpoint_uri follows the platform's webhook URL policy (OPENWABA_WEBHOOK_URL_POLICY):
// in production (`strict`, its default there) only https on a public host, refused in Meta's
// Flows format — "(#100) Invalid Endpoint URI: endpoint_uri <the broken rule>" — on create, on
// update, in the Hub's form, and at publish time for one stored under another policy; in local
// development (`local`, the default elsewhere) http://localhost is taken.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { describeEachDb } from './helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { HubClient } from './web/hub-client.ts';

const ENDPOINT_FLOW_JSON = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { WELCOME: [] },
  screens: [
    {
      id: 'WELCOME',
      title: 'Welcome',
      terminal: true,
      layout: { type: 'SingleColumnLayout', children: [{ type: 'Footer', label: 'Done', 'on-click-action': { name: 'complete', payload: {} } }] },
    },
  ],
};
const STRICT = '(OPENWABA_WEBHOOK_URL_POLICY=strict)';
const invalid = (rule: string) => `(#100) Invalid Endpoint URI: endpoint_uri ${rule}`;

/** As the template engine escapes text. */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

describeEachDb('Flows: endpoint_uri and the webhook URL policy', (kind) => {
  let n = 0;
  const flowsPath = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`;
  const auth = (p: BootstrapResult) => ({ headers: partnerKey(p.partner_api_key) });
  const create = (t: TestApp, p: BootstrapResult, body: Record<string, unknown> = {}) =>
    t.post(flowsPath(p), { ...auth(p), json: { name: `endpoint flow ${++n}`, categories: ['SIGN_UP'], ...body } });
  const get = async (t: TestApp, p: BootstrapResult, id: string) => (await t.get(`${flowsPath(p)}/${id}`, { ...auth(p), query: { fields: 'name,status,endpoint_uri' } })).body;

  /** A DRAFT flow that uses an endpoint, with its Flow JSON and a business key on the WABA's number: ready to publish but for its endpoint_uri. */
  async function endpointFlow(t: TestApp, p: BootstrapResult): Promise<string> {
    const created = await create(t, p, { flow_json: JSON.stringify(ENDPOINT_FLOW_JSON) });
    expect(created.status, created.text).toBe(201);
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const key = await t.post('/whatsapp_business_encryption', {
      headers: { ...channelKey(p.channel_api_key), 'content-type': 'application/x-www-form-urlencoded' },
      raw: new URLSearchParams({ business_public_key: pem }).toString(),
    });
    expect(key.status, key.text).toBe(200);
    return created.body.id as string;
  }

  describe('in production (strict, the default there)', () => {
    let t: TestApp;
    let a: BootstrapResult;
    beforeAll(async () => {
      t = await startTestApp(kind, { env: { NODE_ENV: 'production' } });
      a = await t.tenant({ clientName: 'Strict Client' });
    });
    afterAll(() => t?.close());

    it('runs under the strict policy without being told', () => {
      expect(t.deps.config.webhookUrlPolicy).toBe('strict');
    });

    it.each([
      ['http', 'http://example.com/flow', invalid(`must use https ${STRICT}`)],
      ['http on localhost', 'http://localhost:3000/flow', invalid(`must use https ${STRICT}`)],
      ['https on loopback', 'https://localhost/flow', invalid('must not point to a private, loopback, link-local or reserved address')],
      ['https on 127.0.0.1', 'https://127.0.0.1/flow', invalid('must not point to a private, loopback, link-local or reserved address')],
      ['https on a private address', 'https://10.1.2.3/flow', invalid('must not point to a private, loopback, link-local or reserved address')],
      ['an explicit port', 'https://example.com:8443/flow', invalid('must not contain an explicit port such as :3000')],
      ['credentials', 'https://user:secret@example.com/flow', invalid('must not contain credentials')],
      ['another scheme', 'ftp://example.com/flow', invalid('must use https')],
      ['not a URL', 'flow endpoint', invalid('must be an absolute URL such as https://example.com/webhook')],
      ['too long', `https://example.com/${'x'.repeat(2048)}`, invalid('must be an absolute https:// URL of at most 2048 characters')],
      ['not a string', 42, invalid('must be an absolute https:// URL of at most 2048 characters')],
    ])('creating with %s is refused naming the field and the rule', async (_label, endpoint_uri, message) => {
      const res = await create(t, a, { endpoint_uri });
      expectPartnerError(res, 400, message);
    });

    it('https on a public host is taken; an update to http is refused and changes nothing', async () => {
      const res = await create(t, a, { endpoint_uri: 'https://flows.example.com/endpoint' });
      expect(res.status, res.text).toBe(201);
      const id = res.body.id as string;
      expect((await get(t, a, id)).endpoint_uri).toBe('https://flows.example.com/endpoint');

      const update = await t.post(`${flowsPath(a)}/${id}`, { ...auth(a), json: { endpoint_uri: 'http://flows.example.com/endpoint' } });
      expectPartnerError(update, 400, invalid(`must use https ${STRICT}`));
      expect(update.body.meta.developer_message).toBe(invalid(`must use https ${STRICT}`));
      expect((await get(t, a, id)).endpoint_uri).toBe('https://flows.example.com/endpoint');
      // Clearing it stays possible.
      expect((await t.post(`${flowsPath(a)}/${id}`, { ...auth(a), json: { endpoint_uri: null } })).status).toBe(200);
      expect((await get(t, a, id)).endpoint_uri).toBeUndefined();
    });

    it('an endpoint stored under another policy (an http one) stops the publication until it is replaced', async () => {
      const id = await endpointFlow(t, a);
      // As a flow made on a `local` server and carried over: written past today's check.
      await t.deps.db.kysely.updateTable('flows').set({ endpoint_uri: 'http://localhost:3000/flow' }).where('id', '=', id).execute();
      const refused = await t.post(`${flowsPath(a)}/${id}/publish`, auth(a));
      expectPartnerError(refused, 400);
      expect(refused.body.meta.developer_message).toBe(`${invalid(`must use https ${STRICT}`)}; set another endpoint_uri for flow ${id} before publishing it`);
      expect((await get(t, a, id)).status).toBe('DRAFT');

      expect((await t.post(`${flowsPath(a)}/${id}`, { ...auth(a), json: { endpoint_uri: 'https://flows.example.com/endpoint' } })).status).toBe(200);
      expect((await t.post(`${flowsPath(a)}/${id}/publish`, auth(a))).body).toEqual({ success: true });
      expect((await get(t, a, id)).status).toBe('PUBLISHED');
    });

    it("the Hub's form refuses it in the same words, at the endpoint field", async () => {
      const api = await create(t, a, { name: 'hub twin', endpoint_uri: 'http://localhost:3000/flow' });
      expectPartnerError(api, 400);
      const hub = new HubClient(t.baseUrl);
      expect((await hub.login(a.username, a.password)).status).toBe(303);
      const form = await hub.get(`/hub/partner/${a.partner_id}/flows/new`);
      expect(form.html).toContain('https, on a public host.');
      const res = await hub.post(`/hub/partner/${a.partner_id}/flows/new`, { waba_account_id: a.waba_account_id, name: 'hub twin', categories: 'SIGN_UP', endpoint_uri: 'http://localhost:3000/flow', flow_json: '' });
      expect(res.status).toBe(400);
      expect(res.html).toContain(`<p class="error field-error" id="fl-endpoint-error">${esc(api.body.meta.developer_message)}</p>`);
      expect(res.html).toContain(`value="http://localhost:3000/flow"`);
      expect((await t.get(flowsPath(a), auth(a))).body.flows.map((f: { name: string }) => f.name)).not.toContain('hub twin');
    });
  });

  describe('in local development (local, the default elsewhere)', () => {
    let t: TestApp;
    let a: BootstrapResult;
    beforeAll(async () => {
      t = await startTestApp(kind);
      a = await t.tenant({ clientName: 'Local Client' });
    });
    afterAll(() => t?.close());

    it('runs under the local policy', () => {
      expect(t.deps.config.webhookUrlPolicy).toBe('local');
    });

    it('takes http://localhost (with its port) and https; publishes a flow whose endpoint is on this laptop', async () => {
      for (const endpoint_uri of ['http://localhost:3000/flow', 'http://127.0.0.1:8080/flow', 'https://flows.example.com:8443/endpoint']) {
        const res = await create(t, a, { endpoint_uri });
        expect(res.status, res.text).toBe(201);
        expect((await get(t, a, res.body.id)).endpoint_uri).toBe(endpoint_uri);
      }
      const id = await endpointFlow(t, a);
      expect((await t.post(`${flowsPath(a)}/${id}`, { ...auth(a), json: { endpoint_uri: 'http://localhost:3000/flow' } })).status).toBe(200);
      expect((await t.post(`${flowsPath(a)}/${id}/publish`, auth(a))).body).toEqual({ success: true });
      expect(await get(t, a, id)).toMatchObject({ status: 'PUBLISHED', endpoint_uri: 'http://localhost:3000/flow' });
    });

    it.each([
      ['another scheme', 'ftp://example.com/flow', invalid('must use https or http')],
      ['credentials', 'http://user:secret@localhost/flow', invalid('must not contain credentials')],
      ['not a URL', '/flow', invalid('must be an absolute URL such as https://example.com/webhook')],
      ['too long', `http://localhost/${'x'.repeat(2048)}`, invalid('must be an absolute http(s):// URL of at most 2048 characters')],
      ['NUL', 'http://localhost/fl\u0000ow', invalid('must not contain NUL characters')],
    ])('still refuses %s', async (_label, endpoint_uri, message) => {
      expectPartnerError(await create(t, a, { endpoint_uri }), 400, message);
    });
  });
});
