// Per-channel pricing analytics (GET …/clients/{cid}/channels/{chid}/info/usage) counted from the
// stored messages, and the Click-to-WhatsApp switches (POST …/channels/{chid}/enable_ctwa |
// disable_ctwa): happy path, bad input as the Partner API's 400, another partner's key and ids
// refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { ManualClock } from '../src/clock.ts';
import { createChannel } from '../src/services/channels.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import type { MessageStatus } from '../src/db/schema.ts';
import { insertMessageRow } from './helpers/messages.ts';

const unix = (iso: string) => String(Date.parse(iso) / 1000);
const secs = (iso: string) => Date.parse(iso) / 1000;

describeEachDb('per-channel usage (info/usage) and the CTWA switches', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let ch2: string; // a second channel of a's client
  const clock = new ManualClock(new Date('2025-11-20T12:00:00.000Z'));
  const key = (q: BootstrapResult = a) => partnerKey(q.partner_api_key);
  const channelUrl = (chid: string, q: BootstrapResult = a) => `/api/v2/partners/${q.partner_id}/clients/${q.client_id}/channels/${chid}`;
  const usage = (query: Record<string, string>, chid = a.channel_id) => t.get(`${channelUrl(chid)}/info/usage`, { headers: key(), query });
  const ctwa = async (chid: string) => (await t.deps.db.kysely.selectFrom('channels').select('ctwa_enabled').where('id', '=', chid).executeTakeFirstOrThrow()).ctwa_enabled;

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_PARTNER_RATE_LIMITS: 'false' } });
    a = await t.tenant();
    b = await t.tenant();
    ch2 = (await createChannel(t.deps, { partnerId: a.partner_id, clientId: a.client_id, phoneNumber: '4915000000012', phoneName: 'Second', network: 'sandbox' })).id;
    const msg = (channel: string, direction: 'outbound' | 'inbound', category: string | null, status: MessageStatus, at: string, q: BootstrapResult = a) =>
      insertMessageRow(t.deps.db, {
        partner_id: q.partner_id,
        client_id: q.client_id,
        channel_id: channel,
        direction,
        type: direction === 'outbound' && category !== 'service' ? 'template' : 'text',
        status,
        error_code: status === 'failed' ? 131047 : null,
        category,
        created_at: at,
      });
    await msg(a.channel_id, 'outbound', 'marketing', 'delivered', '2025-10-01T00:00:00.000Z');
    await msg(a.channel_id, 'outbound', 'marketing', 'read', '2025-10-01T23:59:59.999Z');
    await msg(a.channel_id, 'outbound', 'marketing_lite', 'read', '2025-10-01T10:00:00.000Z');
    await msg(a.channel_id, 'outbound', 'utility', 'delivered', '2025-10-02T10:00:00.000Z');
    await msg(a.channel_id, 'outbound', 'service', 'read', '2025-10-02T12:00:00.000Z');
    await msg(a.channel_id, 'outbound', 'utility', 'sent', '2025-10-02T13:00:00.000Z'); // not delivered: not counted
    await msg(a.channel_id, 'outbound', 'marketing', 'failed', '2025-10-02T14:00:00.000Z'); // failed: not counted
    await msg(a.channel_id, 'inbound', 'service', 'received', '2025-10-02T12:30:00.000Z'); // the user's: not priced, not listed
    await msg(a.channel_id, 'outbound', 'authentication', 'delivered', '2025-11-05T08:00:00.000Z');
    await msg(ch2, 'outbound', 'authentication', 'delivered', '2025-10-01T11:00:00.000Z'); // another channel
    await msg(b.channel_id, 'outbound', 'marketing', 'read', '2025-10-01T11:00:00.000Z', b); // another partner
  });
  afterAll(async () => {
    await t?.close();
  });

  it("DAILY: delivered messages per day and pricing category, in Meta's pricing analytics shape", async () => {
    const res = await usage({ start_date: unix('2025-10-01T00:00:00Z'), end_date: unix('2025-10-03T23:59:59Z'), granularity: 'DAILY' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.currency).toBe('EUR');
    expect(res.body.granularity).toBe('DAILY');
    const phone = a.phone_number;
    const point = (day: string, next: string, pricing_category: string, volume: number, cost: number) => ({
      start: secs(day),
      end: secs(next),
      phone_number: phone,
      pricing_type: pricing_category === 'SERVICE' ? 'FREE_CUSTOMER_SERVICE' : 'REGULAR',
      pricing_category,
      volume,
      cost,
    });
    expect(res.body.pricing_analytics).toEqual({
      data: [
        {
          data_points: [
            point('2025-10-01T00:00:00Z', '2025-10-02T00:00:00Z', 'MARKETING', 2, 0.12),
            point('2025-10-01T00:00:00Z', '2025-10-02T00:00:00Z', 'MARKETING_LITE', 1, 0.06),
            point('2025-10-02T00:00:00Z', '2025-10-03T00:00:00Z', 'SERVICE', 1, 0),
            point('2025-10-02T00:00:00Z', '2025-10-03T00:00:00Z', 'UTILITY', 1, 0.02),
          ],
        },
      ],
    });
  });

  it('MONTHLY (also "month"): periods are months; the second channel only sees its own', async () => {
    const res = await usage({ start_date: unix('2025-10-01T00:00:00Z'), end_date: unix('2025-11-30T23:59:59Z'), granularity: 'month' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.granularity).toBe('MONTHLY');
    const points = res.body.pricing_analytics.data[0].data_points as { start: number; end: number; pricing_category: string; volume: number }[];
    expect(points.map((p) => [p.start, p.end, p.pricing_category, p.volume])).toEqual([
      [secs('2025-10-01T00:00:00Z'), secs('2025-11-01T00:00:00Z'), 'MARKETING', 2],
      [secs('2025-10-01T00:00:00Z'), secs('2025-11-01T00:00:00Z'), 'MARKETING_LITE', 1],
      [secs('2025-10-01T00:00:00Z'), secs('2025-11-01T00:00:00Z'), 'SERVICE', 1],
      [secs('2025-10-01T00:00:00Z'), secs('2025-11-01T00:00:00Z'), 'UTILITY', 1],
      [secs('2025-11-01T00:00:00Z'), secs('2025-12-01T00:00:00Z'), 'AUTHENTICATION', 1],
    ]);
    const second = await usage({ start_date: unix('2025-10-01T00:00:00Z'), end_date: unix('2025-11-30T23:59:59Z'), granularity: 'MONTHLY' }, ch2);
    expect(second.status, second.text).toBe(200);
    expect(second.body.pricing_analytics.data[0].data_points).toEqual([
      expect.objectContaining({ pricing_category: 'AUTHENTICATION', volume: 1, cost: 0.03, phone_number: '4915000000012' }),
    ]);
    // A window with nothing in it: no data points.
    const none = await usage({ start_date: unix('2025-01-01T00:00:00Z'), end_date: unix('2025-01-31T23:59:59Z') });
    expect(none.body.pricing_analytics).toEqual({ data: [{ data_points: [] }] });
  });

  it("bad query values are the Partner API's 400", async () => {
    expectPartnerError(await usage({ granularity: 'HOURLY' }), 400, 'granularity');
    expectPartnerError(await usage({ start_date: 'yesterday' }), 400, 'start_date');
    expectPartnerError(await usage({ end_date: '1700000000000' }), 400, 'milliseconds');
    expectPartnerError(await usage({ start_date: unix('2025-10-02T00:00:00Z'), end_date: unix('2025-10-01T00:00:00Z') }), 400, 'start_date');
    expectPartnerError(await usage({ start_date: unix('2020-01-01T00:00:00Z'), end_date: unix('2025-10-01T00:00:00Z'), granularity: 'DAILY' }), 400, 'at most');
  });

  it("another partner's key, client or channel is refused; nothing leaks", async () => {
    // b's key on a's path.
    const foreign = await t.get(`${channelUrl(a.channel_id)}/info/usage`, { headers: key(b) });
    expect([401, 403]).toContain(foreign.status);
    expect(JSON.stringify(foreign.body)).not.toContain('pricing_analytics');
    // a's key naming b's channel under a's client, and b's client.
    expectPartnerError(await usage({}, b.channel_id), 404);
    expectPartnerError(await t.get(`/api/v2/partners/${a.partner_id}/clients/${b.client_id}/channels/${b.channel_id}/info/usage`, { headers: key() }), 404);
    // No key at all.
    expect((await t.get(`${channelUrl(a.channel_id)}/info/usage`)).status).toBe(401);
    // The CTWA switch: the same scoping, and b's channel is left alone.
    const cross = await t.post(`${channelUrl(b.channel_id, b)}/enable_ctwa`, { headers: key(a) });
    expect([401, 403]).toContain(cross.status);
    expectPartnerError(await t.post(`${channelUrl(b.channel_id)}/enable_ctwa`, { headers: key() }), 404);
    expect(await ctwa(b.channel_id)).toBe(0);
  });

  it('enable_ctwa and disable_ctwa switch the stored flag; repeating is fine', async () => {
    expect(await ctwa(a.channel_id)).toBe(0);
    const on = await t.post(`${channelUrl(a.channel_id)}/enable_ctwa`, { headers: key() });
    expect(on.status, on.text).toBe(200);
    expect(on.body).toEqual({ success: true });
    expect(await ctwa(a.channel_id)).toBe(1);
    expect(await ctwa(ch2)).toBe(0);
    expect((await t.post(`${channelUrl(a.channel_id)}/enable_ctwa`, { headers: key() })).status).toBe(200);
    expect(await ctwa(a.channel_id)).toBe(1);
    const off = await t.post(`${channelUrl(a.channel_id)}/disable_ctwa`, { headers: key() });
    expect(off.status, off.text).toBe(200);
    expect(await ctwa(a.channel_id)).toBe(0);
    expectPartnerError(await t.post(`${channelUrl('nope-channel')}/disable_ctwa`, { headers: key() }), 404);
  });
});
