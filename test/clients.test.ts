import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { bearer, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { createClient } from '../src/services/clients.ts';

const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const CLIENT_ID = /^[0-9A-Za-z]{10}CL$/;

describeEachDb('clients', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let extraIds: string[];
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant({ clientName: 'Alpha GmbH' });
    b = await t.tenant({ clientName: 'Beta Ltd' });
    extraIds = [];
    for (const name of ['Alpha Two', 'Alpha Three']) {
      extraIds.push((await createClient(t.deps, a.partner_id, { name, email: `${name.replace(' ', '.').toLowerCase()}@example.com` })).id);
    }
  });
  afterAll(() => t?.close());

  const asA = () => ({ headers: partnerKey(a.partner_api_key) });
  const clientsOf = (pid: string) => `/api/v2/partners/${pid}/clients`;

  describe('GET /partners/{pid}/clients', () => {
    it("lists the partner's own clients in the list envelope", async () => {
      const res = await t.get(clientsOf(a.partner_id), asA());
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['clients', 'count', 'filters', 'limit', 'offset', 'sort', 'total']);
      expect(res.body).toMatchObject({ count: 3, total: 3, limit: 1000, offset: 0, sort: ['created_at'], filters: {} });
      const ids = res.body.clients.map((c: { id: string }) => c.id);
      expect(ids.sort()).toEqual([a.client_id, ...extraIds].sort());
      expect(ids).not.toContain(b.client_id);
    });

    it('each client has the reference fields', async () => {
      const res = await t.get(clientsOf(a.partner_id), { ...asA(), query: { filters: JSON.stringify({ id: a.client_id }) } });
      const c = res.body.clients[0];
      expect(c).toMatchObject({
        id: a.client_id,
        partner_id: a.partner_id,
        name: 'Alpha GmbH',
        status: 'active',
        max_channels: 1,
        partner_payload: null,
        suspicious: false,
        created_by: { user_id: 'system', user_name: 'system' },
      });
      expect(c.id).toMatch(CLIENT_ID);
      expect(c.contact_info.email).toMatch(/@openwaba\.local$/);
      expect(Object.keys(c.meta_info).sort()).toEqual(['about', 'business_description', 'business_vertical', 'timezone', 'use_case']);
      expect(Object.keys(c.contact_user).sort()).toEqual(['email', 'name', 'phone']);
      expect(c.created_at).toMatch(ISO_Z);
      expect(c.modified_at).toMatch(ISO_Z);
    });

    it('echoes the parsed filters', async () => {
      const res = await t.get(clientsOf(a.partner_id), { ...asA(), query: { filters: '{"name":"Alpha Two"}' } });
      expect(res.body).toMatchObject({ count: 1, total: 1, filters: { name: 'Alpha Two' } });
      expect(res.body.clients[0].id).toBe(extraIds[0]);
    });

    it("401 without a credential or with a wrong key, 403 with another partner's key", async () => {
      expectPartnerError(await t.get(clientsOf(a.partner_id)), 401);
      expectPartnerError(await t.get(clientsOf(a.partner_id), { headers: partnerKey('owpk_wrong') }), 401);
      expectPartnerError(await t.get(clientsOf(a.partner_id), { headers: partnerKey(b.partner_api_key) }), 403, a.partner_id);
    });

    it("filtering by another partner's client id finds nothing", async () => {
      const res = await t.get(clientsOf(a.partner_id), { ...asA(), query: { filters: JSON.stringify({ id: b.client_id }) } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ count: 0, total: 0, clients: [] });
    });
  });

  describe('GET /partners/{pid}/clients/{cid}', () => {
    it('returns the same object as the list', async () => {
      const one = await t.get(`${clientsOf(a.partner_id)}/${extraIds[1]}`, asA());
      expect(one.status).toBe(200);
      const list = await t.get(clientsOf(a.partner_id), { ...asA(), query: { filters: JSON.stringify({ id: extraIds[1] }) } });
      expect(one.body).toEqual(list.body.clients[0]);
      expect(one.body.contact_info.email).toBe('alpha.three@example.com');
    });

    it('404 for an unknown id', async () => {
      expectPartnerError(await t.get(`${clientsOf(a.partner_id)}/doesnotexistCL`, asA()), 404, 'doesnotexistCL');
    });

    it('401, 403, and 404 for another partner\'s client under your partner id', async () => {
      const path = `${clientsOf(a.partner_id)}/${a.client_id}`;
      expectPartnerError(await t.get(path), 401);
      expectPartnerError(await t.get(path, { headers: partnerKey('owpk_wrong') }), 401);
      expectPartnerError(await t.get(path, { headers: partnerKey(b.partner_api_key) }), 403);
      expectPartnerError(await t.get(`${clientsOf(a.partner_id)}/${b.client_id}`, asA()), 404);
    });
  });

  describe('PATCH /partners/{pid}/clients/{cid}', () => {
    it('sets partner_payload and max_channels, and records who did it', async () => {
      const path = `${clientsOf(a.partner_id)}/${extraIds[0]}`;
      const before = await t.get(path, asA());
      const res = await t.patch(path, { ...asA(), json: { partner_payload: 'crm-4711', max_channels: 5 } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: extraIds[0], partner_payload: 'crm-4711', max_channels: 5, name: 'Alpha Two' });
      expect(res.body.modified_by.user_name).toBe('api_key');
      expect(res.body.modified_at >= before.body.modified_at).toBe(true);
      expect(res.body.created_at).toBe(before.body.created_at);
      expect((await t.get(path, asA())).body).toEqual(res.body);
    });

    it('one field at a time; null clears partner_payload', async () => {
      const path = `${clientsOf(a.partner_id)}/${extraIds[1]}`;
      expect((await t.patch(path, { ...asA(), json: { partner_payload: 'x' } })).body).toMatchObject({ partner_payload: 'x', max_channels: 1 });
      expect((await t.patch(path, { ...asA(), json: { max_channels: 3 } })).body).toMatchObject({ partner_payload: 'x', max_channels: 3 });
      expect((await t.patch(path, { ...asA(), json: { partner_payload: null } })).body).toMatchObject({ partner_payload: null, max_channels: 3 });
    });

    it('with a bearer token, modified_by names the hub user', async () => {
      const token = await t.post('/api/v2/token', { json: { username: a.username, password: a.password } });
      expect(token.status).toBe(200);
      const res = await t.patch(`${clientsOf(a.partner_id)}/${a.client_id}`, { headers: bearer(token.body.access_token), json: { max_channels: 2 } });
      expect(res.status).toBe(200);
      expect(res.body.modified_by.user_name).toBe(a.username);
    });

    it('400 for an unknown field, an empty body, wrong types and malformed JSON', async () => {
      const path = `${clientsOf(a.partner_id)}/${a.client_id}`;
      expectPartnerError(await t.patch(path, { ...asA(), json: { name: 'Renamed' } }), 400, 'body.name is not allowed');
      expectPartnerError(await t.patch(path, { ...asA(), json: {} }), 400);
      expectPartnerError(await t.patch(path, { ...asA(), json: { max_channels: -1 } }), 400, 'max_channels');
      expectPartnerError(await t.patch(path, { ...asA(), json: { max_channels: '5' } }), 400, 'max_channels');
      expectPartnerError(await t.patch(path, { ...asA(), json: { partner_payload: 42 } }), 400, 'partner_payload');
      expectPartnerError(await t.patch(path, { headers: { ...partnerKey(a.partner_api_key), 'content-type': 'application/json' }, raw: '{"max_channels":' }), 400);
      expect((await t.get(path, asA())).body.name).toBe('Alpha GmbH');
    });

    it("401, 403, and 404 for another partner's client; nothing changes", async () => {
      const own = `${clientsOf(a.partner_id)}/${a.client_id}`;
      const body = { json: { partner_payload: 'hijacked' } };
      expectPartnerError(await t.patch(own, body), 401);
      expectPartnerError(await t.patch(own, { headers: partnerKey('owpk_wrong'), ...body }), 401);
      expectPartnerError(await t.patch(own, { headers: partnerKey(b.partner_api_key), ...body }), 403);
      expectPartnerError(await t.patch(`${clientsOf(a.partner_id)}/${b.client_id}`, { ...asA(), ...body }), 404);
      expect((await t.get(own, asA())).body.partner_payload).toBeNull();
      const bs = await t.get(`${clientsOf(b.partner_id)}/${b.client_id}`, { headers: partnerKey(b.partner_api_key) });
      expect(bs.body.partner_payload).toBeNull();
    });
  });

  describe('POST /partners/{pid}/account_sharing/clients', () => {
    const path = () => `/api/v2/partners/${b.partner_id}/account_sharing/clients`;
    const asB = () => ({ headers: partnerKey(b.partner_api_key) });

    it('201 with the new client, which then appears in the list', async () => {
      const res = await t.post(path(), {
        ...asB(),
        json: { name: 'Gamma AG', email: 'ops@gamma.example', user_name: 'Grete', partner_payload: 'p-1', max_channels: 4, country: 'DE' },
      });
      expect(res.status).toBe(201);
      expect(res.body.id).toMatch(CLIENT_ID);
      expect(res.body).toMatchObject({
        partner_id: b.partner_id,
        name: 'Gamma AG',
        status: 'active',
        partner_payload: 'p-1',
        max_channels: 4,
        contact_info: { email: 'ops@gamma.example', country: 'DE', full_name: 'Grete' },
        contact_user: { email: 'ops@gamma.example', name: 'Grete' },
        created_by: { user_name: 'api_key' },
      });
      expect(res.body.created_at).toMatch(ISO_Z);
      const list = await t.get(clientsOf(b.partner_id), { ...asB(), query: { filters: JSON.stringify({ 'contact_info.email': 'ops@gamma.example' }) } });
      expect(list.body.clients.map((c: { id: string }) => c.id)).toEqual([res.body.id]);
    });

    it('accepts fields it does not know (the real body is only partly documented)', async () => {
      const res = await t.post(path(), { ...asB(), json: { name: 'Delta', some_future_field: { x: 1 } } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: 'Delta', max_channels: 1, organisation: 'Delta' });
      expect(res.body).not.toHaveProperty('some_future_field');
    });

    it('400 without a name, with an empty name, a bad email or no body', async () => {
      expectPartnerError(await t.post(path(), { ...asB(), json: { email: 'x@y.example' } }), 400, 'body.name is required');
      expectPartnerError(await t.post(path(), { ...asB(), json: { name: '' } }), 400, 'name');
      expectPartnerError(await t.post(path(), { ...asB(), json: { name: 'E', email: 'not-an-email' } }), 400, 'email');
      expectPartnerError(await t.post(path(), asB()), 400);
    });

    it("401 without a credential or with a wrong key, 403 with another partner's key; nothing is created", async () => {
      const before = (await t.get(clientsOf(b.partner_id), asB())).body.total;
      const body = { json: { name: 'Intruder' } };
      expectPartnerError(await t.post(path(), body), 401);
      expectPartnerError(await t.post(path(), { headers: partnerKey('owpk_wrong'), ...body }), 401);
      expectPartnerError(await t.post(path(), { ...asA(), ...body }), 403, b.partner_id);
      expect((await t.get(clientsOf(b.partner_id), asB())).body.total).toBe(before);
      const aList = await t.get(clientsOf(a.partner_id), { ...asA(), query: { filters: '{"name":"Intruder"}' } });
      expect(aList.body.total).toBe(0);
    });
  });
});
