import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { wabaNamespaceOf } from './send-fixtures.ts';

const ADMIN = 'b'.repeat(32);

describeEachDb('sandbox: an On-Premise channel gets On-Premise webhooks', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let key: Record<string, string>;
  /** The namespace of the On-Premise channel's WABA. */
  let namespace: string;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123456789', phone_name: 'Legacy' },
    });
    expect(ch.status).toBe(201);
    expect(ch.body.hosting_platform_type).toBe('on_premise');
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    key = { 'd360-api-key': k.body.api_key };
    const waba = await t.deps.db.kysely.selectFrom('channels').select('waba_account_id').where('id', '=', ch.body.id).executeTakeFirstOrThrow();
    namespace = await wabaNamespaceOf(t, { ...p, waba_account_id: waba.waba_account_id });
    expect((await t.post('/v1/configs/webhook', { headers: key, json: { url: receiver.url } })).status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('inbound arrives as top-level contacts and messages', async () => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key, json: { from: '4917600000009', name: 'Otto', text: { body: 'moin' } } });
    expect(res.status).toBe(200);
    await receiver.waitFor(1);
    expect(receiver.bodies()[0]).toEqual({
      contacts: [{ profile: { name: 'Otto' }, wa_id: '4917600000009' }],
      messages: [{ from: '4917600000009', id: res.body.messages[0].id, timestamp: expect.stringMatching(/^\d+$/), type: 'text', text: { body: 'moin' } }],
    });
    // On-Premise ids (reference §6), URL-safe: marking it read takes it in the path as it is.
    expect(res.body.messages[0].id).toMatch(/^gBEG[A-Za-z0-9_-]{23}$/);
    const read = await t.request('PUT', `/v1/messages/${res.body.messages[0].id}`, { headers: key, json: { status: 'read' } });
    expect(read.status).toBe(200);
    const row = await t.deps.db.kysely.selectFrom('messages').select('read_at').where('id', '=', res.body.messages[0].id).executeTakeFirstOrThrow();
    expect(row.read_at).not.toBeNull();
  });

  it('an On-Premise send answers 201 and its statuses are top-level arrays', async () => {
    const sent = await t.post('/v1/messages', { headers: key, json: { recipient_type: 'individual', to: '4917600000009', type: 'text', text: { body: 'hi Otto' }, preview_url: false } });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ messages: [{ id: expect.stringMatching(/^gBEG[A-Za-z0-9_-]{23}$/) }], contacts: [{ input: '4917600000009', wa_id: '4917600000009' }], meta: { api_status: 'stable' } });
    await receiver.waitFor(4);
    const statuses = receiver.bodies().slice(1).map((b) => b.statuses[0]);
    // Concurrent deliveries may arrive out of order; each status is sent once.
    expect(statuses.map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
    expect(statuses.find((s) => s.status === 'sent')).toMatchObject({ id: sent.body.messages[0].id, recipient_id: '4917600000009', type: 'message' });
    expect(receiver.bodies()[1].object).toBeUndefined();
  });

  it('a Cloud-style send to the same channel is accepted too; failures carry On-Premise errors', async () => {
    const n = receiver.requests.length;
    const sent = await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: '4917600000010', text: { body: 'cold' } } });
    expect(sent.status).toBe(200);
    await receiver.waitFor(n + 1);
    expect(receiver.bodies()[n].statuses[0]).toMatchObject({ status: 'failed', errors: [{ code: 131047, title: 'Re-engagement message', details: expect.any(String) }] });
  });

  it('POST /v1/messages takes a Cloud body as well (the sandbox host accepts both styles), answering On-Premise', async () => {
    const cloud = await t.post('/v1/messages', {
      headers: key,
      json: { messaging_product: 'whatsapp', recipient_type: 'individual', to: '4917600000013', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } },
    });
    expect(cloud.status).toBe(201);
    expect(cloud.body).toMatchObject({ messages: [{ id: expect.stringMatching(/^gBEG[A-Za-z0-9_-]{23}$/) }], contacts: [{ input: '4917600000013', wa_id: '4917600000013' }], meta: { api_status: 'stable' } });
    const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'template_name']).where('id', '=', cloud.body.messages[0].id).executeTakeFirstOrThrow();
    expect(row).toEqual({ type: 'template', template_name: 'hello_world' });
    // Checked by the Cloud rules, refused in the On-Premise error format.
    const wrong = await t.post('/v1/messages', { headers: key, json: { messaging_product: 'sms', to: '4917600000013', text: { body: 'x' } } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].details).toMatch(/^messaging_product: must be "whatsapp"/);
    const cloudOnly = await t.post('/v1/messages', { headers: key, json: { messaging_product: 'whatsapp', to: '4917600000013', text: { body: 'x' }, preview_url: true } });
    expect(cloudOnly.status).toBe(400);
    expect(cloudOnly.body.errors[0].details).toMatch(/^preview_url: is not a known field/);
  });

  it('marks an inbound message read with PUT /v1/messages/{id} (ids are safe in URL paths)', async () => {
    const inbound = await t.post('/sandbox/v1/inbound', { headers: key, json: { from: '4917600000012', text: { body: 'read me' } } });
    const id = inbound.body.messages[0].id as string;
    expect(id).not.toMatch(/[/+]/);
    const res = await t.put(`/v1/messages/${id}`, { headers: key, json: { status: 'read' } });
    expect(res.status).toBe(200);
    const row = await t.deps.db.kysely.selectFrom('messages').select(['status', 'read_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('read');
  });

  it('the legacy hsm is a template send', async () => {
    const hsm = await t.post('/v1/messages', {
      headers: key,
      json: { to: '4917600000011', type: 'hsm', hsm: { namespace, element_name: 'hello_world', language: { policy: 'deterministic', code: 'en_US' }, localizable_params: [] } },
    });
    expect(hsm.status).toBe(201);
    const missing = await t.post('/v1/messages', {
      headers: key,
      json: { to: '4917600000011', type: 'template', template: { name: 'nope', language: { policy: 'deterministic', code: 'en_US' }, namespace } },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]).toMatchObject({ code: 132001 });
  });

  it("a template or hsm send naming another namespace than the WABA's is refused as an unknown template (404, 132001, naming the field); Cloud bodies' namespace is ignored", async () => {
    const other = await wabaNamespaceOf(t, await t.tenant());
    const stored = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const template = (ns: string) => ({ to: '4917600000014', type: 'template', template: { namespace: ns, name: 'hello_world', language: { policy: 'deterministic', code: 'en_US' } } });
    const hsm = (ns: string) => ({ to: '4917600000014', type: 'hsm', hsm: { namespace: ns, element_name: 'hello_world', language: { policy: 'deterministic', code: 'en_US' } } });
    // The right namespace first: on SQLite the template is kept then, and a kept one is checked too.
    expect((await t.post('/v1/messages', { headers: key, json: template(namespace) })).status).toBe(201);
    const before = await stored();
    for (const [json, field] of [
      [template(other), 'template.namespace'],
      [template('1212e9fb_86f2_4b6a_9d0e_000000000000'), 'template.namespace'],
      [hsm(other), 'hsm.namespace'],
      [hsm(namespace.toUpperCase()), 'hsm.namespace'],
    ] as const) {
      const res = await t.post('/v1/messages', { headers: key, json });
      expect(res.status, JSON.stringify(res.body)).toBe(404);
      expect(res.body).toMatchObject({ errors: [{ code: 132001, title: 'Template name does not exist in the translation' }], meta: { api_status: 'stable' } });
      const start = `${field}: template name (hello_world) does not exist in en_US in namespace `;
      expect(res.body.errors[0].details.slice(0, start.length)).toBe(start);
    }
    expect(await stored()).toBe(before);
    // Cloud takes a namespace and ignores it, on /messages and in a Cloud body on /v1/messages.
    const cloudBody = { messaging_product: 'whatsapp', to: '4917600000014', type: 'template', template: { namespace: other, name: 'hello_world', language: { code: 'en_US' } } };
    expect((await t.post('/v1/messages', { headers: key, json: cloudBody })).status).toBe(201);
    expect((await t.post('/messages', { headers: key, json: cloudBody })).status).toBe(200);
    // A Cloud-hosted number (the tenant's sandbox channel) takes On-Premise bodies on the sandbox
    // host with any namespace (its clients send 360's sandbox namespace): only On-Premise numbers compare it.
    const cloudKey = { 'd360-api-key': p.channel_api_key };
    expect((await t.post('/v1/messages', { headers: cloudKey, json: template(other) })).status).toBe(201);
    expect((await t.post('/v1/messages', { headers: cloudKey, json: hsm('1212e9fb_86f2_4b6a_9d0e_000000000000') })).status).toBe(201);
  });
});
