// Review of business-scoped user ids (BSUIDs), sandbox side and content retention:
// - the pair rate limit (131056) is the user's, however the business names them: a send to a
//   sandbox user's BSUID counts against the same bucket as one to their number;
// - content retention keeps the user's ids in a message event: a user Meta gives no number for is
//   named by user_id / from_user_id only, and those must stay (as wa_id and from do).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { PAIR_BURST } from '../../src/messaging/limits.ts';
import { sandboxBsuid } from '../../src/network/bsuid.ts';
import { removedEventBody } from '../../src/messaging/webhook-content-retention.ts';

const ADMIN = 'bsuid-review-admin-token-0123456789';
const KEY_HEX = 'd'.repeat(64);

describe('content retention of a message event with BSUIDs', () => {
  const removal = { at: '2026-07-01T12:00:00.000Z', retentionDays: 30 };
  const envelope = (value: Record<string, unknown>) =>
    JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', ...value } }] }] });

  it("a phoneless user's message keeps user_id / parent_user_id / from_user_id / from_parent_user_id; the username goes with the name", () => {
    const body = envelope({
      contacts: [{ profile: { name: 'Ann', username: '@ann' }, user_id: 'GB.88123456789012345678', parent_user_id: 'GB.ENT.11815799212886844830' }],
      messages: [{ from_user_id: 'GB.88123456789012345678', from_parent_user_id: 'GB.ENT.11815799212886844830', id: 'wamid.X', timestamp: '1780000000', type: 'text', text: { body: 'secret' } }],
    });
    const value = JSON.parse(removedEventBody(body, removal)).entry[0].changes[0].value;
    expect(value.contacts).toEqual([{ profile: {}, user_id: 'GB.88123456789012345678', parent_user_id: 'GB.ENT.11815799212886844830' }]);
    expect(value.messages).toEqual([
      { from_user_id: 'GB.88123456789012345678', from_parent_user_id: 'GB.ENT.11815799212886844830', id: 'wamid.X', timestamp: '1780000000', type: 'text', removed: { at: removal.at, retention_days: 30 } },
    ]);
    expect(JSON.stringify(value)).not.toMatch(/secret|@ann|Ann/);
  });

  it('a user with a number keeps wa_id and user_id', () => {
    const body = envelope({
      contacts: [{ profile: { name: 'Jane' }, wa_id: '16505551234', user_id: 'US.13491208655302741918' }],
      messages: [{ from: '16505551234', from_user_id: 'US.13491208655302741918', id: 'wamid.Y', timestamp: '1780000000', type: 'text', text: { body: 'x' } }],
    });
    const value = JSON.parse(removedEventBody(body, removal)).entry[0].changes[0].value;
    expect(value.contacts).toEqual([{ profile: {}, wa_id: '16505551234', user_id: 'US.13491208655302741918' }]);
    expect(value.messages[0]).toMatchObject({ from: '16505551234', from_user_id: 'US.13491208655302741918' });
  });
});

describeEachDb('sandbox BSUIDs: review', (kind) => {
  let t: TestApp;
  const clock = new ManualClock(new Date('2026-05-01T10:00:00.000Z'));

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SECRET_KEY: KEY_HEX } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("the pair rate limit (131056) counts sends to a user's BSUID and to their number together", async () => {
    const p = await t.tenant();
    const headers = { 'D360-API-KEY': p.channel_api_key };
    await t.post(`/admin/channels/${p.channel_id}/throughput`, { headers: { authorization: `Bearer ${ADMIN}` }, json: { mps: 1000 } });
    const user = '4917612349999';
    const wrote = await t.post('/sandbox/v1/inbound', { headers, json: { from: user, name: 'Jane', type: 'text', text: { body: 'hi' } } });
    expect(wrote.status, wrote.text).toBe(200);
    const userId = sandboxBsuid(t.deps.config.secretKey, p.partner_id, user);
    const send = (to: Record<string, string>) => t.post('/messages', { headers, json: { messaging_product: 'whatsapp', ...to, type: 'text', text: { body: 'x' } } });

    const first = await Promise.all(Array.from({ length: PAIR_BURST }, () => send({ to: user })));
    expect(first.filter((r) => r.status === 200)).toHaveLength(PAIR_BURST);
    expect((await send({ to: user })).body.error?.code).toBe(131056);
    // The same user by their BSUID: the same pair.
    const byId = await send({ recipient: userId });
    expect(byId.status, byId.text).toBe(400);
    expect(byId.body.error).toMatchObject({ code: 131056 });

    // And the other way round: a burst by BSUID leaves nothing for the number.
    clock.advance(PAIR_BURST * 6_000);
    const again = await Promise.all(Array.from({ length: PAIR_BURST }, () => send({ recipient: userId })));
    expect(again.filter((r) => r.status === 200)).toHaveLength(PAIR_BURST);
    expect((await send({ to: user })).body.error?.code).toBe(131056);
  });
});
