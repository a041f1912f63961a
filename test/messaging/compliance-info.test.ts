// India commerce compliance details (Cloud GET/POST /business_compliance_info and Graph's
// /{version}/{phone-number-id}/business_compliance_info; On-Premise GET/POST
// /v1/settings/business/compliance_info) on a sandbox number: given, read back in both shapes,
// Meta's rules refused in each API's own error body naming the field, forms, another tenant's
// number untouched, no key refused. On Meta's network the checked record goes to Meta.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, startTestApp, type TestApp } from '../helpers/app.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import type { FakeGraph } from '../helpers/fake-graph.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const INFO = {
  entity_name: 'Lucky Shrub',
  entity_type: 'PARTNERSHIP',
  is_registered: true,
  grievance_officer_details: { name: 'Chandravati P.', email: 'chandravati@luckyshrub.com', landline_number: '+913857614343', mobile_number: '+913854559033' },
  customer_care_details: { email: 'support@luckyshrub.com', mobile_number: '+913854559033' },
};

describeEachDb('India commerce compliance details on a sandbox number', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  const key = (q: BootstrapResult = p) => ({ 'D360-API-KEY': q.channel_api_key });
  const refused = async (json: unknown, field: string) => {
    const res = await t.post('/business_compliance_info', { headers: key(), json });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException', fbtrace_id: expect.any(String) });
    expect(res.body.error.error_data.details).toContain(field);
    const onprem = await t.post('/v1/settings/business/compliance_info', { headers: key(), json });
    expect(onprem.status, onprem.text).toBe(400);
    expect(onprem.body.errors[0].details).toContain(field);
    expect(onprem.body.meta).toBeDefined();
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    other = await t.tenant();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('given at the root, read back at the root, on the Graph edge and in the On-Premise shape', async () => {
    const empty = await t.get('/business_compliance_info', { headers: key() });
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body).toEqual({ data: [] });

    const set = await t.post('/business_compliance_info', { headers: key(), json: { messaging_product: 'whatsapp', ...INFO } });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toEqual({ success: true });

    const got = await t.get('/business_compliance_info', { headers: key() });
    expect(got.body).toEqual({ data: [{ ...INFO, messaging_product: 'whatsapp' }] });
    const edge = await t.get(`/v22.0/${p.channel_id}/business_compliance_info`, { headers: bearer(p.channel_api_key) });
    expect(edge.status, edge.text).toBe(200);
    expect(edge.body).toEqual(got.body);

    const onprem = await t.get('/v1/settings/business/compliance_info', { headers: key() });
    expect(onprem.status, onprem.text).toBe(200);
    expect(onprem.body.settings.business.compliance_info).toEqual({ ...INFO, entity_type_custom: '' });
    expect(onprem.body.meta).toMatchObject({ api_status: 'stable' });

    // The other tenant's number has none.
    expect((await t.get('/business_compliance_info', { headers: key(other) })).body).toEqual({ data: [] });
  });

  it('On-Premise POST replaces the record; is_registered defaults to true where Meta does not ask', async () => {
    const body = {
      entity_name: 'Shrub Pvt Ltd',
      entity_type: 'Private Company',
      customer_care_details: { email: 'care@shrub.in', landline_number: '+91 385 761 4343' },
      grievance_officer_details: { name: 'A. Rao', email: 'rao@shrub.in', mobile_number: '+913854559000' },
    };
    const res = await t.post('/v1/settings/business/compliance_info', { headers: key(other), json: body });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ meta: expect.objectContaining({ api_status: 'stable' }) });
    const got = await t.get('/business_compliance_info', { headers: key(other) });
    expect(got.body.data).toEqual([{ ...body, is_registered: true, messaging_product: 'whatsapp' }]);
    // The first tenant's record is untouched.
    expect((await t.get('/business_compliance_info', { headers: key() })).body.data[0].entity_name).toBe('Lucky Shrub');
  });

  it('a form body with the objects as JSON text, as Graph takes it', async () => {
    const form = new URLSearchParams({
      entity_name: 'Form Traders',
      entity_type: 'other',
      entity_type_custom: 'Trust',
      is_registered: 'false',
      customer_care_details: JSON.stringify(INFO.customer_care_details),
      grievance_officer_details: JSON.stringify(INFO.grievance_officer_details),
    });
    const res = await t.post('/business_compliance_info', { headers: { ...key(other), 'content-type': 'application/x-www-form-urlencoded' }, raw: form.toString() });
    expect(res.status, res.text).toBe(200);
    const got = (await t.get('/business_compliance_info', { headers: key(other) })).body.data[0];
    expect(got).toMatchObject({ entity_name: 'Form Traders', entity_type: 'other', entity_type_custom: 'Trust', is_registered: false });
  });

  it("Meta's rules refused in each API's own error body, naming the field; nothing stored", async () => {
    const before = (await t.get('/business_compliance_info', { headers: key() })).body;
    const { entity_name: _n, ...noName } = INFO;
    await refused(noName, 'entity_name');
    await refused({ ...INFO, entity_type: 'TRUST' }, 'entity_type');
    await refused({ ...INFO, entity_type: 42 }, 'entity_type');
    const { is_registered: _r, ...noRegistration } = INFO;
    await refused(noRegistration, 'is_registered');
    await refused({ ...INFO, entity_type: 'Other', is_registered: 'maybe' }, 'is_registered');
    await refused({ ...INFO, customer_care_details: { email: 'support@luckyshrub.com' } }, 'customer_care_details');
    await refused({ ...INFO, customer_care_details: { ...INFO.customer_care_details, email: 'not-an-email' } }, 'customer_care_details.email');
    await refused({ ...INFO, customer_care_details: 'care' }, 'customer_care_details');
    await refused({ ...INFO, grievance_officer_details: { ...INFO.grievance_officer_details, name: '' } }, 'grievance_officer_details.name');
    await refused({ ...INFO, grievance_officer_details: { ...INFO.grievance_officer_details, mobile_number: '12ab' } }, 'grievance_officer_details.mobile_number');
    await refused({ ...INFO, grievance_officer_details: { ...INFO.grievance_officer_details, fax: '+913857614343' } }, 'grievance_officer_details.fax');
    const { grievance_officer_details: _g, ...noOfficer } = INFO;
    await refused(noOfficer, 'grievance_officer_details');
    await refused({ ...INFO, messaging_product: 'sms' }, 'messaging_product');
    await refused({ ...INFO, entity_nmae: 'typo' }, 'entity_nmae');
    await refused({ ...INFO, entity_name: 'x'.repeat(257) }, 'entity_name');
    const arr = await t.post('/v1/settings/business/compliance_info', { headers: key(), json: [INFO] });
    expect(arr.status).toBe(400);
    expect(arr.body.errors[0].details).toContain('body');
    expect((await t.get('/business_compliance_info', { headers: key() })).body).toEqual(before);
  });

  it('no key or a wrong key is refused; another number on the Graph path is not reached', async () => {
    const none = await t.get('/business_compliance_info');
    expect(none.status).toBe(401);
    const wrong = await t.post('/v1/settings/business/compliance_info', { headers: { 'D360-API-KEY': 'wrong-key' }, json: INFO });
    expect(wrong.status).toBe(401);
    const foreign = await t.post(`/v22.0/${other.channel_id}/business_compliance_info`, { headers: bearer(p.channel_api_key), json: { ...INFO, entity_name: 'Hijack' } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe(100);
    expect((await t.get('/business_compliance_info', { headers: key(other) })).body.data[0].entity_name).not.toBe('Hijack');
  });
});

const META_NUMBER = '106540352243111';

describeEachDb("India commerce compliance details on Meta's network: Meta's own", (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let p: BootstrapResult;
  let meta: MetaNumber | undefined;

  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: '102290129341111' });
    ({ graph, t, p } = meta);
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("the checked record goes to Meta's edge; Meta's list comes back in both shapes", async () => {
    graph.reset();
    const atMeta = { data: [{ ...INFO, messaging_product: 'whatsapp' }] };
    graph.respond({ status: 200, json: { success: true } }, { status: 200, json: atMeta }, { status: 200, json: atMeta });
    const key = { 'D360-API-KEY': p.channel_api_key };
    const set = await t.post('/business_compliance_info', { headers: key, json: INFO });
    expect(set.status, set.text).toBe(200);
    expect((await t.get('/business_compliance_info', { headers: key })).body).toEqual(atMeta);
    const onprem = await t.get('/v1/settings/business/compliance_info', { headers: key });
    expect(onprem.body.settings.business.compliance_info).toEqual({ ...INFO, entity_type_custom: '' });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['POST', `/${META_NUMBER}/business_compliance_info`],
      ['GET', `/${META_NUMBER}/business_compliance_info`],
      ['GET', `/${META_NUMBER}/business_compliance_info`],
    ]);
    expect(graph.requests[0]!.json).toEqual({ messaging_product: 'whatsapp', ...INFO });
    const bad = await t.post('/business_compliance_info', { headers: key, json: { ...INFO, entity_type: 'NGO' } });
    expect(bad.status).toBe(400);
    expect(graph.requests).toHaveLength(3);
    expect(await t.deps.db.kysely.selectFrom('business_compliance_info').selectAll().execute()).toEqual([]);
  });
});
