// The Partner API takes form-encoded bodies (application/x-www-form-urlencoded) wherever it takes a
// JSON body, as 360dialog's documentation says it does: a form has the same effect and the same
// answer as the JSON body it stands for, "5" and "true" become the integer and the boolean the
// route's schema wants (in forms only: JSON is not coerced), nested fields take the bracket
// notation of PHP's http_build_query and qs, and hostile forms are refused with a 4xx in the
// Partner API's error format without touching Object.prototype.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import qs from 'qs';
import { partnerKey, startTestApp, type HttpResponse, type TestApp } from './helpers/app.ts';
import { describeEachDb } from './helpers/db.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { MINIMAL_FLOW_JSON } from './helpers/flows.ts';

const FORM = 'application/x-www-form-urlencoded';

/** What PHP's http_build_query (and qs) send for a nested value: components[0][type]=BODY&… */
const httpBuildQuery = (body: Record<string, unknown>) => qs.stringify(body, { arrayFormat: 'indices' });

/** The answer without what differs between two calls (times, ids of new rows). */
function stable(body: unknown, drop: string[] = []): unknown {
  if (Array.isArray(body)) return body.map((x) => stable(x, drop));
  if (body !== null && typeof body === 'object') {
    return Object.fromEntries(
      Object.entries(body)
        .filter(([k]) => !['created_at', 'modified_at', 'last_used_at', ...drop].includes(k))
        .map(([k, v]) => [k, stable(v, drop)]),
    );
  }
  return body;
}

function expectPartnerError(res: HttpResponse, status: number, message?: RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body).toMatchObject({ meta: { success: false, http_code: status, developer_message: expect.any(String) } });
  if (message) expect(res.body.meta.developer_message).toMatch(message);
}

describeEachDb('Partner API: form-encoded request bodies', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;

  const asJson = (p: BootstrapResult, json: unknown) => ({ headers: partnerKey(p.partner_api_key), json });
  const asForm = (p: BootstrapResult, raw: string, contentType = FORM) => ({ headers: { ...partnerKey(p.partner_api_key), 'content-type': contentType }, raw });
  const templatesPath = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/waba_templates`;
  const flowsPath = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`;

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t?.close());

  describe('each route with a body: the form has the effect and the answer of the JSON body', () => {
    it('PATCH /partners/{pid}: flat fields and a boolean', async () => {
      const path = `/api/v2/partners/${a.partner_id}`;
      const json = await t.patch(path, asJson(a, { webhook_url: 'https://example.com/json', brand_name: 'Json Brand', allow_client_to_add_phone_no: false, country: 'de' }));
      expect(json.status, json.text).toBe(200);
      expect(json.body).toMatchObject({ webhook_url: 'https://example.com/json', brand_name: 'Json Brand', allow_client_to_add_phone_no: false, country: 'DE' });
      const form = await t.patch(path, asForm(a, 'webhook_url=https%3A%2F%2Fexample.com%2Fform&brand_name=Form+Brand&allow_client_to_add_phone_no=true&country=at'));
      expect(form.status, form.text).toBe(200);
      expect(form.body).toMatchObject({ webhook_url: 'https://example.com/form', brand_name: 'Form Brand', allow_client_to_add_phone_no: true, country: 'AT' });
      // Back to the JSON values by form: then the two answers are the same.
      const again = await t.patch(path, asForm(a, 'webhook_url=https://example.com/json&brand_name=Json%20Brand&allow_client_to_add_phone_no=false&country=de'));
      expect(again.status, again.text).toBe(200);
      expect(stable(again.body)).toEqual(stable(json.body));
      const stored = await t.get(path, { headers: partnerKey(a.partner_api_key) });
      expect(stored.body).toMatchObject({ brand_name: 'Json Brand', allow_client_to_add_phone_no: false });
    });

    it('POST /partners/{pid}/webhook_url: the URL and headers[Name]=value', async () => {
      const path = `/api/v2/partners/${a.partner_id}/webhook_url`;
      const json = await t.post(path, asJson(a, { webhook_url: 'https://example.com/hook', headers: { Authorization: 'Basic abc' } }));
      expect(json.status, json.text).toBe(200);
      const form = await t.post(path, asForm(a, 'webhook_url=https%3A%2F%2Fexample.com%2Fhook&headers[Authorization]=Basic+abc'));
      expect(form.status, form.text).toBe(200);
      expect(stable(form.body)).toEqual(stable(json.body));
      const got = await t.get(path, { headers: partnerKey(a.partner_api_key) });
      expect(got.body).toEqual({ webhook_url: 'https://example.com/hook', headers: { Authorization: 'Basic abc' } });
    });

    it('PATCH /partners/{pid}/clients/{cid}: max_channels=5 is the integer 5', async () => {
      const path = `/api/v2/partners/${a.partner_id}/clients/${a.client_id}`;
      const json = await t.patch(path, asJson(a, { partner_payload: 'from-json', max_channels: 5 }));
      expect(json.status, json.text).toBe(200);
      const form = await t.patch(path, asForm(a, 'partner_payload=from-json&max_channels=5'));
      expect(form.status, form.text).toBe(200);
      expect(form.body.max_channels).toBe(5);
      expect(stable(form.body)).toEqual(stable(json.body));
      const other = await t.patch(path, asForm(a, 'max_channels=7'));
      expect(other.body).toMatchObject({ max_channels: 7, partner_payload: 'from-json' });
    });

    it('POST /partners/{pid}/account_sharing/clients: a new client', async () => {
      const path = `/api/v2/partners/${a.partner_id}/account_sharing/clients`;
      const json = await t.post(path, asJson(a, { name: 'Shared Co', email: 'owner@shared.example', max_channels: 3, organisation: 'Shared' }));
      expect(json.status, json.text).toBe(201);
      const form = await t.post(path, asForm(a, 'name=Shared+Co&email=owner%40shared.example&max_channels=3&organisation=Shared'));
      expect(form.status, form.text).toBe(201);
      expect(form.body.id).not.toBe(json.body.id);
      expect(stable(form.body, ['id'])).toEqual(stable(json.body, ['id']));
      expect(form.body.max_channels).toBe(3);
    });

    it('POST …/control/cancellation_request: enabled=true / enabled=false', async () => {
      const path = `/api/v2/partners/${a.partner_id}/clients/${a.client_id}/channels/${a.channel_id}/control/cancellation_request`;
      const formOn = await t.post(path, asForm(a, 'enabled=true'));
      expect(formOn.status, formOn.text).toBe(200);
      expect(formOn.body.cancellation_requested_at).toEqual(expect.any(String));
      const jsonOff = await t.post(path, asJson(a, { enabled: false }));
      expect(jsonOff.status, jsonOff.text).toBe(200);
      const jsonOn = await t.post(path, asJson(a, { enabled: true }));
      expect(stable(formOn.body, ['cancellation_requested_at'])).toEqual(stable(jsonOn.body, ['cancellation_requested_at']));
      const formOff = await t.post(path, asForm(a, 'enabled=false'));
      expect(formOff.status, formOff.text).toBe(200);
      expect(formOff.body.cancellation_requested_at).toBeNull();
      expect(stable(formOff.body)).toEqual(stable(jsonOff.body));
    });

    it('POST and DELETE /partners/{pid}/channels/{chid}/api_keys: bodyless forms, as curl -d "" sends them', async () => {
      const path = `/api/v2/partners/${b.partner_id}/channels/${b.channel_id}/api_keys`;
      const created = await t.post(path, asForm(b, ''));
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({ api_key: expect.any(String), id: expect.any(String) });
      const listed = await t.get(path, { headers: partnerKey(b.partner_api_key) });
      expect(listed.body.api_keys.map((k: { id: string }) => k.id)).toEqual([created.body.id]);
      const revoked = await t.delete(path, asForm(b, ''));
      expect(revoked.status, revoked.text).toBe(200);
      expect(revoked.body).toEqual({ meta: { success: true, http_code: 200, developer_message: `1 API key(s) of channel ${b.channel_id} revoked` } });
      expect((await t.get(path, { headers: partnerKey(b.partner_api_key) })).body.api_keys).toEqual([]);
      // The same with a JSON content type and no body answers alike.
      const jsonCreated = await t.post(path, { headers: { ...partnerKey(b.partner_api_key), 'content-type': 'application/json' }, raw: '' });
      expect(jsonCreated.status, jsonCreated.text).toBe(201);
      expect(Object.keys(jsonCreated.body).sort()).toEqual(Object.keys(created.body).sort());
    });

    it('POST /partners/{pid}/api_keys: name=…', async () => {
      const path = `/api/v2/partners/${a.partner_id}/api_keys`;
      const json = await t.post(path, asJson(a, { name: 'CI key' }));
      expect(json.status, json.text).toBe(201);
      const form = await t.post(path, asForm(a, 'name=CI+key'));
      expect(form.status, form.text).toBe(201);
      expect(stable(form.body, ['id', 'prefix', 'api_key'])).toEqual(stable(json.body, ['id', 'prefix', 'api_key']));
      const keys = (await t.get(path, { headers: partnerKey(a.partner_api_key) })).body.api_keys as { name: string }[];
      expect(keys.filter((k) => k.name === 'CI key')).toHaveLength(2);
    });

    it('POST /partners/{pid}/webhook_events/retry: status=failed', async () => {
      const path = `/api/v2/partners/${a.partner_id}/webhook_events/retry`;
      const json = await t.post(path, asJson(a, { status: 'failed', created_after: '2000-01-01T00:00:00Z' }));
      expect(json.status, json.text).toBe(200);
      const form = await t.post(path, asForm(a, 'status=failed&created_after=2000-01-01T00%3A00%3A00Z'));
      expect(form.status, form.text).toBe(200);
      expect(form.body).toEqual(json.body);
      expectPartnerError(await t.post(path, asForm(a, 'status=nonsense')), 400);
    });

    it('POST …/waba_templates: components in bracket notation, allow_category_change=true; PATCH likewise', async () => {
      const template = (name: string) => ({
        name,
        category: 'MARKETING',
        language: 'en_US',
        allow_category_change: true,
        components: [
          { type: 'HEADER', format: 'TEXT', text: 'Hello' },
          { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way.', example: { body_text: [['Ann', '1234']] } },
          { type: 'FOOTER', text: 'Thanks' },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop' }, { type: 'URL', text: 'Track', url: 'https://example.com/track' }] },
        ],
      });
      const json = await t.post(templatesPath(a), asJson(a, template('order_json')));
      expect(json.status, json.text).toBe(201);
      const raw = httpBuildQuery(template('order_form'));
      expect(raw).toContain('components%5B1%5D%5Bexample%5D%5Bbody_text%5D%5B0%5D%5B1%5D=1234');
      expect(raw).toContain('allow_category_change=true');
      const form = await t.post(templatesPath(a), asForm(a, raw));
      expect(form.status, form.text).toBe(201);
      expect(form.body.components).toEqual(json.body.components);
      expect(stable(form.body, ['id', 'external_id', 'name'])).toEqual(stable(json.body, ['id', 'external_id', 'name']));
      // Unencoded brackets, as curl -d sends them.
      const curl = await t.post(templatesPath(a), asForm(a, 'name=order_curl&category=MARKETING&language=en_US&components[0][type]=BODY&components[0][text]=Hi+there'));
      expect(curl.status, curl.text).toBe(201);
      expect(curl.body.components).toEqual([{ type: 'BODY', text: 'Hi there' }]);

      // Edits: of each tenant's approved hello_world, one by JSON, one by form.
      const helloOf = async (p: BootstrapResult) => {
        const list = await t.get(templatesPath(p), { headers: partnerKey(p.partner_api_key), query: { filters: JSON.stringify({ name: 'hello_world' }) } });
        const hello = (list.body.waba_templates as { id: string; status: string; components: unknown }[])[0]!;
        expect(hello.status).toBe('APPROVED');
        return hello;
      };
      const edit = { components: [{ type: 'BODY', text: 'Hi {{1}}, updated.', example: { body_text: [['Ann']] } }], allow_category_change: false };
      const jsonEdit = await t.patch(`${templatesPath(a)}/${(await helloOf(a)).id}`, asJson(a, edit));
      expect(jsonEdit.status, jsonEdit.text).toBe(200);
      const formHello = await helloOf(b);
      const formEdit = await t.patch(`${templatesPath(b)}/${formHello.id}`, asForm(b, httpBuildQuery(edit)));
      expect(formEdit.status, formEdit.text).toBe(200);
      expect(formEdit.body).toEqual(jsonEdit.body);
      const after = await t.get(templatesPath(b), { headers: partnerKey(b.partner_api_key), query: { filters: JSON.stringify({ id: formHello.id }) } });
      expect(after.body.waba_templates[0].components).toEqual(edit.components);
      const afterJson = await t.get(templatesPath(a), { headers: partnerKey(a.partner_api_key), query: { filters: JSON.stringify({ name: 'hello_world' }) } });
      expect(after.body.waba_templates[0].components).toEqual(afterJson.body.waba_templates[0].components);
    });

    it('POST …/waba_templates: typed fields inside components (an authentication template)', async () => {
      const auth = (name: string) => ({
        name,
        category: 'AUTHENTICATION',
        language: 'en_US',
        components: [
          { type: 'BODY', add_security_recommendation: true },
          { type: 'FOOTER', code_expiration_minutes: 10 },
          { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
        ],
      });
      const json = await t.post(templatesPath(a), asJson(a, auth('otp_json')));
      expect(json.status, json.text).toBe(201);
      const form = await t.post(templatesPath(a), asForm(a, httpBuildQuery(auth('otp_form'))));
      expect(form.status, form.text).toBe(201);
      expect(form.body.components).toEqual(json.body.components);
    });

    it('POST …/flows (categories[]=…, publish=false) and POST …/flows/{id} (name=…)', async () => {
      const json = await t.post(flowsPath(a), asJson(a, { name: 'Sign up', categories: ['SIGN_UP', 'OTHER'], publish: false }));
      expect(json.status, json.text).toBe(201);
      const form = await t.post(flowsPath(b), asForm(b, 'name=Sign+up&categories[]=SIGN_UP&categories[]=OTHER&publish=false'));
      expect(form.status, form.text).toBe(201);
      expect(stable(form.body, ['id'])).toEqual(stable(json.body, ['id']));
      const read = async (p: BootstrapResult, id: string) => (await t.get(`${flowsPath(p)}/${id}`, { headers: partnerKey(p.partner_api_key), query: { fields: 'name,categories,status' } })).body;
      expect(stable(await read(b, form.body.id), ['id'])).toEqual(stable(await read(a, json.body.id), ['id']));
      const renamed = await t.post(`${flowsPath(b)}/${form.body.id}`, asForm(b, 'name=Renamed&categories[0]=CONTACT_US'));
      expect(renamed.status, renamed.text).toBe(200);
      expect(renamed.body).toEqual({ success: true });
      expect(await read(b, form.body.id)).toMatchObject({ name: 'Renamed', categories: ['CONTACT_US'] });
      const jsonRenamed = await t.post(`${flowsPath(a)}/${json.body.id}`, asJson(a, { name: 'Renamed', categories: ['CONTACT_US'] }));
      expect(jsonRenamed.body).toEqual(renamed.body);
      // publish=true is the boolean parseNewFlow wants (refused there as a JSON string).
      const published = await t.post(flowsPath(b), asForm(b, `name=Published&categories[]=OTHER&publish=true&flow_json=${encodeURIComponent(JSON.stringify(MINIMAL_FLOW_JSON))}`));
      expect(published.status, published.text).toBe(201);
      expect(published.body.validation_errors).toEqual([]);
      expect(await read(b, published.body.id)).toMatchObject({ status: 'PUBLISHED' });
      expectPartnerError(await t.post(flowsPath(b), asJson(b, { name: 'Json string flag', categories: ['OTHER'], publish: 'true' })), 400, /publish/);
    });

    it('takes the charset parameter of the content type', async () => {
      const res = await t.patch(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, asForm(a, 'partner_payload=caf%C3%A9', `${FORM}; charset=UTF-8`));
      expect(res.status, res.text).toBe(200);
      expect(res.body.partner_payload).toBe('café');
    });
  });

  describe('types: coerced in forms, by the route schema; never in JSON', () => {
    const clientPath = () => `/api/v2/partners/${a.partner_id}/clients/${a.client_id}`;
    const cancellation = () => `/api/v2/partners/${a.partner_id}/clients/${a.client_id}/channels/${a.channel_id}/control/cancellation_request`;

    it('a JSON "max_channels":"5" and "enabled":"true" are still refused', async () => {
      expectPartnerError(await t.patch(clientPath(), asJson(a, { max_channels: '5' })), 400, /max_channels/);
      expectPartnerError(await t.post(cancellation(), asJson(a, { enabled: 'true' })), 400, /enabled/);
      expectPartnerError(await t.patch(`/api/v2/partners/${a.partner_id}`, asJson(a, { allow_client_to_add_phone_no: 'false' })), 400, /allow_client_to_add_phone_no/);
      // And templates' own checks: a JSON string is no boolean.
      const res = await t.post(templatesPath(a), asJson(a, { name: 'json_string_flag', category: 'MARKETING', language: 'en', allow_category_change: 'true', components: [{ type: 'BODY', text: 'Hi' }] }));
      expectPartnerError(res, 400, /allow_category_change/);
    });

    it('form values that are not of the type stay strings and are refused as JSON would be', async () => {
      for (const raw of ['max_channels=5.5', 'max_channels=five', 'max_channels=', 'max_channels[]=5']) {
        const res = await t.patch(clientPath(), asForm(a, `partner_payload=x&${raw}`));
        if (raw === 'max_channels=') {
          // An empty value of a nullable field is null: "leave the limit as it is", as JSON null.
          expect(res.status, res.text).toBe(200);
          continue;
        }
        expectPartnerError(res, 400, /max_channels/);
      }
      for (const raw of ['enabled=yes', 'enabled=', 'enabled=true&enabled=false']) expectPartnerError(await t.post(cancellation(), asForm(a, raw)), 400, /enabled/);
      expectPartnerError(await t.patch(clientPath(), asForm(a, 'max_channels=5&unknown=1')), 400, /unknown/);
      expectPartnerError(await t.post(templatesPath(a), asForm(a, 'name=form_bad_flag&category=MARKETING&language=en&allow_category_change=maybe&components[0][type]=BODY&components[0][text]=Hi')), 400, /allow_category_change/);
    });

    it('a string field keeps a numeric-looking value as text', async () => {
      const res = await t.patch(clientPath(), asForm(a, 'partner_payload=12345'));
      expect(res.status, res.text).toBe(200);
      expect(res.body.partner_payload).toBe('12345');
      const key = await t.post(`/api/v2/partners/${a.partner_id}/api_keys`, asForm(a, 'name=true'));
      expect(key.status, key.text).toBe(201);
      expect(key.body.name).toBe('true');
    });
  });

  describe('hostile form bodies: a 4xx in the Partner API’s format, Object.prototype untouched', () => {
    const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const clientPath = () => `/api/v2/partners/${a.partner_id}/clients/${a.client_id}`;
    const webhookPath = () => `/api/v2/partners/${a.partner_id}/webhook_url`;

    it('refuses keys that reach a prototype, on closed, open and unchecked bodies', async () => {
      const bodies = [
        '__proto__[polluted]=1',
        '__proto__=1',
        'constructor[prototype][polluted]=1',
        'headers[__proto__][polluted]=1',
        'webhook_url=https://example.com/h&headers[constructor][prototype][polluted]=1',
        '%5F%5Fproto%5F%5F%5Bpolluted%5D=1',
        '__proto__%5Bpolluted%5D=1',
        'a[0][__proto__][polluted]=1',
      ];
      for (const raw of bodies) {
        for (const [method, path] of [
          ['PATCH', clientPath()],
          ['POST', webhookPath()],
          ['POST', templatesPath(a)],
        ] as const) {
          const res = await t.request(method, path, asForm(a, raw));
          expectPartnerError(res, 400, /__proto__|prototype/);
        }
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
      // Nothing was stored either.
      expect((await t.get(webhookPath(), { headers: partnerKey(a.partner_api_key) })).body.headers).not.toHaveProperty('polluted');
    });

    it('a field named like an Object.prototype method is data, as in JSON', async () => {
      const res = await t.patch(clientPath(), asForm(a, 'hasOwnProperty=1&toString=x'));
      expectPartnerError(res, 400, /hasOwnProperty|toString/);
      const ok = await t.post(webhookPath(), asForm(a, 'webhook_url=https://example.com/h&headers[toString]=x'));
      expect(ok.status, ok.text).toBe(200);
      const got = await t.get(webhookPath(), { headers: partnerKey(a.partner_api_key) });
      expect(got.body.headers).toEqual({ toString: 'x' });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('refuses 10,000 fields, deep brackets, long arrays and broken percent-encoding with a 400', async () => {
      const many = Array.from({ length: 10_000 }, (_, i) => `f${i}=1`).join('&');
      expectPartnerError(await t.patch(clientPath(), asForm(a, many)), 400, /more than 1000 fields/);
      expectPartnerError(await t.patch(clientPath(), asForm(a, `a${'[b]'.repeat(40)}=1`)), 400, /deeper/);
      expectPartnerError(await t.post(templatesPath(a), asForm(a, 'components[5000][type]=BODY')), 400, /array/);
      const longArray = Array.from({ length: 150 }, () => 'categories[]=OTHER').join('&');
      expectPartnerError(await t.post(flowsPath(a), asForm(a, `name=x&${longArray}`)), 400, /array/);
      for (const raw of ['partner_payload=%E0%A4%A', 'partner_payload=%ZZ', 'partner_payload=%FF', 'partner%=x', 'partner_payload=100%']) {
        expectPartnerError(await t.patch(clientPath(), asForm(a, raw)), 400, /percent-encoding/);
      }
    });

    it('refuses a form over the body limit with a 413', async () => {
      const res = await t.patch(clientPath(), asForm(a, `partner_payload=${'x'.repeat(1024 * 1024 + 10)}`));
      expectPartnerError(res, 413, /too large/);
    });

    it('the token route keeps its 16 KiB limit for forms and answers in its own format', async () => {
      const res = await t.post('/api/v2/token', { headers: { 'content-type': FORM }, raw: `username=a&password=${'x'.repeat(17 * 1024)}` });
      expect(res.status, res.text).toBe(413);
      expect(res.body).toMatchObject({ error: 'invalid_request', meta: { http_code: 413 } });
      const bad = await t.post('/api/v2/token', { headers: { 'content-type': FORM }, raw: '__proto__[x]=1' });
      expect(bad.status, bad.text).toBe(400);
      expect(bad.body).toMatchObject({ error: 'invalid_request', meta: { http_code: 400 } });
      const ok = await t.post('/api/v2/token', { headers: { 'content-type': FORM }, raw: new URLSearchParams({ username: a.username, password: a.password }).toString() });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.token_type).toBe('bearer');
    });

    it('a bad credential is still a 401 whatever the form', async () => {
      const res = await t.patch(clientPath(), { headers: { ...partnerKey('owpk_wrong'), 'content-type': FORM }, raw: '__proto__[x]=1' });
      expectPartnerError(res, 401);
    });
  });

  describe('documents and limits', () => {
    it('/openapi.json lists both content types for every Partner API route with a body', async () => {
      const doc = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>> };
      const withBody = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/api/v2/'))
        .flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => op.requestBody).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, types: Object.keys(op.requestBody!.content ?? {}) })));
      const at = withBody.map((r) => r.at);
      for (const route of [
        'PATCH /api/v2/partners/{partner_id}',
        'POST /api/v2/partners/{partner_id}/webhook_url',
        'PATCH /api/v2/partners/{partner_id}/clients/{client_id}',
        'POST /api/v2/partners/{partner_id}/account_sharing/clients',
        'POST /api/v2/partners/{partner_id}/clients/{client_id}/channels/{channel_id}/control/cancellation_request',
        'POST /api/v2/partners/{partner_id}/api_keys',
        'POST /api/v2/partners/{partner_id}/webhook_events/retry',
        'POST /api/v2/partners/{partner_id}/waba_accounts/{waba_account_id}/waba_templates',
        'PATCH /api/v2/partners/{partner_id}/waba_accounts/{waba_account_id}/waba_templates/{template_id}',
        'POST /api/v2/partners/{partner_id}/waba_accounts/{waba_account_id}/flows',
        'POST /api/v2/partners/{partner_id}/waba_accounts/{waba_account_id}/flows/{flow_id}',
        'POST /api/v2/token',
      ]) {
        expect(at).toContain(route);
      }
      for (const r of withBody) {
        if (r.types.includes('multipart/form-data')) continue; // the Flow JSON upload
        expect(r.types, r.at).toEqual(expect.arrayContaining(['application/json', FORM]));
      }
    });

    it('the Messaging API still takes JSON only', async () => {
      const res = await t.post('/messages', { headers: { 'D360-API-KEY': a.channel_api_key, 'content-type': FORM }, raw: 'to=4915112345678&type=text&text[body]=Hi' });
      expect(res.status, res.text).toBe(415);
      expect(res.body).toHaveProperty('error');
    });
  });
});
