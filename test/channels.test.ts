import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { createChannel, type ChannelRow } from '../src/services/channels.ts';
import { createClient } from '../src/services/clients.ts';

const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describeEachDb('channels and WABA accounts', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let second: { clientId: string; setup: ChannelRow; broken: ChannelRow };
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant({ clientName: 'Alpha GmbH' });
    b = await t.tenant({ clientName: 'Beta Ltd' });
    const client = await createClient(t.deps, a.partner_id, { name: 'Alpha Two', email: 'two@alpha.example' });
    const base = { partnerId: a.partner_id, clientId: client.id };
    second = {
      clientId: client.id,
      setup: await createChannel(t.deps, { ...base, phoneNumber: '4930111111', phoneName: 'Alpha Two Setup', status: 'unverified' }),
      broken: await createChannel(t.deps, { ...base, phoneNumber: '4930222222', phoneName: 'Alpha Two Broken', status: 'error' }),
    };
  });
  afterAll(() => t?.close());

  const asA = () => ({ headers: partnerKey(a.partner_api_key) });
  const channelsOf = (pid: string) => `/api/v2/partners/${pid}/channels`;
  const byId = (id: string) => ({ ...asA(), query: { filters: JSON.stringify({ id }) } });

  describe('GET /partners/{pid}/channels', () => {
    it("lists the partner's own channels under partner_channels", async () => {
      const res = await t.get(channelsOf(a.partner_id), asA());
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['count', 'filters', 'limit', 'offset', 'partner_channels', 'sort', 'total']);
      expect(res.body).toMatchObject({ count: 3, total: 3, limit: 1000, offset: 0, sort: ['created_at'], filters: {} });
      const ids = res.body.partner_channels.map((c: { id: string }) => c.id);
      expect(ids.sort()).toEqual([a.channel_id, second.setup.id, second.broken.id].sort());
      expect(ids).not.toContain(b.channel_id);
    });

    it('each channel carries its client, setup_info, status and WABA account', async () => {
      const res = await t.get(channelsOf(a.partner_id), byId(a.channel_id));
      const ch = res.body.partner_channels[0];
      expect(ch).toMatchObject({
        id: a.channel_id,
        client_id: a.client_id,
        partner_id: a.partner_id,
        status: 'ready',
        availability_status: 'ready',
        account_mode: 'sandbox',
        client: { id: a.client_id, name: 'Alpha GmbH', partner_payload: null },
        setup_info: { phone_number: a.phone_number, phone_name: 'Alpha GmbH' },
        waba_account: { id: a.waba_account_id, client_id: a.client_id, partner_id: a.partner_id },
        waba_account_id: a.waba_account_id,
        cancellation_requested_at: null,
        terminated_at: null,
      });
      expect(ch.id).toMatch(/^[0-9A-Za-z]{10}CH$/);
      expect(ch.client.contact_info.email).toMatch(/@openwaba\.local$/);
      expect(ch.setup_info.phone_number).toMatch(/^\d{6,15}$/);
      expect(ch.waba_account.id).toMatch(/^[0-9A-Za-z]{10}WA$/);
      expect(ch.waba_account.external_id).toMatch(/^\d{15}$/);
      expect(ch.created_at).toMatch(ISO_Z);
      expect(ch.modified_at).toMatch(ISO_Z);
      expect(ch.waba_account.created_at).toMatch(ISO_Z);
    });

    it('availability_status is ready, setting_up or error, following the status', async () => {
      const res = await t.get(channelsOf(a.partner_id), asA());
      const byChannel = Object.fromEntries(res.body.partner_channels.map((c: { id: string; status: string; availability_status: string }) => [c.id, [c.status, c.availability_status]]));
      expect(byChannel).toEqual({
        [a.channel_id]: ['ready', 'ready'],
        [second.setup.id]: ['unverified', 'setting_up'],
        [second.broken.id]: ['error', 'error'],
      });
    });

    it("401 without a credential or with a wrong key, 403 with another partner's key", async () => {
      expectPartnerError(await t.get(channelsOf(a.partner_id)), 401);
      expectPartnerError(await t.get(channelsOf(a.partner_id), { headers: partnerKey('owpk_wrong') }), 401);
      expectPartnerError(await t.get(channelsOf(a.partner_id), { headers: partnerKey(b.partner_api_key) }), 403, a.partner_id);
    });

    it("filtering by another partner's channel id finds nothing", async () => {
      const res = await t.get(channelsOf(a.partner_id), byId(b.channel_id));
      expect(res.body).toMatchObject({ count: 0, total: 0, partner_channels: [] });
    });
  });

  describe('GET /partners/{pid}/channels/{chid}', () => {
    it('returns the same object as the list', async () => {
      const one = await t.get(`${channelsOf(a.partner_id)}/${second.broken.id}`, asA());
      expect(one.status).toBe(200);
      const list = await t.get(channelsOf(a.partner_id), byId(second.broken.id));
      expect(one.body).toEqual(list.body.partner_channels[0]);
      expect(one.body).toMatchObject({ client_id: second.clientId, setup_info: { phone_number: '4930222222', phone_name: 'Alpha Two Broken' } });
    });

    it("401, 403, and 404 for unknown ids and for another partner's channel", async () => {
      const own = `${channelsOf(a.partner_id)}/${a.channel_id}`;
      expectPartnerError(await t.get(own), 401);
      expectPartnerError(await t.get(own, { headers: partnerKey('owpk_wrong') }), 401);
      expectPartnerError(await t.get(own, { headers: partnerKey(b.partner_api_key) }), 403);
      expectPartnerError(await t.get(`${channelsOf(a.partner_id)}/nothingCH`, asA()), 404, 'nothingCH');
      expectPartnerError(await t.get(`${channelsOf(a.partner_id)}/${b.channel_id}`, asA()), 404);
    });
  });

  describe('POST …/clients/{cid}/channels/{chid}/control/cancellation_request', () => {
    const control = (pid: string, cid: string, chid: string) => `/api/v2/partners/${pid}/clients/${cid}/channels/${chid}/control/cancellation_request`;
    const current = async (chid: string) => (await t.get(`${channelsOf(a.partner_id)}/${chid}`, asA())).body.cancellation_requested_at;

    it('enabled:true sets cancellation_requested_at (once), enabled:false clears it', async () => {
      const path = control(a.partner_id, second.clientId, second.setup.id);
      const on = await t.post(path, { ...asA(), json: { enabled: true } });
      expect(on.status).toBe(200);
      expect(on.body.id).toBe(second.setup.id);
      expect(on.body.cancellation_requested_at).toMatch(ISO_Z);
      const again = await t.post(path, { ...asA(), json: { enabled: true } });
      expect(again.body.cancellation_requested_at).toBe(on.body.cancellation_requested_at);
      expect(await current(second.setup.id)).toBe(on.body.cancellation_requested_at);
      const off = await t.post(path, { ...asA(), json: { enabled: false } });
      expect(off.status).toBe(200);
      expect(off.body.cancellation_requested_at).toBeNull();
      expect(await current(second.setup.id)).toBeNull();
    });

    it('404 when the channel does not belong to that client, or the client to the partner', async () => {
      // A's own channel, but under A's other client.
      expectPartnerError(await t.post(control(a.partner_id, second.clientId, a.channel_id), { ...asA(), json: { enabled: true } }), 404, a.channel_id);
      expectPartnerError(await t.post(control(a.partner_id, a.client_id, 'nothingCH'), { ...asA(), json: { enabled: true } }), 404);
      expectPartnerError(await t.post(control(a.partner_id, b.client_id, b.channel_id), { ...asA(), json: { enabled: true } }), 404);
      expectPartnerError(await t.post(control(a.partner_id, a.client_id, b.channel_id), { ...asA(), json: { enabled: true } }), 404);
      expect(await current(a.channel_id)).toBeNull();
      const bs = await t.get(`${channelsOf(b.partner_id)}/${b.channel_id}`, { headers: partnerKey(b.partner_api_key) });
      expect(bs.body.cancellation_requested_at).toBeNull();
    });

    it('400 for a body without a boolean enabled, with extra fields, or none', async () => {
      const path = control(a.partner_id, a.client_id, a.channel_id);
      expectPartnerError(await t.post(path, { ...asA(), json: {} }), 400, 'enabled');
      expectPartnerError(await t.post(path, { ...asA(), json: { enabled: 'yes' } }), 400, 'enabled');
      expectPartnerError(await t.post(path, { ...asA(), json: { enabled: 1 } }), 400, 'enabled');
      expectPartnerError(await t.post(path, { ...asA(), json: { enabled: true, reason: 'x' } }), 400, 'reason');
      expectPartnerError(await t.post(path, asA()), 400);
      expect(await current(a.channel_id)).toBeNull();
    });

    it('400 for a channel that is already terminated', async () => {
      await t.deps.db.kysely.updateTable('channels').set({ terminated_at: new Date().toISOString() }).where('id', '=', second.broken.id).execute();
      expectPartnerError(await t.post(control(a.partner_id, second.clientId, second.broken.id), { ...asA(), json: { enabled: true } }), 400, 'terminated');
      expect(await current(second.broken.id)).toBeNull();
    });

    it("401 without a credential or with a wrong key, 403 with another partner's key; nothing changes", async () => {
      const path = control(a.partner_id, a.client_id, a.channel_id);
      const body = { json: { enabled: true } };
      expectPartnerError(await t.post(path, body), 401);
      expectPartnerError(await t.post(path, { headers: partnerKey('owpk_wrong'), ...body }), 401);
      expectPartnerError(await t.post(path, { headers: partnerKey(b.partner_api_key), ...body }), 403);
      expect(await current(a.channel_id)).toBeNull();
    });
  });

  describe('GET /partners/{pid}/waba_accounts/{wid}', () => {
    const wabaPath = (pid: string, wid: string) => `/api/v2/partners/${pid}/waba_accounts/${wid}`;

    it("returns the WABA account, the same as in the channel's waba_account", async () => {
      const res = await t.get(wabaPath(a.partner_id, a.waba_account_id), asA());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: a.waba_account_id, partner_id: a.partner_id, client_id: a.client_id, status: 'approved' });
      expect(res.body.external_id).toMatch(/^\d{15}$/);
      expect(res.body.namespace).toMatch(/^[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}$/);
      expect(res.body.created_at).toMatch(ISO_Z);
      const ch = await t.get(`${channelsOf(a.partner_id)}/${a.channel_id}`, asA());
      expect(ch.body.waba_account).toEqual(res.body);
    });

    it("401, 403, and 404 for unknown ids and for another partner's WABA account", async () => {
      const own = wabaPath(a.partner_id, a.waba_account_id);
      expectPartnerError(await t.get(own), 401);
      expectPartnerError(await t.get(own, { headers: partnerKey('owpk_wrong') }), 401);
      expectPartnerError(await t.get(own, { headers: partnerKey(b.partner_api_key) }), 403);
      expectPartnerError(await t.get(wabaPath(a.partner_id, 'nothingWA'), asA()), 404, 'nothingWA');
      expectPartnerError(await t.get(wabaPath(a.partner_id, b.waba_account_id), asA()), 404);
    });
  });
});
