// A partner's flows are its own, behind two locks: the WABA in the path must be the partner's,
// and every flow query also names the partner (flows.partner_id). A second partner's ids reach
// nothing through any flows endpoint of the Partner API or page of the Hub; and a flow row whose
// partner_id is not the partner's (what a mistake in the WABA check alone would expose) stays
// out of reach although its WABA is the partner's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { deleteFlow, deprecateFlow, publishFlow, updateFlowMetadata, uploadFlowAsset } from '../src/messaging/flows/service.ts';
import { findFlow, flowAsset, flowAssetInfo, listFlows } from '../src/messaging/flows/store.ts';
import { listPartnerFlows } from '../src/messaging/flows/list.ts';
import { describeEachDb } from './helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type HttpResponse, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { HubClient } from './web/hub-client.ts';
import { MINIMAL_FLOW_JSON } from './helpers/flows.ts';

const FLOW_JSON = MINIMAL_FLOW_JSON;

describeEachDb('Flows: one partner never reaches another partner’s flow', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  /** B's flows: a DRAFT with its Flow JSON and a PUBLISHED one. */
  let bDraft: string;
  let bPublished: string;

  const flowsPath = (pid: string, waba: string) => `/api/v2/partners/${pid}/waba_accounts/${waba}/flows`;
  const auth = (p: BootstrapResult) => ({ headers: partnerKey(p.partner_api_key) });
  const upload = async (p: BootstrapResult, path: string): Promise<HttpResponse> => {
    const fd = new FormData();
    fd.append('asset_type', 'FLOW_JSON');
    fd.append('name', 'flow.json');
    fd.append('file', new Blob([JSON.stringify({ ...FLOW_JSON, screens: [{ id: 'HIJACKED' }] })], { type: 'application/json' }), 'flow.json');
    const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', body: fd, headers: partnerKey(p.partner_api_key) });
    const text = await res.text();
    return { status: res.status, text, headers: {}, body: text ? JSON.parse(text) : undefined };
  };

  /** Every flows endpoint, with `a`'s key, at the given partner id, WABA id and flow id. */
  function everyEndpoint(pid: string, waba: string, flow: string): [string, () => Promise<HttpResponse>][] {
    const base = flowsPath(pid, waba);
    return [
      ['GET list', () => t.get(base, auth(a))],
      ['POST create', () => t.post(base, { ...auth(a), json: { name: 'planted', categories: ['OTHER'] } })],
      ['POST create cloning', () => t.post(base, { ...auth(a), json: { name: 'cloned', categories: ['OTHER'], clone_flow_id: flow } })],
      ['GET flow', () => t.get(`${base}/${flow}`, auth(a))],
      ['POST flow (update)', () => t.post(`${base}/${flow}`, { ...auth(a), json: { name: 'renamed by a' } })],
      ['POST assets', () => upload(a, `${base}/${flow}/assets`)],
      ['GET assets', () => t.get(`${base}/${flow}/assets`, auth(a))],
      ['GET assets/FLOW_JSON', () => t.get(`${base}/${flow}/assets/FLOW_JSON`, auth(a))],
      ['POST publish', () => t.post(`${base}/${flow}/publish`, auth(a))],
      ['POST deprecate', () => t.post(`${base}/${flow}/deprecate`, auth(a))],
      ['DELETE flow', () => t.delete(`${base}/${flow}`, auth(a))],
    ];
  }

  /** B's flows as B sees them, with their Flow JSON. */
  const bState = async () => {
    const list = await t.get(flowsPath(b.partner_id, b.waba_account_id), { ...auth(b), query: { fields: 'name,status,json_version,endpoint_uri' } });
    const json = await t.get(`${flowsPath(b.partner_id, b.waba_account_id)}/${bDraft}/assets/FLOW_JSON`, auth(b));
    return { flows: list.body.flows, json: json.body };
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant({ clientName: 'Partner A client' });
    b = await t.tenant({ clientName: 'Partner B client' });
    const draft = await t.post(flowsPath(b.partner_id, b.waba_account_id), { ...auth(b), json: { name: 'b draft', categories: ['SURVEY'], flow_json: JSON.stringify(FLOW_JSON) } });
    const published = await t.post(flowsPath(b.partner_id, b.waba_account_id), { ...auth(b), json: { name: 'b published', categories: ['SURVEY'], flow_json: JSON.stringify(FLOW_JSON), publish: true } });
    expect([draft.status, published.status]).toEqual([201, 201]);
    bDraft = draft.body.id;
    bPublished = published.body.id;
  });
  afterAll(() => t?.close());

  describe('the Partner API, with the second partner’s ids', () => {
    it("B's partner id in the path: 403 on every endpoint", async () => {
      for (const flow of [bDraft, bPublished]) {
        for (const [, call] of everyEndpoint(b.partner_id, b.waba_account_id, flow)) expectPartnerError(await call(), 403, b.partner_id);
      }
    });

    it("B's WABA under A's partner id: the 404 of a WABA that is not A's, on every endpoint", async () => {
      const before = await bState();
      for (const flow of [bDraft, bPublished]) {
        for (const [label, call] of everyEndpoint(a.partner_id, b.waba_account_id, flow)) {
          const res = await call();
          expect(res.status, label).toBe(404);
          expectPartnerError(res, 404, `WABA account ${b.waba_account_id} not found`);
        }
      }
      expect(await bState()).toEqual(before);
    });

    it("B's flow ids under A's own WABA: not found on every endpoint (a clone source that does not exist)", async () => {
      const before = await bState();
      for (const flow of [bDraft, bPublished]) {
        for (const [label, call] of everyEndpoint(a.partner_id, a.waba_account_id, flow)) {
          const res = await call();
          if (label === 'GET list' || label === 'POST create') continue;
          if (label === 'POST create cloning') expectPartnerError(res, 400, `(#100) Flow with specified ID does not exist: clone_flow_id ${flow} is not a flow of this WhatsApp Business Account`);
          else expectPartnerError(res, 404, `Flow ${flow} not found`);
        }
      }
      // A's own list holds only what A made here.
      const list = await t.get(flowsPath(a.partner_id, a.waba_account_id), { ...auth(a), query: { fields: 'name' } });
      expect(list.body.flows.map((f: { name: string }) => f.name).sort()).toEqual(['planted']);
      expect(await bState()).toEqual(before);
      expect(before.flows.map((f: { name: string; status: string }) => [f.name, f.status])).toEqual([
        ['b published', 'PUBLISHED'],
        ['b draft', 'DRAFT'],
      ]);
      expect(before.json).toEqual(FLOW_JSON);
    });

    it("a flow message of A's channel naming B's flow is refused as a flow A does not have, saying nothing of B's", async () => {
      for (const [by, value] of [
        ['flow_id', bPublished],
        ['flow_id', bDraft],
        ['flow_name', 'b published'],
      ] as const) {
        const send = await t.post('/messages', {
          headers: channelKey(a.channel_api_key),
          json: {
            messaging_product: 'whatsapp',
            to: '4917612345678',
            type: 'interactive',
            interactive: {
              type: 'flow',
              body: { text: 'Open' },
              action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 't', flow_cta: 'Open', flow_action: 'navigate', flow_action_payload: { screen: 'WELCOME' }, [by]: value } },
            },
          },
        });
        expect(send.status, send.text).toBe(400);
        expect(send.body.error).toMatchObject({ code: 131009, error_data: { details: expect.stringContaining(`interactive.action.parameters.${by}: no flow with`) } });
        // Neither B's flow's name nor its status.
        expect(send.text).not.toMatch(/PUBLISHED|DRAFT|b draft/);
      }
    });
  });

  describe('the partner_id lock on its own', () => {
    /** A flow in A's WABA whose row says it is B's: reachable only if the queries ignored flows.partner_id. */
    let stray: string;
    beforeAll(async () => {
      const res = await t.post(flowsPath(a.partner_id, a.waba_account_id), { ...auth(a), json: { name: 'stray row', categories: ['OTHER'], flow_json: JSON.stringify(FLOW_JSON) } });
      expect(res.status).toBe(201);
      stray = res.body.id;
      await t.deps.db.kysely.updateTable('flows').set({ partner_id: b.partner_id }).where('id', '=', stray).execute();
    });

    it('the Partner API neither lists, reads nor changes it, although its WABA is A’s', async () => {
      const list = await t.get(flowsPath(a.partner_id, a.waba_account_id), { ...auth(a), query: { fields: 'name' } });
      expect(list.body.flows.map((f: { id: string }) => f.id)).not.toContain(stray);
      for (const [label, call] of everyEndpoint(a.partner_id, a.waba_account_id, stray)) {
        const res = await call();
        if (label === 'GET list' || label.startsWith('POST create')) continue;
        expectPartnerError(res, 404, `Flow ${stray} not found`);
      }
      const row = await t.deps.db.kysely.selectFrom('flows').select(['name', 'status', 'partner_id']).where('id', '=', stray).executeTakeFirstOrThrow();
      expect(row).toEqual({ name: 'stray row', status: 'DRAFT', partner_id: b.partner_id });
    });

    it('nor does the store or the service, given A’s WABA with either partner', async () => {
      const asA = { partnerId: a.partner_id, wabaAccountId: a.waba_account_id };
      const asB = { partnerId: b.partner_id, wabaAccountId: a.waba_account_id };
      expect(await findFlow(t.deps, asA, stray)).toBeUndefined();
      expect(await flowAsset(t.deps, asA, stray)).toBeUndefined();
      expect(await flowAssetInfo(t.deps, asA, stray)).toBeUndefined();
      expect((await listFlows(t.deps, asA, { limit: 100, offset: 0 })).rows.map((f) => f.id)).not.toContain(stray);
      for (const change of [
        () => publishFlow(t.deps, asA, stray),
        () => deprecateFlow(t.deps, asA, stray),
        () => deleteFlow(t.deps, asA, stray),
        () => updateFlowMetadata(t.deps, asA, stray, { name: 'x' }),
        () => uploadFlowAsset(t.deps, asA, stray, Buffer.from('{}'), 'flow.json'),
      ]) {
        await expect(change()).rejects.toMatchObject({ status: 404, message: `Flow ${stray} not found` });
      }
      // B's own flows, given A's WABA: not there either (B's partner and A's WABA name no flow of B's).
      expect(await findFlow(t.deps, asB, bDraft)).toBeUndefined();
      // The partner-wide list (the Hub's) takes the flow's partner and its WABA's both.
      expect((await listPartnerFlows(t.deps, a.partner_id, { limit: 100 })).flows.map((f) => f.id)).not.toContain(stray);
      expect((await listPartnerFlows(t.deps, b.partner_id, { limit: 100 })).flows.map((f) => f.id).sort()).toEqual([bDraft, bPublished].sort());
    });

    it('the Hub shows it to no one', async () => {
      const hub = new HubClient(t.baseUrl);
      expect((await hub.login(a.username, a.password)).status).toBe(303);
      const base = `/hub/partner/${a.partner_id}`;
      expect((await hub.get(`${base}/flows`)).html).not.toContain(stray);
      for (const path of [`/flows/${a.waba_account_id}/${stray}`, `/flows/${a.waba_account_id}/${stray}/publish`, `/flows/${a.waba_account_id}/${stray}/flow.json`]) {
        expect((await hub.get(`${base}${path}`)).status, path).toBe(404);
      }
      for (const action of ['publish', 'deprecate', 'delete', 'flow-json']) {
        expect((await hub.post(`${base}/flows/${a.waba_account_id}/${stray}/${action}`, { flow_json: '{}' })).status, action).toBe(404);
      }
      // B's Hub does not list it either: its WABA is not B's.
      const hubB = new HubClient(t.baseUrl);
      expect((await hubB.login(b.username, b.password)).status).toBe(303);
      expect((await hubB.get(`/hub/partner/${b.partner_id}/flows`)).html).not.toContain(stray);
    });
  });
});
