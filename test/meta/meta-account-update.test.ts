// Meta's WABA-level webhooks for numbers on Meta's network, as 360dialog forwards them: an
// account_update (and phone_number_quality_update, business_capability_update) for a Meta WABA that
// openwaba serves goes, as Meta sent it, in Cloud format to the webhook of every number attached to
// that WABA; ACCOUNT_VIOLATION and ACCOUNT_RESTRICTION also raise the partner events the sandbox
// raises (account_violation, account_restriction), once to each partner serving the WABA; a
// restriction shows in the Partner API's WABA status until its expiration, read against the clock.
// A WABA attached to no channel is answered 200 and dropped, with a log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { ACCESS_TOKEN, META_ENV, metaCloudAndOnPrem, post } from './meta-webhook-fixtures.ts';

const WABA = '102290129340398';
const OTHER_WABA = '102290129340555';
const UNKNOWN_WABA = '102290129340999';
const CLOUD_NUMBER = '106540352242922';
const ONPREM_NUMBER = '106540352242933';
const OTHER_NUMBER = '106540352242944';

describeEachDb('Meta webhooks in: account_update and the WABA’s other account fields', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let cloud: BootstrapResult;
  let onprem: BootstrapResult;
  let other: BootstrapResult;
  let approved: string;
  const clock = new ManualClock(new Date('2026-12-07T09:00:00.000Z'));
  const time = () => Math.floor(clock.now().getTime() / 1000);
  const notificationOf = (wabaId: string, field: string, value: unknown) => ({ object: 'whatsapp_business_account', entry: [{ id: wabaId, time: time(), changes: [{ field, value }] }] });
  /** The Cloud bodies at a path whose change is of this field, and matches. */
  const changesAt = (path: string, field: string, match: (value: any) => boolean = () => true) =>
    receiver.bodies(path).filter((b) => b.entry?.[0]?.changes?.[0]?.field === field && match(b.entry[0].changes[0].value));
  const partnerEvents = (path: string, event: string) => receiver.bodies(path).filter((b) => b.event === event);
  const wabaStatus = async (p: BootstrapResult) => {
    const res = await t.get(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}`, { headers: partnerKey(p.partner_api_key) });
    expect(res.status, res.text).toBe(200);
    return res.body.status as string;
  };
  const channelWabaStatus = async (p: BootstrapResult) => {
    const res = await t.get(`/api/v2/partners/${p.partner_id}/channels`, { headers: partnerKey(p.partner_api_key) });
    expect(res.status, res.text).toBe(200);
    return res.body.partner_channels.find((c: { id: string }) => c.id === p.channel_id).waba_account.status as string;
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { clock, dispatcher: true, env: META_ENV });
    // Two partners' numbers on one Meta WABA (a Cloud and an On-Premise channel), and a third on another.
    ({ cloud, onprem } = await metaCloudAndOnPrem(t, receiver.url, { cloud: CLOUD_NUMBER, onprem: ONPREM_NUMBER }));
    other = await t.tenant();
    await attachMetaChannel(t.deps, other.channel_id, { phoneNumberId: OTHER_NUMBER, wabaId: OTHER_WABA, accessToken: ACCESS_TOKEN });
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': other.channel_api_key }, json: { url: `${receiver.url}/other` } })).status).toBe(200);
    for (const [p, path] of [[cloud, '/partner-cloud'], [onprem, '/partner-onprem'], [other, '/partner-other']] as const) {
      const res = await t.patch(`/api/v2/partners/${p.partner_id}`, { headers: partnerKey(p.partner_api_key), json: { webhook_url: `${receiver.url}${path}` } });
      expect(res.status, res.text).toBe(200);
    }
    approved = await wabaStatus(cloud);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('ACCOUNT_VIOLATION: to every number of the Meta WABA as Meta sent it (Cloud format), account_violation to each partner; other WABAs hear nothing', async () => {
    const value = { phone_number: cloud.phone_number, event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'ALCOHOL' } };
    const body = notificationOf(WABA, 'account_update', value);
    const res = await post(t, body);
    expect(res.status, res.text).toBe(200);
    for (const path of ['/cloud', '/onprem']) {
      const got = await receiver.waitForBody(`the violation at ${path}`, () => changesAt(path, 'account_update', (v) => v.event === 'ACCOUNT_VIOLATION')[0]);
      // The On-Premise number gets Meta's Cloud body too: WABA-level webhooks have no On-Premise form.
      expect(got).toEqual(body);
    }
    // The partner whose number Meta named hears of that number; the other partner of its own.
    const first = await receiver.waitForBody('account_violation (cloud partner)', () => partnerEvents('/partner-cloud', 'account_violation')[0]);
    expect(first.data).toMatchObject({ id: cloud.channel_id, partner_id: cloud.partner_id, phone_number: cloud.phone_number, violation_type: 'ALCOHOL', network: 'meta' });
    const second = await receiver.waitForBody('account_violation (on-prem partner)', () => partnerEvents('/partner-onprem', 'account_violation')[0]);
    expect(second.data).toMatchObject({ id: onprem.channel_id, partner_id: onprem.partner_id, phone_number: onprem.phone_number, violation_type: 'ALCOHOL' });
    // A violation is no restriction: the WABA's status stays.
    expect(await wabaStatus(cloud)).toBe(approved);
    expect(changesAt('/other', 'account_update')).toEqual([]);
    expect(partnerEvents('/partner-other', 'account_violation')).toEqual([]);
  });

  it('ACCOUNT_RESTRICTION: forwarded intact, account_restriction to each partner, and the WABA shows account_restriction until the expiration', async () => {
    const restrictionInfo = [
      { restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-12-08T09:00:00+0000' },
      // A type openwaba does not know yet: forwarded, not stored.
      { restriction_type: 'RESTRICTED_SOMETHING_NEW', expiration: '2026-12-09T09:00:00+0000' },
    ];
    const value = { phone_number: onprem.phone_number, event: 'ACCOUNT_RESTRICTION', restriction_info: restrictionInfo };
    const body = notificationOf(WABA, 'account_update', value);
    expect((await post(t, body)).status).toBe(200);
    for (const path of ['/cloud', '/onprem']) {
      expect(await receiver.waitForBody(`the restriction at ${path}`, () => changesAt(path, 'account_update', (v) => v.event === 'ACCOUNT_RESTRICTION')[0])).toEqual(body);
    }
    const onpremEvent = await receiver.waitForBody('account_restriction (on-prem partner)', () => partnerEvents('/partner-onprem', 'account_restriction')[0]);
    expect(onpremEvent.data).toMatchObject({ id: onprem.channel_id, phone_number: onprem.phone_number, restriction_info: restrictionInfo, waba_account: { status: 'account_restriction' } });
    const cloudEvent = await receiver.waitForBody('account_restriction (cloud partner)', () => partnerEvents('/partner-cloud', 'account_restriction')[0]);
    expect(cloudEvent.data).toMatchObject({ id: cloud.channel_id, restriction_info: restrictionInfo });

    const stored = await t.deps.db.kysely.selectFrom('channels').select(['id', 'waba_restrictions']).where('id', 'in', [cloud.channel_id, onprem.channel_id, other.channel_id]).execute();
    const byId = new Map(stored.map((r) => [r.id, r.waba_restrictions === null ? null : JSON.parse(r.waba_restrictions)]));
    const kept = [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-12-08T09:00:00.000Z' }];
    expect(byId.get(cloud.channel_id)).toEqual(kept);
    expect(byId.get(onprem.channel_id)).toEqual(kept);
    expect(byId.get(other.channel_id)).toBeNull();

    // The Partner API: the WABA object and the channel object's waba_account, for both partners.
    expect(await wabaStatus(cloud)).toBe('account_restriction');
    expect(await wabaStatus(onprem)).toBe('account_restriction');
    expect(await channelWabaStatus(cloud)).toBe('account_restriction');
    expect(await wabaStatus(other)).toBe(approved);

    // Past its expiration (no job runs): the stored status again.
    clock.set(new Date('2026-12-08T09:00:01.000Z'));
    expect(await wabaStatus(cloud)).toBe(approved);
    expect(await channelWabaStatus(onprem)).toBe(approved);
  });

  it('a restriction Meta lifts (an ACCOUNT_RESTRICTION with none in force) clears the stored ones', async () => {
    clock.set(new Date('2026-12-08T10:00:00.000Z'));
    const add = notificationOf(WABA, 'account_update', {
      phone_number: cloud.phone_number,
      event: 'ACCOUNT_RESTRICTION',
      restriction_info: [{ restriction_type: 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING', expiration: Math.floor(Date.parse('2026-12-10T10:00:00Z') / 1000) }],
    });
    expect((await post(t, add)).status).toBe(200);
    expect(await wabaStatus(cloud)).toBe('account_restriction');
    const lift = notificationOf(WABA, 'account_update', { phone_number: cloud.phone_number, event: 'ACCOUNT_RESTRICTION', restriction_info: [] });
    expect((await post(t, lift)).status).toBe(200);
    expect(await wabaStatus(cloud)).toBe(approved);
  });

  it("Meta's other account events and fields are forwarded too, without partner events; phone_number_quality_update still moves the limit", async () => {
    const verified = notificationOf(WABA, 'account_update', { event: 'VERIFIED_ACCOUNT' });
    const capability = notificationOf(WABA, 'business_capability_update', { max_daily_conversation_per_phone: 1000, max_phone_numbers_per_business: 2 });
    const quality = notificationOf(WABA, 'phone_number_quality_update', { display_phone_number: `+${cloud.phone_number}`, event: 'UPGRADE', current_limit: 'TIER_10K' });
    const disabled = notificationOf(WABA, 'account_update', { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'SCHEDULE_FOR_DISABLE', waba_ban_date: 'December 31, 2026' } });
    // Counted in the outbox, not at the receiver: an earlier test's partner events may still be
    // on their way there.
    const partnerAccountEvents = async () =>
      Number(
        (await t.deps.db.kysely.selectFrom('webhook_events').select((eb) => eb.fn.countAll().as('n')).where('target_type', '=', 'partner').where('event_type', 'like', 'account_%').executeTakeFirstOrThrow()).n,
      );
    const before = await partnerAccountEvents();
    for (const body of [verified, capability, quality, disabled]) expect((await post(t, body)).status).toBe(200);
    for (const path of ['/cloud', '/onprem']) {
      expect(await receiver.waitForBody(`VERIFIED_ACCOUNT at ${path}`, () => changesAt(path, 'account_update', (v) => v.event === 'VERIFIED_ACCOUNT')[0])).toEqual(verified);
      expect(await receiver.waitForBody(`business_capability_update at ${path}`, () => changesAt(path, 'business_capability_update')[0])).toEqual(capability);
      expect(await receiver.waitForBody(`phone_number_quality_update at ${path}`, () => changesAt(path, 'phone_number_quality_update', (v) => v.current_limit === 'TIER_10K')[0])).toEqual(quality);
      expect(await receiver.waitForBody(`DISABLED_UPDATE at ${path}`, () => changesAt(path, 'account_update', (v) => v.event === 'DISABLED_UPDATE')[0])).toEqual(disabled);
    }
    const limit = await t.deps.db.kysely.selectFrom('channels').select('current_limit').where('id', '=', cloud.channel_id).executeTakeFirstOrThrow();
    expect(limit.current_limit).toBe('TIER_10K');
    // The outbox holds them as account_update events of each number.
    const events = await t.deps.db.kysely.selectFrom('webhook_events').select('body').where('target_id', '=', cloud.channel_id).where('event_type', '=', 'account_update').execute();
    expect(events.filter((e) => e.body.includes('business_capability_update'))).toHaveLength(1);
    // No partner event for any of them.
    expect(await partnerAccountEvents()).toBe(before);
    expect(changesAt('/other', 'business_capability_update')).toEqual([]);
  });

  describe('what is dropped', () => {
    it('a WABA attached to no channel: 200, nothing delivered or stored, a warning naming the WABA', async () => {
      const events = async () => Number((await t.deps.db.kysely.selectFrom('webhook_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = await events();
      const res = await post(t, notificationOf(UNKNOWN_WABA, 'account_update', { phone_number: '4915550001', event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } }));
      expect(res.status, res.text).toBe(200);
      expect(await events()).toBe(before);
      await waitUntil('the warning', () => t.logs.some((l) => l.includes(UNKNOWN_WABA) && l.includes('no channel is attached to this WABA')));
    });

    it('a terminated number gets nothing; a change without an object value or with an entry id that is no WABA id is skipped, answered 200', async () => {
      await t.deps.db.kysely.updateTable('channels').set({ status: 'terminated' }).where('id', '=', other.channel_id).execute();
      try {
        expect((await post(t, notificationOf(OTHER_WABA, 'account_update', { event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } }))).status).toBe(200);
      } finally {
        await t.deps.db.kysely.updateTable('channels').set({ status: 'ready' }).where('id', '=', other.channel_id).execute();
      }
      // Live again, it hears of its WABA: the one before was dropped for the termination alone.
      expect((await post(t, notificationOf(OTHER_WABA, 'account_update', { event: 'VERIFIED_ACCOUNT' }))).status).toBe(200);
      await receiver.waitForBody('VERIFIED_ACCOUNT at /other', () => changesAt('/other', 'account_update', (v) => v.event === 'VERIFIED_ACCOUNT')[0]);
      expect((await post(t, notificationOf(WABA, 'account_update', 'not an object'))).status).toBe(200);
      expect((await post(t, notificationOf('not-a-waba', 'account_update', { event: 'ACCOUNT_VIOLATION' }))).status).toBe(200);
      expect((await post(t, notificationOf(WABA, 'business_capability_update', [1, 2]))).status).toBe(200);
      const stored = await t.deps.db.kysely.selectFrom('webhook_events').select('body').where('event_type', '=', 'account_update').execute();
      expect(stored.filter((e) => e.body.includes('not an object') || e.body.includes('not-a-waba') || e.body.includes('[1,2]'))).toEqual([]);
      const otherEvents = await t.deps.db.kysely.selectFrom('webhook_events').select('body').where('target_id', '=', other.channel_id).where('event_type', '=', 'account_update').execute();
      expect(otherEvents.map((e) => JSON.parse(e.body).entry[0].changes[0].value.event)).toEqual(['VERIFIED_ACCOUNT']);
      expect(partnerEvents('/partner-other', 'account_violation')).toEqual([]);
    });
  });
});
