// Booleans in form-encoded Partner API bodies as form-building libraries write them: PHP's
// http_build_query writes true as "1" and false as "0"; Python's requests (data={...}) and
// urllib.parse.urlencode write str(True), "True" / "False". In a form, a field the route's schema
// types as a boolean takes those (and any case of true/false); JSON stays strict, and anything
// else ("yes", "on", "2", "") is still refused with the Partner API's 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { describeEachDb } from './helpers/db.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { convertFormTypes, parseFormBody } from '../src/partner-api/form-body.ts';
import { MINIMAL_FLOW_JSON } from './helpers/flows.ts';

const FORM = 'application/x-www-form-urlencoded';

type Scalar = string | number | boolean | null;
type Value = Scalar | Value[] | { [k: string]: Value };

/**
 * PHP's http_build_query($data) as PHP 8 writes it: true → "1", false → "0", null left out,
 * nested arrays as key[0][sub]=…, brackets percent-encoded, spaces as "+" (PHP_QUERY_RFC1738).
 */
function httpBuildQuery(data: Record<string, Value>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*~]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase());
  const out: string[] = [];
  const walk = (key: string, v: Value) => {
    if (v === null) return;
    if (Array.isArray(v)) return v.forEach((x, i) => walk(`${key}[${i}]`, x));
    if (typeof v === 'object') return Object.entries(v).forEach(([k, x]) => walk(`${key}[${k}]`, x));
    out.push(`${enc(key)}=${enc(typeof v === 'boolean' ? (v ? '1' : '0') : String(v))}`);
  };
  for (const [k, v] of Object.entries(data)) walk(k, v);
  return out.join('&');
}

/** Python's urllib.parse.urlencode(data) (what requests sends for data=): str() of each value, so True / False. */
function pythonUrlencode(data: Record<string, Scalar>): string {
  const str = (v: Scalar) => (v === true ? 'True' : v === false ? 'False' : v === null ? 'None' : String(v));
  return Object.entries(data)
    .map(([k, v]) => `${encodeURIComponent(k).replace(/%20/g, '+')}=${encodeURIComponent(str(v)).replace(/%20/g, '+')}`)
    .join('&');
}

describe('form booleans: the conversion', () => {
  const schema = Type.Object({
    enabled: Type.Boolean(),
    maybe: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    label: Type.Optional(Type.Union([Type.Boolean(), Type.String()])),
    nested: Type.Optional(Type.Object({ flags: Type.Array(Type.Boolean()), deep: Type.Object({ on: Type.Boolean() }) })),
    free: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    name: Type.Optional(Type.String()),
    count: Type.Optional(Type.Integer()),
  });
  const convert = (raw: string) => {
    const body = parseFormBody(raw);
    convertFormTypes(schema, body);
    return body;
  };

  it('reads 1/0 and true/false in any case as booleans', () => {
    for (const [raw, want] of [
      ['1', true],
      ['0', false],
      ['True', true],
      ['False', false],
      ['TRUE', true],
      ['fAlSe', false],
      ['true', true],
      ['false', false],
    ] as const) {
      expect(convert(`enabled=${raw}`), raw).toEqual({ enabled: want });
    }
  });

  it('leaves anything else a string, for the validator to refuse', () => {
    for (const raw of ['yes', 'no', 'on', 'off', '2', '-1', '01', '1.0', 'truee', ' true', 'None']) {
      expect(convert(`enabled=${encodeURIComponent(raw)}`), raw).toEqual({ enabled: raw });
    }
    // Empty is not false: still a string (or null where null is allowed, as before).
    expect(convert('enabled=')).toEqual({ enabled: '' });
    expect(convert('maybe=')).toEqual({ maybe: null });
  });

  it('follows the schema: nested objects, arrays, records and nullable unions', () => {
    expect(convert('maybe=1&nested[flags][0]=1&nested[flags][1]=False&nested[deep][on]=0&free[a]=TRUE&free[b]=0')).toEqual({
      maybe: true,
      nested: { flags: [true, false], deep: { on: false } },
      free: { a: true, b: false },
    });
  });

  it('keeps text where the field is text, or may be text', () => {
    expect(convert('name=1&label=1&count=1')).toEqual({ name: '1', label: '1', count: 1 });
    expect(convert('name=True&label=False')).toEqual({ name: 'True', label: 'False' });
  });

  it('keeps fields the schema does not name as they came', () => {
    expect(convert('enabled=1&other=1')).toEqual({ enabled: true, other: '1' });
  });
});

describeEachDb('Partner API: booleans in form bodies as PHP and Python write them', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;

  const asForm = (raw: string) => ({ headers: { ...partnerKey(a.partner_api_key), 'content-type': FORM }, raw });
  const asJson = (json: unknown) => ({ headers: partnerKey(a.partner_api_key), json });
  const partnerPath = () => `/api/v2/partners/${a.partner_id}`;
  const cancellation = () => `/api/v2/partners/${a.partner_id}/clients/${a.client_id}/channels/${a.channel_id}/control/cancellation_request`;
  const templatesPath = () => `/api/v2/partners/${a.partner_id}/waba_accounts/${a.waba_account_id}/waba_templates`;
  const flowsPath = () => `/api/v2/partners/${a.partner_id}/waba_accounts/${a.waba_account_id}/flows`;

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
  });
  afterAll(() => t?.close());

  it('the helpers write what PHP and Python write', () => {
    expect(httpBuildQuery({ enabled: true })).toBe('enabled=1');
    expect(httpBuildQuery({ enabled: false, components: [{ type: 'BODY', text: 'Hi there' }] })).toBe('enabled=0&components%5B0%5D%5Btype%5D=BODY&components%5B0%5D%5Btext%5D=Hi+there');
    expect(pythonUrlencode({ enabled: true, webhook_url: 'https://example.com/a b' })).toBe('enabled=True&webhook_url=https%3A%2F%2Fexample.com%2Fa+b');
  });

  it('PHP: cancellation_request enabled=1 / enabled=0', async () => {
    const on = await t.post(cancellation(), asForm(httpBuildQuery({ enabled: true })));
    expect(on.status, on.text).toBe(200);
    expect(on.body.cancellation_requested_at).toEqual(expect.any(String));
    const off = await t.post(cancellation(), asForm(httpBuildQuery({ enabled: false })));
    expect(off.status, off.text).toBe(200);
    expect(off.body.cancellation_requested_at).toBeNull();
  });

  it('Python: cancellation_request enabled=True / enabled=False', async () => {
    const on = await t.post(cancellation(), asForm(pythonUrlencode({ enabled: true })));
    expect(on.status, on.text).toBe(200);
    expect(on.body.cancellation_requested_at).toEqual(expect.any(String));
    const off = await t.post(cancellation(), asForm(pythonUrlencode({ enabled: false })));
    expect(off.status, off.text).toBe(200);
    expect(off.body.cancellation_requested_at).toBeNull();
  });

  it('PHP and Python: PATCH /partners/{pid} allow_client_to_add_phone_no, read back as the boolean', async () => {
    const php = await t.patch(partnerPath(), asForm(httpBuildQuery({ allow_client_to_add_phone_no: false, brand_name: 'PHP Shop' })));
    expect(php.status, php.text).toBe(200);
    expect(php.body).toMatchObject({ allow_client_to_add_phone_no: false, brand_name: 'PHP Shop' });
    const py = await t.patch(partnerPath(), asForm(pythonUrlencode({ allow_client_to_add_phone_no: true, brand_name: 'Py Shop' })));
    expect(py.status, py.text).toBe(200);
    expect(py.body).toMatchObject({ allow_client_to_add_phone_no: true, brand_name: 'Py Shop' });
    const upper = await t.patch(partnerPath(), asForm('allow_client_to_add_phone_no=FALSE'));
    expect(upper.body.allow_client_to_add_phone_no).toBe(false);
    const stored = await t.get(partnerPath(), { headers: partnerKey(a.partner_api_key) });
    expect(stored.body.allow_client_to_add_phone_no).toBe(false);
  });

  it('PHP: a template with allow_category_change=1 and nested components (a route that checks its own body)', async () => {
    const raw = httpBuildQuery({ name: 'php_bool_flag', category: 'MARKETING', language: 'en_US', allow_category_change: true, components: [{ type: 'BODY', text: 'Hi there' }] });
    expect(raw).toContain('allow_category_change=1');
    const res = await t.post(templatesPath(), asForm(raw));
    expect(res.status, res.text).toBe(201);
    expect(res.body.components).toEqual([{ type: 'BODY', text: 'Hi there' }]);
    const py = await t.post(templatesPath(), asForm(`${pythonUrlencode({ name: 'py_bool_flag', category: 'UTILITY', language: 'en', allow_category_change: false })}&components[0][type]=BODY&components[0][text]=Hello`));
    expect(py.status, py.text).toBe(201);
  });

  it('Python: a flow created with publish=True is published', async () => {
    const raw = `${pythonUrlencode({ name: 'Py published', publish: true, flow_json: JSON.stringify(MINIMAL_FLOW_JSON) })}&categories[]=OTHER`;
    const res = await t.post(flowsPath(), asForm(raw));
    expect(res.status, res.text).toBe(201);
    const read = await t.get(`${flowsPath()}/${res.body.id}`, { headers: partnerKey(a.partner_api_key), query: { fields: 'name,status' } });
    expect(read.body).toMatchObject({ status: 'PUBLISHED' });
  });

  it('anything else is still refused with the Partner API’s 400 naming the field', async () => {
    for (const raw of ['enabled=yes', 'enabled=on', 'enabled=2', 'enabled=', 'enabled=None', 'enabled=1&enabled=0']) {
      expectPartnerError(await t.post(cancellation(), asForm(raw)), 400, /enabled/);
    }
    expectPartnerError(await t.patch(partnerPath(), asForm('allow_client_to_add_phone_no=y')), 400, /allow_client_to_add_phone_no/);
    expectPartnerError(
      await t.post(templatesPath(), asForm('name=bad_flag_form&category=MARKETING&language=en&allow_category_change=Yes&components[0][type]=BODY&components[0][text]=Hi')),
      400,
      /allow_category_change/,
    );
  });

  it('JSON stays strict: "1", 1, "True" are no booleans there', async () => {
    for (const enabled of ['1', 1, 'True', 'true', 0]) {
      expectPartnerError(await t.post(cancellation(), asJson({ enabled })), 400, /enabled/);
    }
    expectPartnerError(await t.patch(partnerPath(), asJson({ allow_client_to_add_phone_no: 1 })), 400, /allow_client_to_add_phone_no/);
    const res = await t.post(templatesPath(), asJson({ name: 'json_one_flag', category: 'MARKETING', language: 'en', allow_category_change: 1, components: [{ type: 'BODY', text: 'Hi' }] }));
    expectPartnerError(res, 400, /allow_category_change/);
  });

  it('a text field keeps "1" and "True" as text', async () => {
    const key = await t.post(`/api/v2/partners/${a.partner_id}/api_keys`, asForm(pythonUrlencode({ name: 'True' })));
    expect(key.status, key.text).toBe(201);
    expect(key.body.name).toBe('True');
    const client = await t.patch(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, asForm(httpBuildQuery({ partner_payload: '1' })));
    expect(client.body.partner_payload).toBe('1');
  });
});
