// A flow's health (GET …/flows/{flow_id}?fields=health_status, Meta's field): a flow that uses an
// endpoint has it sent WhatsApp's encrypted health check ({"version":"3.0","action":"ping"}, to be
// answered {"data":{"status":"active"}}) each time, and an endpoint that fails it makes the flow's
// entity BLOCKED with the fault named; the flow's status counts too. Publishing does not ping.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { MINIMAL_FLOW_JSON } from './helpers/flows.ts';
import { FlowEndpoint, useAsBusinessKey } from './helpers/flow-endpoint.ts';
import { Receiver } from './helpers/receiver.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

const ENDPOINT_FLOW = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { WELCOME: [] },
  screens: [
    {
      id: 'WELCOME',
      title: 'Welcome',
      terminal: true,
      layout: { type: 'SingleColumnLayout', children: [{ type: 'Footer', label: 'Done', 'on-click-action': { name: 'data_exchange', payload: {} } }] },
    },
  ],
};

describeEachDb('Flows: health_status pings the endpoint', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let endpoint: FlowEndpoint;
  let waba: { external_id: string; fb_business_id: string };
  let flowId: string;
  let n = 0;
  const flowsPath = (b: BootstrapResult) => `/api/v2/partners/${b.partner_id}/waba_accounts/${b.waba_account_id}/flows`;
  const health = (b: BootstrapResult, id: string, fields = 'health_status') => t.get(`${flowsPath(b)}/${id}`, { headers: partnerKey(b.partner_api_key), query: { fields } });
  const others = () => [
    { entity_type: 'WABA', id: waba.external_id, can_send_message: 'AVAILABLE' },
    { entity_type: 'BUSINESS', id: waba.fb_business_id, can_send_message: 'AVAILABLE' },
  ];
  async function create(b: BootstrapResult, body: Record<string, unknown>): Promise<string> {
    const res = await t.post(flowsPath(b), { headers: partnerKey(b.partner_api_key), json: { name: `health ${++n}`, categories: ['OTHER'], ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  }
  const blocked = (description: string) => ({
    can_send_message: 'BLOCKED',
    entities: [{ entity_type: 'FLOW', id: flowId, can_send_message: 'BLOCKED', errors: [{ error_code: 131000, error_description: description, possible_solution: expect.any(String) }] }, ...others()],
  });

  beforeAll(async () => {
    endpoint = await new FlowEndpoint().start();
    endpoint.handler = (req) => (req.action === 'ping' ? { json: { data: { status: 'active' } } } : { status: 400 });
    t = await startTestApp(kind);
    p = await t.tenant();
    await useAsBusinessKey(t, p.channel_api_key, endpoint);
    waba = await t.deps.db.kysely.selectFrom('waba_accounts').select(['external_id', 'fb_business_id']).where('id', '=', p.waba_account_id).executeTakeFirstOrThrow();
    const before = endpoint.requests.length;
    flowId = await create(p, { endpoint_uri: `${endpoint.url}/flow`, flow_json: JSON.stringify(ENDPOINT_FLOW), publish: true });
    // Publishing does not call the endpoint (GET …?fields=health_status does).
    expect(endpoint.requests.length).toBe(before);
  });
  afterAll(async () => {
    await t?.close();
    await endpoint?.close();
  });

  it("a healthy endpoint: WhatsApp's ping, encrypted; AVAILABLE", async () => {
    const before = endpoint.requests.length;
    const res = await health(p, flowId);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id: flowId, health_status: { can_send_message: 'AVAILABLE', entities: [{ entity_type: 'FLOW', id: flowId, can_send_message: 'AVAILABLE' }, ...others()] } });
    expect(endpoint.requests.length).toBe(before + 1);
    const r = endpoint.requests.at(-1)!;
    expect(r.decrypted).toEqual({ version: '3.0', action: 'ping' });
    expect(r.path).toBe('/flow');
    // No OPENWABA_META_APP_SECRET: no signature.
    expect(r.headers['x-hub-signature-256']).toBeUndefined();
    // With other fields.
    const both = await health(p, flowId, 'name,status,health_status');
    expect(both.body).toMatchObject({ id: flowId, name: expect.stringMatching(/^health /), status: 'PUBLISHED', health_status: { can_send_message: 'AVAILABLE' } });
    expectPartnerError(await health(p, flowId, 'health_status,password'), 400, 'nonexisting field (password)');
  });

  it.each<[string, () => void, string]>([
    ['a wrong answer', () => (endpoint.handler = () => ({ json: { data: { status: 'sleeping' } } })), 'the endpoint answered the health check with {"data":{"status":"sleeping"}}, not {"data":{"status":"active"}}'],
    ['an error status', () => (endpoint.handler = () => ({ status: 500, body: 'down for maintenance' })), 'the endpoint answered HTTP 500 with “down for maintenance”'],
    ['an answer not encrypted', () => (endpoint.handler = () => ({ status: 200, body: '{"data":{"status":"active"}}' })), 'the response is plain JSON, not encrypted'],
    ['a key it cannot use', () => (endpoint.onUndecryptable = endpoint.handler = () => ({ status: 421 })), 'the endpoint could not decrypt the request (HTTP 421), twice'],
  ])('an endpoint failing the health check (%s) makes the flow BLOCKED, naming the fault', async (_label, make, fault) => {
    make();
    try {
      const res = await health(p, flowId);
      expect(res.status).toBe(200);
      expect(res.body.health_status).toEqual(blocked(expect.stringContaining(`The flow's endpoint failed the health check: ${fault}`) as unknown as string));
    } finally {
      endpoint.handler = (req) => (req.action === 'ping' ? { json: { data: { status: 'active' } } } : { status: 400 });
      endpoint.onUndecryptable = () => ({ status: 421 });
    }
  });

  it('an endpoint that is not running', async () => {
    const gone = await new Receiver().start();
    const url = `${gone.url}/flow`;
    await gone.close();
    await t.deps.db.kysely.updateTable('flows').set({ endpoint_uri: url }).where('id', '=', flowId).execute();
    try {
      const res = await health(p, flowId);
      expect(res.body.health_status).toEqual(blocked(expect.stringContaining('refused the connection (is the endpoint running?)') as unknown as string));
    } finally {
      await t.deps.db.kysely.updateTable('flows').set({ endpoint_uri: `${endpoint.url}/flow` }).where('id', '=', flowId).execute();
    }
  });

  it('a flow without an endpoint is AVAILABLE without any request; one missing its endpoint_uri, or the key, is BLOCKED', async () => {
    const before = endpoint.requests.length;
    const plain = await create(p, { flow_json: JSON.stringify(MINIMAL_FLOW_JSON), publish: true });
    expect((await health(p, plain)).body.health_status).toEqual({ can_send_message: 'AVAILABLE', entities: [{ entity_type: 'FLOW', id: plain, can_send_message: 'AVAILABLE' }, ...others()] });
    const noUri = await create(p, { flow_json: JSON.stringify(ENDPOINT_FLOW) });
    const res = await health(p, noUri);
    expect(res.body.health_status.can_send_message).toBe('BLOCKED');
    expect(res.body.health_status.entities[0].errors[0].error_description).toBe(`endpoint_uri: flow ${noUri} uses an endpoint (data_api_version 3.0) but has no endpoint_uri.`);
    expect(endpoint.requests.length).toBe(before);

    // Another partner's WABA, whose numbers have no public key.
    const other = await t.tenant({ clientName: 'No Key Client' });
    const noKey = await create(other, { endpoint_uri: `${endpoint.url}/flow`, flow_json: JSON.stringify(ENDPOINT_FLOW) });
    const r2 = await health(other, noKey);
    expect(r2.body.health_status.entities[0]).toEqual({
      entity_type: 'FLOW',
      id: noKey,
      can_send_message: 'BLOCKED',
      errors: [{ error_code: 131000, error_description: 'No number of this WhatsApp Business Account has a business public key: the endpoint cannot be reached encrypted.', possible_solution: "Upload the endpoint's RSA public key (POST /whatsapp_business_encryption)." }],
    });
    expect(endpoint.requests.length).toBe(before);
  });

  it("the flow's status counts: THROTTLED is LIMITED, DEPRECATED is BLOCKED", async () => {
    await t.deps.db.kysely.updateTable('flows').set({ status: 'THROTTLED' }).where('id', '=', flowId).execute();
    try {
      const res = await health(p, flowId);
      expect(res.body.health_status).toEqual({
        can_send_message: 'LIMITED',
        entities: [{ entity_type: 'FLOW', id: flowId, can_send_message: 'LIMITED', additional_info: [`Flow ${flowId} is throttled: at most 10 flow messages an hour.`] }, ...others()],
      });
    } finally {
      await t.deps.db.kysely.updateTable('flows').set({ status: 'PUBLISHED' }).where('id', '=', flowId).execute();
    }
    const old = await create(p, { endpoint_uri: `${endpoint.url}/flow`, flow_json: JSON.stringify(ENDPOINT_FLOW), publish: true });
    expect((await t.post(`${flowsPath(p)}/${old}/deprecate`, { headers: partnerKey(p.partner_api_key) })).status).toBe(200);
    const before = endpoint.requests.length;
    const res = await health(p, old);
    expect(res.body.health_status.can_send_message).toBe('BLOCKED');
    expect(res.body.health_status.entities[0].errors[0].error_description).toBe(`Flow ${old} is deprecated and can no longer be sent.`);
    expect(endpoint.requests.length).toBe(before);
  });
});
