// POST /api/v2/partners/{pid}/account_sharing/numbers (step 2 of "Host your own Embedded Signup"):
// the documented 200 body, the client chosen or created, a sandbox number in a WABA with Meta's id,
// a WABA on Meta's network found instead, and the Partner API's errors (tenant scope, duplicates).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

const MESSAGE = 'Success. Please wait, your number is onboarding.';

describeEachDb('account sharing: numbers', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t?.close());

  const path = (who: BootstrapResult = a) => `/api/v2/partners/${who.partner_id}/account_sharing/numbers`;
  const share = (json: unknown, who: BootstrapResult = a) => t.post(path(who), { headers: partnerKey(who.partner_api_key), json });

  describe('onboarding', () => {
    it('with waba_business_id: a new client, a WABA with Meta\'s ids and a sandbox number; the documented 200 body', async () => {
      const body = { solution_id: '23475642367', waba_external_id: '31893466565234', waba_business_id: '89732461622213', tier: 'basic' };
      const res = await share(body);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ ...body, message: MESSAGE });
      expect(res.body.client_id).toMatch(/CL$/);
      expect(res.body.channel_external_id).toMatch(/^\d+$/);
      const wabas = await t.deps.db.kysely.selectFrom('waba_accounts').selectAll().where('external_id', '=', body.waba_external_id).execute();
      expect(wabas).toHaveLength(1);
      expect(wabas[0]).toMatchObject({ partner_id: a.partner_id, client_id: res.body.client_id, fb_business_id: body.waba_business_id });
      const ch = await t.deps.db.kysely.selectFrom('channels').selectAll().where('waba_account_id', '=', wabas[0]!.id).execute();
      expect(ch).toHaveLength(1);
      expect(ch[0]).toMatchObject({ network: 'sandbox', client_id: res.body.client_id, external_id: res.body.channel_external_id, partner_id: a.partner_id });
      // The new client is the partner's, visible through the Partner API.
      expect((await t.get(`/api/v2/partners/${a.partner_id}/clients/${res.body.client_id}`, { headers: partnerKey(a.partner_api_key) })).status).toBe(200);
      // The same business again: its client is reused (max_channels 1 is reached, so a clear 400).
      const again = await share({ solution_id: '23475642367', waba_external_id: '31893466565235', waba_business_id: '89732461622213' });
      expectPartnerError(again, 400, /can have 1 number/);
    });

    it('with client_id: the number goes to that client; a repeat is a 409', async () => {
      await t.patch(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, { headers: partnerKey(a.partner_api_key), json: { max_channels: 5 } });
      const res = await share({ solution_id: '111111', waba_external_id: '4444444444', client_id: a.client_id });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ solution_id: '111111', waba_external_id: '4444444444', client_id: a.client_id, channel_external_id: expect.stringMatching(/^\d+$/), message: MESSAGE });
      expectPartnerError(await share({ solution_id: '111111', waba_external_id: '4444444444', client_id: a.client_id }), 409, 'already onboarded');
      // Another partner cannot take the same WABA.
      expectPartnerError(await share({ solution_id: '111111', waba_external_id: '4444444444', waba_business_id: '9999999' }, b), 409);
    });

    it('the same new WABA shared five times at once: one number, four 409s', async () => {
      await t.patch(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, { headers: partnerKey(a.partner_api_key), json: { max_channels: 20 } });
      const body = { solution_id: '111111', waba_external_id: '5555555555', client_id: a.client_id };
      const all = await Promise.all(Array.from({ length: 5 }, () => share(body)));
      expect(all.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
      expect(await t.deps.db.kysely.selectFrom('waba_accounts').select('id').where('external_id', '=', body.waba_external_id).execute()).toHaveLength(1);
    });

    it('six different WABAs shared to one client at once: max_channels holds (two more fit, four are refused)', async () => {
      const live = async () =>
        (await t.deps.db.kysely.selectFrom('channels').select('id').where('client_id', '=', a.client_id).where('terminated_at', 'is', null).execute()).length;
      const before = await live();
      await t.patch(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, { headers: partnerKey(a.partner_api_key), json: { max_channels: before + 2 } });
      const all = await Promise.all(Array.from({ length: 6 }, (_, i) => share({ solution_id: '111111', waba_external_id: `66666666${i}`, client_id: a.client_id })));
      expect(all.map((r) => r.status).sort()).toEqual([200, 200, 400, 400, 400, 400]);
      expect(await live()).toBe(before + 2);
    });

    it('a WABA already on Meta\'s network here is found: its number and client are answered, nothing created', async () => {
      const now = new Date().toISOString();
      await t.deps.db.kysely
        .insertInto('meta_channels')
        .values({ channel_id: b.channel_id, phone_number_id: '1098765432101', waba_id: '5550001112223', access_token_sealed: 'sealed', pin_sealed: null, created_at: now, modified_at: now })
        .execute();
      const before = (await t.deps.db.kysely.selectFrom('channels').select('id').execute()).length;
      const res = await share({ solution_id: '222222', waba_external_id: '5550001112223', waba_business_id: '777777' }, b);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ client_id: b.client_id, channel_external_id: '1098765432101', message: MESSAGE });
      expect((await t.deps.db.kysely.selectFrom('channels').select('id').execute()).length).toBe(before);
      // Not partner a's to onboard.
      expectPartnerError(await share({ solution_id: '222222', waba_external_id: '5550001112223', waba_business_id: '777777' }), 409);
    });
  });

  describe('errors in the Partner API format', () => {
    it('bad bodies are 400s', async () => {
      for (const json of [
        { solution_id: '123456', waba_external_id: '1234567' },
        { waba_external_id: '1234567', client_id: a.client_id },
        { solution_id: '123456', waba_external_id: 'abc', client_id: a.client_id },
        { solution_id: '123456', waba_external_id: '1234567', client_id: a.client_id, tier: 'gold' },
        { solution_id: '123456', waba_external_id: '1234567', client_id: a.client_id, other: 1 },
        { solution_id: 123456, waba_external_id: '1234567', client_id: a.client_id },
        [1],
        null,
        { solution_id: '123456', waba_external_id: '1'.repeat(5000), client_id: a.client_id },
        { solution_id: '123456', waba_external_id: '1234567', client_id: 'x'.repeat(5000) },
        JSON.parse('{"solution_id":"123456","waba_external_id":"1234567","client_id":"x","__proto__":{"admin":true}}'),
      ]) {
        expectPartnerError(await share(json), 400);
      }
      const headers = partnerKey(a.partner_api_key);
      expectPartnerError(await t.post(path(), { headers: { ...headers, 'content-type': 'application/json' }, raw: '{"solution_id":' }), 400);
      // A form body is read as the Partner API reads forms: the same checks (here: neither client nor business).
      const form = await t.post(path(), { headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, raw: 'solution_id=123456&waba_external_id=1234567' });
      expectPartnerError(form, 400, 'One of waba_business_id or client_id');
      expectPartnerError(await t.post(path(), { json: { solution_id: '123456', waba_external_id: '1234567', client_id: a.client_id } }), 401);
    });

    it("an unknown client and another partner's client are 404; another partner's path is refused", async () => {
      expectPartnerError(await share({ solution_id: '123456', waba_external_id: '7777777', client_id: 'nosuchclientCL' }), 404);
      expectPartnerError(await share({ solution_id: '123456', waba_external_id: '7777778', client_id: b.client_id }), 404);
      const cross = await t.post(path(b), { headers: partnerKey(a.partner_api_key), json: { solution_id: '123456', waba_external_id: '7777779', client_id: a.client_id } });
      expect([401, 403, 404]).toContain(cross.status);
      expect(await t.deps.db.kysely.selectFrom('waba_accounts').select('id').where('external_id', 'in', ['7777777', '7777778', '7777779']).execute()).toEqual([]);
    });
  });
});
