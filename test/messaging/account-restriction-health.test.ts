// Where a WABA restriction (sandbox account_update ACCOUNT_RESTRICTION) shows while it lasts: the
// number's Cloud GET /health_status (the WABA entity LIMITED for one messaging restriction, BLOCKED
// for both, with errors[] naming each; the overall value the worst entity's) and the Partner API's
// WABA account object and every channel object's waba_account (status account_restriction). Its
// expiration is honoured when read: the stored row stays, nothing runs, and the next read is clean.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';

describeEachDb('WABA restrictions in health_status and the Partner API', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let siblingKey: string;
  let wabaExternalId: string;
  let approved: string;
  const clock = new ManualClock(new Date('2026-12-07T09:00:00.000Z'));
  const key = (k = p.channel_api_key) => ({ 'D360-API-KEY': k });
  const restrict = async (types: string[], expiration = '2026-12-08T09:00:00Z') => {
    const res = await t.post('/sandbox/v1/account_update', { headers: key(), json: { event: 'ACCOUNT_RESTRICTION', restriction_info: types.map((restriction_type) => ({ restriction_type, expiration })) } });
    expect(res.status, res.text).toBe(200);
  };
  const health = async (k = p.channel_api_key) => {
    const res = await t.get('/health_status', { headers: key(k) });
    expect(res.status, res.text).toBe(200);
    const byType = Object.fromEntries(res.body.health_status.entities.map((e: { entity_type: string }) => [e.entity_type, e]));
    return { overall: res.body.health_status.can_send_message as string, waba: byType.WABA, number: byType.PHONE_NUMBER };
  };
  const partner = (q: BootstrapResult = p) => ({ headers: partnerKey(q.partner_api_key) });
  const wabaStatus = async (q: BootstrapResult = p) => {
    const res = await t.get(`/api/v2/partners/${q.partner_id}/waba_accounts/${q.waba_account_id}`, partner(q));
    expect(res.status, res.text).toBe(200);
    return res.body.status as string;
  };
  const channelWabaStatus = async () => {
    const one = await t.get(`/api/v2/partners/${p.partner_id}/channels/${p.channel_id}`, partner());
    expect(one.status, one.text).toBe(200);
    const list = await t.get(`/api/v2/partners/${p.partner_id}/channels`, partner());
    expect(list.status, list.text).toBe(200);
    const statuses = list.body.partner_channels.map((c: { waba_account: { status: string } }) => c.waba_account.status);
    return { one: one.body.waba_account.status as string, list: [...new Set(statuses)] };
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    p = await t.tenant();
    other = await t.tenant();
    const sibling = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, phoneNumber: '4930555000222', phoneName: 'Second line', wabaAccountId: p.waba_account_id });
    siblingKey = (await createChannelApiKey(t.deps, sibling)).api_key;
    wabaExternalId = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).external_id;
    approved = await wabaStatus();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('without a restriction: every entity AVAILABLE, no errors; the WABA has its own status', async () => {
    const h = await health();
    expect(h.overall).toBe('AVAILABLE');
    expect(h.waba).toEqual({ entity_type: 'WABA', id: wabaExternalId, can_send_message: 'AVAILABLE' });
    expect(approved).toBe('approved');
    expect(await channelWabaStatus()).toEqual({ one: 'approved', list: ['approved'] });
  });

  it('RESTRICTED_BIZ_INITIATED_MESSAGING: the WABA entity and the whole LIMITED, with an error naming it, on every number of the WABA; the Partner API shows account_restriction', async () => {
    await restrict(['RESTRICTED_BIZ_INITIATED_MESSAGING']);
    for (const k of [p.channel_api_key, siblingKey]) {
      const h = await health(k);
      expect(h.overall).toBe('LIMITED');
      expect(h.number.can_send_message).toBe('AVAILABLE');
      expect(h.waba).toEqual({
        entity_type: 'WABA',
        id: wabaExternalId,
        can_send_message: 'LIMITED',
        errors: [{ error_code: 131031, error_description: expect.stringMatching(/RESTRICTED_BIZ_INITIATED_MESSAGING/), possible_solution: expect.any(String) }],
        additional_info: [expect.stringMatching(/Replies/)],
      });
      expect(h.waba.errors[0].error_description).toContain('2026-12-08T09:00:00.000Z');
    }
    expect(await wabaStatus()).toBe('account_restriction');
    expect(await channelWabaStatus()).toEqual({ one: 'account_restriction', list: ['account_restriction'] });
    // Another WABA is not restricted.
    expect((await health(other.channel_api_key)).overall).toBe('AVAILABLE');
    expect(await wabaStatus(other)).toBe('approved');
  });

  it('both messaging restrictions: BLOCKED with two errors', async () => {
    await restrict(['RESTRICTED_BIZ_INITIATED_MESSAGING', 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING']);
    const h = await health();
    expect(h.overall).toBe('BLOCKED');
    expect(h.waba.can_send_message).toBe('BLOCKED');
    expect(h.waba.errors.map((e: { error_code: number; error_description: string }) => [e.error_code, e.error_description.match(/RESTRICTED_\w+/)?.[0]])).toEqual([
      [131031, 'RESTRICTED_BIZ_INITIATED_MESSAGING'],
      [131031, 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING'],
    ]);
    expect(h.waba.additional_info).toBeUndefined();
  });

  it('only RESTRICTED_ADD_PHONE_NUMBER_ACTION: messaging AVAILABLE, the WABA status still account_restriction', async () => {
    await restrict(['RESTRICTED_ADD_PHONE_NUMBER_ACTION']);
    const h = await health();
    expect(h.overall).toBe('AVAILABLE');
    expect(h.waba).toEqual({ entity_type: 'WABA', id: wabaExternalId, can_send_message: 'AVAILABLE' });
    expect(await wabaStatus()).toBe('account_restriction');
  });

  it('past the expiration everything reads clean again, though the stored restriction is still there (nothing ran)', async () => {
    await restrict(['RESTRICTED_CUSTOMER_INITIATED_MESSAGING']);
    expect((await health()).overall).toBe('LIMITED');
    clock.set(new Date('2026-12-08T09:00:00.001Z'));
    const h = await health();
    expect(h.overall).toBe('AVAILABLE');
    expect(h.waba.errors).toBeUndefined();
    expect(await wabaStatus()).toBe('approved');
    expect(await channelWabaStatus()).toEqual({ one: 'approved', list: ['approved'] });
    const row = await t.deps.db.kysely.selectFrom('channels').select('waba_restrictions').where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    expect(JSON.parse(row.waba_restrictions!)).toEqual([{ restriction_type: 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING', expiration: '2026-12-08T09:00:00.000Z' }]);
  });

  it('a number added to the WABA while a restriction lasts is restricted too: its health and its channel object show it', async () => {
    clock.set(new Date('2026-12-08T10:00:00.000Z'));
    await restrict(['RESTRICTED_BIZ_INITIATED_MESSAGING'], '2026-12-09T10:00:00Z');
    const third = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, phoneNumber: '4930555000333', phoneName: 'Third line', wabaAccountId: p.waba_account_id });
    const h = await health((await createChannelApiKey(t.deps, third)).api_key);
    expect(h.overall).toBe('LIMITED');
    expect(h.waba.errors[0].error_description).toContain('2026-12-09T10:00:00.000Z');
    const wire = await t.get(`/api/v2/partners/${p.partner_id}/channels/${third.id}`, partner());
    expect(wire.body.waba_account.status).toBe('account_restriction');
    // A number of another WABA is not.
    const elsewhere = await createChannel(t.deps, { partnerId: other.partner_id, clientId: other.client_id, phoneNumber: '4930555000444', phoneName: 'Elsewhere', wabaAccountId: other.waba_account_id });
    expect(elsewhere.waba_restrictions).toBeNull();
  });
});
