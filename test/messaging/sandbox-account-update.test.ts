// Meta's account_update WABA webhook in the sandbox: POST /sandbox/v1/account_update raises
// ACCOUNT_VIOLATION, ACCOUNT_RESTRICTION or DISABLED_UPDATE for the channel's WABA. The event goes
// in Cloud format to every number of the WABA with a webhook (not to other WABAs), the two events
// the reference names as partner events to the partner's webhook, and a restriction is applied
// while it lasts: business-initiated sends (window closed) or replies (window open) are refused
// with Meta's 131031, in each API flavour's format. Bad bodies are a 400 in Meta's format; a
// channel on Meta's network gets 409.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { REPLAY_ENV } from '../helpers/client-replay.ts';
import { Receiver } from '../helpers/receiver.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';

const OPEN_USER = '4915550001111'; // wrote in the last 24 hours
const QUIET_USER = '4915550002222'; // never wrote

const template = (to: string) => ({ messaging_product: 'whatsapp', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
const text = (to: string) => ({ messaging_product: 'whatsapp', to, type: 'text', text: { body: 'Hello' } });

describeEachDb('sandbox: account_update events', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let sibling: { id: string; key: string };
  let wabaExternalId: string;
  const clock = new ManualClock(new Date('2026-12-07T09:00:00.000Z'));
  const key = (k = p.channel_api_key) => ({ 'D360-API-KEY': k });
  const raise = (body: unknown, k = p.channel_api_key) => t.post('/sandbox/v1/account_update', { headers: key(k), json: body });
  const accountUpdates = (path: string) => receiver.bodies(path).filter((b) => b.entry?.[0]?.changes?.[0]?.field === 'account_update');
  const expectMetaError = (res: { status: number; body: any }, status: number, code: number, details?: RegExp) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatchObject({ type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp' } });
    if (details) expect(res.body.error.error_data.details).toMatch(details);
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // The clock decides when a restriction ends; the test moves it.
    t = await startTestApp(kind, { clock, dispatcher: true, env: REPLAY_ENV });
    p = await t.tenant();
    other = await t.tenant();
    const ch = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, phoneNumber: '4930555000111', phoneName: 'Second line', wabaAccountId: p.waba_account_id });
    sibling = { id: ch.id, key: (await createChannelApiKey(t.deps, ch)).api_key };
    wabaExternalId = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).external_id;
    for (const [k, path] of [
      [p.channel_api_key, '/first'],
      [sibling.key, '/sibling'],
      [other.channel_api_key, '/other'],
    ] as const) {
      expect((await t.post('/v1/configs/webhook', { headers: key(k), json: { url: `${receiver.url}${path}` } })).status).toBe(200);
    }
    expect((await t.patch(`/api/v2/partners/${p.partner_id}`, { headers: partnerKey(p.partner_api_key), json: { webhook_url: `${receiver.url}/partner` } })).status).toBe(200);
    expect((await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: OPEN_USER, type: 'text', text: { body: 'Hi there' } } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('ACCOUNT_VIOLATION: Meta’s Cloud webhook to every number of the WABA, account_violation to the partner', async () => {
    const res = await raise({ event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      value: { phone_number: p.phone_number, event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } },
      notified_channels: expect.any(Array),
      partner_event: 'account_violation',
      restrictions: [],
    });
    expect([...res.body.notified_channels].sort()).toEqual([p.channel_id, sibling.id].sort());
    for (const path of ['/first', '/sibling']) {
      const hook = await receiver.waitForBody(`account_update at ${path}`, () => accountUpdates(path)[0]);
      expect(hook).toEqual({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: wabaExternalId,
            time: Math.floor(clock.now().getTime() / 1000),
            changes: [{ field: 'account_update', value: { phone_number: p.phone_number, event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } } }],
          },
        ],
      });
    }
    const partner = await receiver.waitForBody('account_violation', (bodies) => bodies.find((b) => b.event === 'account_violation'));
    expect(partner.data).toMatchObject({ id: p.channel_id, client_id: p.client_id, phone_number: p.phone_number, violation_type: 'SCAM', waba_account: { id: p.waba_account_id } });
    expect(partner.id).toEqual(expect.any(String));
    // Another WABA hears nothing.
    expect(accountUpdates('/other')).toEqual([]);
  });

  it('ACCOUNT_RESTRICTION: the event with restriction_info, account_restriction to the partner, and the restriction in force', async () => {
    const res = await raise({
      event: 'ACCOUNT_RESTRICTION',
      restriction_info: [
        { restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-12-08T09:00:00Z' },
        { restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION', expiration: '2026-12-08T09:00:00+0000' },
      ],
    });
    expect(res.status, res.text).toBe(200);
    const restrictionInfo = [
      { restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-12-08T09:00:00+0000' },
      { restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION', expiration: '2026-12-08T09:00:00+0000' },
    ];
    expect(res.body.value).toEqual({ phone_number: p.phone_number, event: 'ACCOUNT_RESTRICTION', restriction_info: restrictionInfo });
    expect(res.body.partner_event).toBe('account_restriction');
    const hook = await receiver.waitForBody('the restriction', () => accountUpdates('/sibling').find((b) => b.entry[0].changes[0].value.event === 'ACCOUNT_RESTRICTION'));
    expect(hook.entry[0].changes[0].value.restriction_info).toEqual(restrictionInfo);
    const partner = await receiver.waitForBody('account_restriction', (bodies) => bodies.find((b) => b.event === 'account_restriction'));
    expect(partner.data).toMatchObject({ id: p.channel_id, phone_number: p.phone_number, restriction_info: restrictionInfo });
    const shown = await t.get('/sandbox/v1/account_update', { headers: key(sibling.key) });
    expect(shown.body.restrictions).toEqual([
      { restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-12-08T09:00:00.000Z' },
      { restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION', expiration: '2026-12-08T09:00:00.000Z' },
    ]);
  });

  it('while it lasts, business-initiated sends are refused with 131031 on every number of the WABA; replies still go', async () => {
    const stored = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('direction', '=', 'outbound').executeTakeFirstOrThrow()).n);
    const before = await stored();
    expectMetaError(await t.post('/messages', { headers: key(), json: template(QUIET_USER) }), 403, 131031, /RESTRICTED_BIZ_INITIATED_MESSAGING/);
    expectMetaError(await t.post('/messages', { headers: key(sibling.key), json: template(QUIET_USER) }), 403, 131031);
    // On-Premise: refused too, in its own error body.
    const onPrem = await t.post('/v1/messages', { headers: key(), json: { to: QUIET_USER, type: 'text', text: { body: 'Hello' } } });
    expect(onPrem.status, onPrem.text).toBe(403);
    expect(onPrem.body.errors[0].details).toMatch(/RESTRICTED_BIZ_INITIATED_MESSAGING/);
    expect(await stored()).toBe(before);
    // A reply inside the user's 24-hour window is customer-initiated: allowed.
    const reply = await t.post('/messages', { headers: key(), json: text(OPEN_USER) });
    expect(reply.status, reply.text).toBe(200);
    // Another WABA is not restricted.
    expect((await t.post('/messages', { headers: key(other.channel_api_key), json: template(QUIET_USER) })).status).toBe(200);
  });

  it('it ends at its expiration', async () => {
    clock.set(new Date('2026-12-08T09:00:01.000Z'));
    const res = await t.post('/messages', { headers: key(), json: template(QUIET_USER) });
    expect(res.status, res.text).toBe(200);
    expect((await t.get('/sandbox/v1/account_update', { headers: key() })).body.restrictions).toEqual([]);
  });

  it('RESTRICTED_CUSTOMER_INITIATED_MESSAGING refuses replies; a new restriction replaces the old; the default lasts a day', async () => {
    clock.set(new Date('2026-12-08T10:00:00.000Z'));
    expect((await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: OPEN_USER, type: 'text', text: { body: 'Still there?' } } })).status).toBe(200);
    const res = await raise({ event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING' }] });
    expect(res.status, res.text).toBe(200);
    expect(res.body.restrictions).toEqual([{ restriction_type: 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING', expiration: '2026-12-09T10:00:00.000Z' }]);
    expectMetaError(await t.post('/messages', { headers: key(), json: text(OPEN_USER) }), 403, 131031, /RESTRICTED_CUSTOMER_INITIATED_MESSAGING/);
    expect((await t.post('/messages', { headers: key(), json: template(QUIET_USER) })).status).toBe(200);
    // Lifted by a restriction that ends a second from now.
    expect((await raise({ event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING', expiration: Math.floor(Date.parse('2026-12-08T10:00:01Z') / 1000) }] })).status).toBe(200);
    clock.set(new Date('2026-12-08T10:00:02.000Z'));
    expect((await t.post('/messages', { headers: key(), json: text(OPEN_USER) })).status).toBe(200);
  });

  it('DISABLED_UPDATE: ban_info to the numbers’ webhooks, no partner event, nothing refused', async () => {
    const res = await raise({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'SCHEDULE_FOR_DISABLE' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.value).toEqual({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'SCHEDULE_FOR_DISABLE', waba_ban_date: 'December 8, 2026' } });
    expect(res.body.partner_event).toBeNull();
    const hook = await receiver.waitForBody('DISABLED_UPDATE', () => accountUpdates('/first').find((b) => b.entry[0].changes[0].value.event === 'DISABLED_UPDATE'));
    expect(hook.entry[0].changes[0].value).toEqual(res.body.value);
    expect((await t.post('/messages', { headers: key(), json: template(QUIET_USER) })).status).toBe(200);
  });

  describe('bad input', () => {
    it('is a 400 in Meta’s format naming the field, and raises nothing', async () => {
      const count = () => t.deps.db.kysely.selectFrom('webhook_events').select('id').where('event_type', '=', 'account_update').execute();
      const before = (await count()).length;
      for (const [body, field] of [
        [null, /body/],
        [[], /body/],
        [{}, /event/],
        [{ event: 'ACCOUNT_DELETED' }, /event/],
        [{ event: 'ACCOUNT_VIOLATION' }, /violation_info/],
        [{ event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'not a word' } }, /violation_type/],
        [{ event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' }, extra: 1 }, /extra/],
        [{ event: 'ACCOUNT_RESTRICTION', restriction_info: [] }, /restriction_info/],
        [{ event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_EVERYTHING' }] }, /restriction_type/],
        [{ event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2020-01-01T00:00:00Z' }] }, /expiration/],
        [{ event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: 'tomorrow' }] }, /expiration/],
        [{ event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2099-01-01T00:00:00Z' }] }, /expiration/],
        [
          { event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING' }, { restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING' }] },
          /twice/,
        ],
        [{ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'GONE' } }, /waba_ban_state/],
      ] as const) {
        const res = await raise(body);
        expectMetaError(res, 400, 100);
        expect(res.body.error.error_data.details, JSON.stringify(body)).toMatch(field);
      }
      expect((await count()).length).toBe(before);
    });

    it('needs a channel key (401) and a sandbox channel (409)', async () => {
      const res = await t.post('/sandbox/v1/account_update', { headers: { 'D360-API-KEY': 'nope' }, json: { event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } } });
      expect(res.status).toBe(401);
      await t.deps.db.kysely.updateTable('channels').set({ network: 'meta' }).where('id', '=', other.channel_id).execute();
      try {
        const meta = await raise({ event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } }, other.channel_api_key);
        expect(meta.status, meta.text).toBe(409);
      } finally {
        await t.deps.db.kysely.updateTable('channels').set({ network: 'sandbox' }).where('id', '=', other.channel_id).execute();
      }
    });
  });
});
