// Two Graph node reads for clients written for Meta's Cloud API:
// - GET /message_templates/{template-id} (Meta's GET /{template-id}; pywa get_template, Meta's
//   Postman collection): Meta's template object as the list shows each item, `fields=` as the list
//   takes it; another WABA's template, an unknown id and an id that cannot be one answer Graph's
//   400 (code 100, subcode 33); a number on Meta's network asks Meta.
// - wabaNode (src/messaging/waba-node.ts): the key's WABA as Graph's WhatsApp Business Account node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { graphErrorBody } from '../helpers/fake-graph.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import type { ChannelRow } from '../../src/services/channels.ts';
import { wabaNode } from '../../src/messaging/waba-node.ts';
import { ApiError } from '../../src/errors.ts';
import { uploadSample } from './media-fixtures.ts';

const NOT_THERE = (id: string) => `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`;

describeEachDb('GET /message_templates/{template_id} on a sandbox number', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let helloId: string;
  let createdId: string;
  const key = (q: BootstrapResult = p) => channelKey(q.channel_api_key);

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    other = await t.tenant();
    const list = await t.get('/message_templates', { headers: key(), query: { name: 'hello_world' } });
    expect(list.status, list.text).toBe(200);
    helloId = list.body.data[0].id;
    const created = await t.post('/message_templates', {
      headers: key(),
      json: { name: 'order_update', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your order {{1}} has shipped', example: { body_text: [['#1234']] } }] },
    });
    expect(created.status, created.text).toBe(200);
    createdId = created.body.id;
  });
  afterAll(() => t.close());

  it("answers Meta's template object with the list's default fields, as the list shows the item", async () => {
    for (const id of [helloId, createdId]) {
      const one = await t.get(`/message_templates/${id}`, { headers: key() });
      expect(one.status, one.text).toBe(200);
      const listed = (await t.get('/message_templates', { headers: key(), query: { limit: '100' } })).body.data.find((d: { id: string }) => d.id === id);
      expect(one.body).toEqual(listed);
      expect(Object.keys(one.body)).toEqual(['id', 'name', 'language', 'status', 'category', 'parameter_format', 'components']);
    }
    const created = await t.get(`/message_templates/${createdId}`, { headers: bearer(p.channel_api_key) });
    expect(created.body).toEqual({
      id: createdId,
      name: 'order_update',
      language: 'en_US',
      status: 'PENDING',
      category: 'UTILITY',
      parameter_format: 'POSITIONAL',
      components: [{ type: 'BODY', text: 'Your order {{1}} has shipped', example: { body_text: [['#1234']] } }],
    });
  });

  it('fields= names what comes back (id always, first); a field templates do not have is a 400', async () => {
    const some = await t.get(`/message_templates/${helloId}`, { headers: key(), query: { fields: 'name,status, rejected_reason' } });
    expect(some.status, some.text).toBe(200);
    expect(some.body).toEqual({ id: helloId, name: 'hello_world', status: 'APPROVED', rejected_reason: 'NONE' });
    expect(Object.keys(some.body)[0]).toBe('id');
    const blank = await t.get(`/message_templates/${helloId}`, { headers: key(), query: { fields: '' } });
    expect(Object.keys(blank.body)).toEqual(['id', 'name', 'language', 'status', 'category', 'parameter_format', 'components']);
    const bad = await t.get(`/message_templates/${helloId}`, { headers: key(), query: { fields: 'name,secret' } });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 100, fbtrace_id: expect.any(String) });
    expect(bad.body.error.error_data.details).toContain('nonexisting field (secret) on node type (WhatsAppBusinessHSM)');
  });

  it("another WABA's template and an unknown id are Graph's node that is not there (400, 100/33)", async () => {
    for (const [q, id] of [[other, helloId], [other, createdId], [p, '999999999999'], [p, await otherHello()]] as const) {
      const res = await t.get(`/message_templates/${id}`, { headers: key(q) });
      expect(res.status, res.text).toBe(400);
      expect(res.body).toEqual({ error: { message: NOT_THERE(id), type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: expect.any(String) } });
    }
  });

  async function otherHello(): Promise<string> {
    return (await t.get('/message_templates', { headers: key(other), query: { name: 'hello_world' } })).body.data[0].id;
  }

  it("an id that cannot be a template's is a 4xx in Graph's body, never a 5xx", async () => {
    for (const id of ['abc', '12ab', '-1', '1.5', '0x10', '123456789012345678901', '%E2%80%8B', 'a'.repeat(65), '%00']) {
      const res = await t.get(`/message_templates/${id}`, { headers: key() });
      expect(res.status, `${id}: ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${id}: ${res.text}`).toBeLessThan(500);
      expect(res.body.error, id).toMatchObject({ message: expect.any(String), code: 100, fbtrace_id: expect.any(String) });
    }
    const abc = await t.get('/message_templates/abc', { headers: key() });
    expect(abc.body.error).toMatchObject({ message: NOT_THERE('abc'), error_subcode: 33 });
  });

  it('needs the channel key', async () => {
    const res = await t.get(`/message_templates/${helloId}`);
    expect(res.status).toBe(401);
    expect(res.body.meta).toMatchObject({ success: false, http_code: 401 });
  });
});

describeEachDb('GET /message_templates/{template_id} on a number on Meta\'s network', (kind) => {
  const WABA = '102290129340888';
  let meta: MetaNumber;

  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: '106540352242922', wabaId: WABA });
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("asks Meta's GET /{template-id}, fields passed on, and answers Meta's object as Meta gave it", async () => {
    const { graph, t, p } = meta;
    graph.reset();
    const fromMeta = { name: 'seasonal_promo', status: 'APPROVED', quality_score: { score: 'GREEN' }, id: '594425479261596' };
    graph.respond({ status: 200, json: fromMeta }, { status: 200, json: { ...fromMeta, language: 'en_US' } });
    const res = await t.get('/message_templates/594425479261596', { headers: channelKey(p.channel_api_key), query: { fields: 'name,status,quality_score', access_token: 'not-passed-on' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(fromMeta);
    const plain = await t.get('/message_templates/594425479261596', { headers: bearer(p.channel_api_key) });
    expect(plain.body).toEqual({ ...fromMeta, language: 'en_US' });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['GET', '/594425479261596?fields=name%2Cstatus%2Cquality_score'],
      ['GET', '/594425479261596'],
    ]);
  });

  it("Meta's refusal comes back in Graph's body; an id that cannot be one never reaches Meta", async () => {
    const { graph, t, p } = meta;
    graph.reset();
    graph.respond({ status: 400, json: graphErrorBody(100, 'Unsupported get request', { subcode: 33, type: 'GraphMethodException' }) });
    const res = await t.get('/message_templates/777777777777', { headers: channelKey(p.channel_api_key) });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    const bad = await t.get('/message_templates/abc', { headers: channelKey(p.channel_api_key) });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ message: NOT_THERE('abc'), code: 100, error_subcode: 33 });
    expect(graph.requests).toHaveLength(1);
  });
});

describeEachDb('wabaNode: the key\'s WABA as Graph\'s WhatsApp Business Account node', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let ch: ChannelRow;
  const waba = () => t.deps.db.kysely.selectFrom('waba_accounts').selectAll().where('id', '=', p.waba_account_id).executeTakeFirstOrThrow();

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    await t.tenant(); // another WABA beside it
    ch = await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', p.channel_id).executeTakeFirstOrThrow();
  });
  afterAll(() => t.close());

  it("without fields: Meta's default set, id first", async () => {
    const w = await waba();
    for (const fields of [undefined, [], ['', ' ']]) {
      const node = await wabaNode(t.deps, ch, fields);
      expect(node).toEqual({ id: w.external_id, name: w.name, timezone_id: '1', message_template_namespace: w.namespace });
      expect(Object.keys(node)).toEqual(['id', 'name', 'timezone_id', 'message_template_namespace']);
    }
  });

  it("named fields: the WABA's own facts; fields with nothing behind them are left out", async () => {
    const w = await waba();
    const node = await wabaNode(t.deps, ch, ['name', 'account_review_status', 'business_verification_status', 'on_behalf_of_business_info', 'marketing_messages_lite_api_status', 'currency', 'purchase_order_number', 'health_status']);
    expect(node).toEqual({
      id: w.external_id,
      name: w.name,
      account_review_status: 'APPROVED',
      business_verification_status: 'verified',
      on_behalf_of_business_info: { name: w.obo_business_name, id: w.obo_business_id, status: 'APPROVED', type: 'OWNING_BUSINESS' },
      marketing_messages_lite_api_status: 'ONBOARDED',
      // currency: a sandbox value (waba-node.ts); purchase_order_number has nothing behind it, left out.
      currency: 'USD',
      health_status: {
        can_send_message: 'AVAILABLE',
        entities: [
          { entity_type: 'WABA', id: w.external_id, can_send_message: 'AVAILABLE' },
          { entity_type: 'BUSINESS', id: w.fb_business_id, can_send_message: 'AVAILABLE' },
          { entity_type: 'APP', id: ch.app_id, can_send_message: 'AVAILABLE' },
        ],
      },
    });
  });

  it("health_status shows the WABA's restrictions in force (from any of its numbers); the review status follows the stored status", async () => {
    const expiration = new Date(Date.now() + 86_400_000).toISOString();
    await t.deps.db.kysely
      .updateTable('channels')
      .set({ waba_restrictions: JSON.stringify([{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration }]) })
      .where('id', '=', p.channel_id)
      .execute();
    await t.deps.db.kysely.updateTable('waba_accounts').set({ status: 'created', fb_account_status: 'unverified' }).where('id', '=', p.waba_account_id).execute();
    try {
      // The row read before the restriction: the WABA's standing is read from its numbers, not from this row.
      const node = await wabaNode(t.deps, ch, ['health_status', 'account_review_status', 'business_verification_status']);
      expect(node.account_review_status).toBe('PENDING');
      expect(node.business_verification_status).toBe('not_verified');
      const health = node.health_status as { can_send_message: string; entities: { entity_type: string; can_send_message: string; errors?: unknown[] }[] };
      expect(health.can_send_message).toBe('LIMITED');
      expect(health.entities.map((e) => [e.entity_type, e.can_send_message])).toEqual([['WABA', 'LIMITED'], ['BUSINESS', 'AVAILABLE'], ['APP', 'AVAILABLE']]);
      expect(health.entities[0]!.errors).toHaveLength(1);
    } finally {
      await t.deps.db.kysely.updateTable('channels').set({ waba_restrictions: null }).where('id', '=', p.channel_id).execute();
      await t.deps.db.kysely.updateTable('waba_accounts').set({ status: 'approved', fb_account_status: 'verified' }).where('id', '=', p.waba_account_id).execute();
    }
  });

  it("a field the node does not have is Graph's (#100) nonexisting field error, rendered in Meta's body", async () => {
    const err = await wabaNode(t.deps, ch, ['name', 'verified_name']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, extra: { metaCode: 100, title: 'Tried accessing nonexisting field (verified_name) on node type (WhatsAppBusinessAccount)' } });
    expect((err as ApiError).message).toContain('"verified_name" is not a field of a WhatsApp Business Account');
    const long = await wabaNode(t.deps, ch, ['x'.repeat(500)]).catch((e: unknown) => e);
    expect((long as ApiError).status).toBe(400);
    expect(JSON.stringify((long as ApiError).extra).length).toBeLessThan(400);
  });
});

describeEachDb('the bare Graph node GET /{version}/{id}: WABA, template, phone number, media (graph-node.ts)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let helloId: string;
  let otherHelloId: string;
  let wabaExternal: string;
  let phoneId: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    other = await t.tenant();
    const hello = async (q: BootstrapResult) => (await t.get('/message_templates', { headers: channelKey(q.channel_api_key), query: { name: 'hello_world' } })).body.data[0].id as string;
    helloId = await hello(p);
    otherHelloId = await hello(other);
    wabaExternal = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).external_id;
    phoneId = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id;
  });
  afterAll(() => t.close());

  it("the key's WABA by its Meta id or openwaba's: the WhatsApp Business Account node, fields= honoured", async () => {
    const ch = await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    for (const id of [wabaExternal, p.waba_account_id]) {
      const res = await t.get(`/v21.0/${id}`, { headers: bearer(p.channel_api_key) });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual(await wabaNode(t.deps, ch, undefined));
      expect(res.body.id).toBe(wabaExternal);
    }
    const some = await t.get(`/v21.0/${wabaExternal}`, { headers: bearer(p.channel_api_key), query: { fields: 'name,health_status' } });
    expect(some.status, some.text).toBe(200);
    expect(Object.keys(some.body).sort()).toEqual(['health_status', 'id', 'name']);
    const bad = await t.get(`/v21.0/${wabaExternal}`, { headers: bearer(p.channel_api_key), query: { fields: 'secret' } });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.body.error.message).toContain('nonexisting field (secret) on node type (WhatsAppBusinessAccount)');
  });

  it("a template of the key's WABA: Meta's template node, as GET /message_templates/{id} answers it", async () => {
    const res = await t.get(`/v21.0/${helloId}`, { headers: bearer(p.channel_api_key), query: { fields: 'name,status' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id: helloId, name: 'hello_world', status: 'APPROVED' });
    const root = await t.get(`/message_templates/${helloId}`, { headers: channelKey(p.channel_api_key) });
    expect((await t.get(`/v21.0/${helloId}`, { headers: bearer(p.channel_api_key) })).body).toEqual(root.body);
  });

  it("another WABA and another WABA's template are Graph's node that is not there; the phone number node and media still answer", async () => {
    const otherWaba = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', other.waba_account_id).executeTakeFirstOrThrow()).external_id;
    for (const id of [otherWaba, other.waba_account_id, otherHelloId]) {
      const res = await t.get(`/v21.0/${id}`, { headers: bearer(p.channel_api_key) });
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
    }
    const phone = await t.get(`/v21.0/${phoneId}`, { headers: bearer(p.channel_api_key), query: { fields: 'display_phone_number' } });
    expect(phone.status, phone.text).toBe(200);
    expect(phone.body).toEqual({ display_phone_number: expect.any(String), id: phoneId });
    const { id: mediaId } = await uploadSample(t, p.channel_api_key, 'chart.png');
    const media = await t.get(`/v21.0/${mediaId}`, { headers: bearer(p.channel_api_key) });
    expect(media.status, media.text).toBe(200);
    expect(media.body).toMatchObject({ id: mediaId, messaging_product: 'whatsapp' });
  });

  it("at the root, /{id} stays media's: the WABA id there is no media", async () => {
    const res = await t.get(`/${wabaExternal}`, { headers: channelKey(p.channel_api_key) });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
  });
});

describeEachDb("the bare Graph node GET /{version}/{waba-id} on a number on Meta's network", (kind) => {
  const WABA = '102290129340999';
  let meta: MetaNumber;

  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: '106540352242999', wabaId: WABA });
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("asks Meta's GET /{waba-id}, fields passed on, and answers as Meta gave it", async () => {
    const { graph, t, p } = meta;
    graph.reset();
    const fromMeta = { id: WABA, name: 'Acme', currency: 'EUR', timezone_id: '1', message_template_namespace: 'ns_1' };
    graph.respond({ status: 200, json: fromMeta }, { status: 200, json: { id: WABA, name: 'Acme' } });
    const res = await t.get(`/v21.0/${WABA}`, { headers: bearer(p.channel_api_key) });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(fromMeta);
    const some = await t.get(`/v21.0/${WABA}`, { headers: bearer(p.channel_api_key), query: { fields: 'name' } });
    expect(some.body).toEqual({ id: WABA, name: 'Acme' });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['GET', `/${WABA}`],
      ['GET', `/${WABA}?fields=name`],
    ]);
  });
});

describe('the OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(() => t.close());

  it('documents GET /message_templates/{template_id} with its fields parameter and the template object', async () => {
    const doc = (await t.get('/openapi.json')).body;
    const op = doc.paths['/message_templates/{template_id}']?.get;
    expect(op, 'GET documented').toBeDefined();
    expect(op.parameters.map((x: { name: string; in: string }) => `${x.in}:${x.name}`).sort()).toEqual(['path:template_id', 'query:fields']);
    const ok = op.responses['200'].content['application/json'].schema;
    expect(ok.required).toEqual(['id']);
    expect(Object.keys(ok.properties)).toEqual(expect.arrayContaining(['id', 'name', 'language', 'status', 'category', 'parameter_format', 'components', 'rejected_reason']));
    expect(op.responses['400'].content['application/json'].schema.required).toEqual(['error']);
  });
});
