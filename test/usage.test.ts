// Usage statistics (GET …/info/balance): counted from stored messages per day or month, priced
// with the sandbox price list; bad dates are 400s; other partners' clients and channels are not seen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { ManualClock } from '../src/clock.ts';
import { createChannel } from '../src/services/channels.ts';
import { createClient } from '../src/services/clients.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import type { MessageStatus } from '../src/db/schema.ts';
import { insertMessageRow } from './helpers/messages.ts';

const unix = (iso: string) => String(Date.parse(iso) / 1000);

describeEachDb('usage statistics (info/balance)', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let ch2: string; // a second channel of a's client
  let otherClient: string; // another client of partner a
  let otherClientChannel: string;
  const clock = new ManualClock(new Date('2025-11-20T12:00:00.000Z'));
  const key = () => partnerKey(a.partner_api_key);
  const balanceUrl = (chid?: string) => `/api/v2/partners/${a.partner_id}/clients/${a.client_id}${chid ? `/channels/${chid}` : ''}/info/balance`;

  const message = (m: { partner: string; client: string; channel: string; direction: 'outbound' | 'inbound'; status: MessageStatus; category: string | null; at: string }) =>
    insertMessageRow(t.deps.db, {
      partner_id: m.partner,
      client_id: m.client,
      channel_id: m.channel,
      direction: m.direction,
      type: m.direction === 'outbound' && m.category !== 'service' ? 'template' : 'text',
      status: m.status,
      error_code: m.status === 'failed' ? 131047 : null,
      category: m.category,
      created_at: m.at,
    });

  beforeAll(async () => {
    // Many balance reads in a row: the documented 5 per 30 s (rate-limits.ts) has its own test.
    t = await startTestApp(kind, { clock, env: { OPENWABA_PARTNER_RATE_LIMITS: 'false' } });
    a = await t.tenant();
    b = await t.tenant();
    ch2 = (await createChannel(t.deps, { partnerId: a.partner_id, clientId: a.client_id, phoneNumber: '4915000000002', phoneName: 'Second', network: 'sandbox' })).id;
    otherClient = (await createClient(t.deps, a.partner_id, { name: 'Other client' })).id;
    otherClientChannel = (await createChannel(t.deps, { partnerId: a.partner_id, clientId: otherClient, phoneNumber: '4915000000003', phoneName: 'Other', network: 'sandbox' })).id;

    const own = { partner: a.partner_id, client: a.client_id };
    const out = (channel: string, category: string | null, status: MessageStatus, at: string) => message({ ...own, channel, direction: 'outbound', category, status, at });
    const inb = (channel: string, at: string) => message({ ...own, channel, direction: 'inbound', category: 'service', status: 'received', at });
    // October 2025
    await out(a.channel_id, 'marketing', 'delivered', '2025-10-01T00:00:00.000Z');
    await out(a.channel_id, 'marketing', 'read', '2025-10-01T23:59:59.999Z');
    await out(a.channel_id, 'utility', 'sent', '2025-10-02T10:00:00.000Z');
    await out(ch2, 'authentication', 'delivered', '2025-10-02T11:00:00.000Z');
    await out(a.channel_id, 'service', 'read', '2025-10-02T12:00:00.000Z');
    await inb(a.channel_id, '2025-10-02T12:30:00.000Z');
    await out(a.channel_id, 'marketing', 'accepted', '2025-10-03T09:00:00.000Z'); // never sent: not counted
    await out(a.channel_id, 'marketing', 'failed', '2025-10-03T09:00:01.000Z'); // failed: not counted
    await inb(ch2, '2025-10-31T23:59:59.999Z');
    // November 2025 (a stored category in capitals and a missing one are read as such / as service)
    await out(a.channel_id, 'UTILITY', 'delivered', '2025-11-01T00:00:00.000Z');
    await out(a.channel_id, null, 'delivered', '2025-11-02T00:00:00.000Z');
    // September 2025: before the windows below
    await out(a.channel_id, 'marketing', 'read', '2025-09-30T23:59:59.999Z');
    // Not this client's, not this partner's
    await message({ partner: a.partner_id, client: otherClient, channel: otherClientChannel, direction: 'outbound', category: 'marketing', status: 'read', at: '2025-10-15T00:00:00.000Z' });
    await message({ partner: b.partner_id, client: b.client_id, channel: b.channel_id, direction: 'outbound', category: 'marketing', status: 'read', at: '2025-10-15T00:00:00.000Z' });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('happy path', () => {
    it('MONTH: one row per month, empty months included, counted by direction and category, priced', async () => {
      const res = await t.get(balanceUrl(), { headers: key(), query: { start_date: unix('2025-10-01T00:00:00Z'), end_date: unix('2025-12-31T23:59:59Z'), granularity: 'MONTH' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ balance: 0, currency: 'EUR', last_renewal: null, granularity: 'MONTH' });
      expect(res.body.usage.map((u: { period_date: string }) => u.period_date)).toEqual(['2025-10-01T00:00:00Z', '2025-11-01T00:00:00Z', '2025-12-01T00:00:00Z']);
      const [oct, nov, dec] = res.body.usage;
      expect(oct).toEqual({
        period_date: '2025-10-01T00:00:00Z',
        quantity: 7,
        paid_quantity: 4,
        free_quantity: 3,
        free_tier: 3,
        free_entry_point: 0,
        business_initiated_quantity: 5,
        business_initiated_paid_quantity: 4,
        business_initiated_price: 0.17,
        user_initiated_quantity: 2,
        user_initiated_paid_quantity: 0,
        user_initiated_price: 0,
        marketing_quantity: 2,
        marketing_paid_quantity: 2,
        marketing_price: 0.12,
        utility_quantity: 1,
        utility_paid_quantity: 1,
        utility_price: 0.02,
        authentication_quantity: 1,
        authentication_paid_quantity: 1,
        authentication_price: 0.03,
        service_quantity: 3,
        service_paid_quantity: 0,
        service_price: 0,
        total_price: 0.17,
      });
      expect(nov).toMatchObject({ quantity: 2, paid_quantity: 1, utility_quantity: 1, utility_price: 0.02, service_quantity: 1, total_price: 0.02 });
      expect(dec).toMatchObject({ quantity: 0, paid_quantity: 0, free_quantity: 0, total_price: 0 });
    });

    it('DAY, lower-case: one row per day; start and end are inclusive to the second', async () => {
      const res = await t.get(balanceUrl(), { headers: key(), query: { start_date: unix('2025-10-01T00:00:00Z'), end_date: unix('2025-10-03T23:59:59Z'), granularity: 'day' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.granularity).toBe('DAY');
      const rows = res.body.usage.map((u: Record<string, unknown>) => [u.period_date, u.quantity, u.paid_quantity, u.total_price]);
      expect(rows).toEqual([
        ['2025-10-01T00:00:00Z', 2, 2, 0.12],
        ['2025-10-02T00:00:00Z', 4, 2, 0.05],
        ['2025-10-03T00:00:00Z', 0, 0, 0],
      ]);
      // end_date on the last second of Oct 1st includes the message at 23:59:59.999
      const one = await t.get(balanceUrl(), { headers: key(), query: { start_date: unix('2025-10-01T23:59:59Z'), end_date: unix('2025-10-01T23:59:59Z'), granularity: 'Day' } });
      expect(one.status, one.text).toBe(200);
      expect(one.body.usage).toHaveLength(1);
      expect(one.body.usage[0]).toMatchObject({ period_date: '2025-10-01T00:00:00Z', quantity: 1, marketing_quantity: 1 });
      // starting at Oct 2nd leaves Oct 1st out
      const later = await t.get(balanceUrl(), { headers: key(), query: { start_date: unix('2025-10-02T00:00:00Z'), end_date: unix('2025-10-02T23:59:59Z'), granularity: 'DAY' } });
      expect(later.body.usage[0]).toMatchObject({ quantity: 4, marketing_quantity: 0 });
    });

    it('a mid-month window counts only inside it; its first row is the start of the month', async () => {
      const res = await t.get(balanceUrl(), { headers: key(), query: { start_date: unix('2025-10-02T00:00:00Z'), end_date: unix('2025-10-02T23:59:59Z') } });
      expect(res.status).toBe(200);
      expect(res.body.granularity).toBe('MONTH');
      expect(res.body.usage).toHaveLength(1);
      expect(res.body.usage[0]).toMatchObject({ period_date: '2025-10-01T00:00:00Z', quantity: 4, business_initiated_quantity: 3, user_initiated_quantity: 1 });
    });

    it('without dates: the last 12 months up to now (the injected clock)', async () => {
      const res = await t.get(balanceUrl(), { headers: key() });
      expect(res.status, res.text).toBe(200);
      expect(res.body.usage).toHaveLength(12);
      expect(res.body.usage[0].period_date).toBe('2024-12-01T00:00:00Z');
      expect(res.body.usage[11].period_date).toBe('2025-11-01T00:00:00Z');
      const sep = res.body.usage.find((u: { period_date: string }) => u.period_date === '2025-09-01T00:00:00Z');
      expect(sep).toMatchObject({ quantity: 1, marketing_quantity: 1, total_price: 0.06 });
      const days = await t.get(balanceUrl(), { headers: key(), query: { granularity: 'DAY' } });
      expect(days.body.usage).toHaveLength(30);
      expect(days.body.usage[29].period_date).toBe('2025-11-20T00:00:00Z');
    });

    it('per channel: only that channel of the client', async () => {
      const res = await t.get(balanceUrl(ch2), { headers: key(), query: { start_date: unix('2025-10-01T00:00:00Z'), end_date: unix('2025-11-30T23:59:59Z') } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.usage.map((u: Record<string, unknown>) => [u.quantity, u.authentication_quantity, u.user_initiated_quantity, u.total_price])).toEqual([
        [2, 1, 1, 0.03],
        [0, 0, 0, 0],
      ]);
      const main = await t.get(balanceUrl(a.channel_id), { headers: key(), query: { start_date: unix('2025-10-01T00:00:00Z'), end_date: unix('2025-10-31T23:59:59Z') } });
      expect(main.body.usage[0]).toMatchObject({ quantity: 5, marketing_quantity: 2, authentication_quantity: 0 });
    });

    it('the other client of the same partner has its own numbers', async () => {
      const res = await t.get(`/api/v2/partners/${a.partner_id}/clients/${otherClient}/info/balance`, {
        headers: key(),
        query: { start_date: unix('2025-10-01T00:00:00Z'), end_date: unix('2025-10-31T23:59:59Z') },
      });
      expect(res.status).toBe(200);
      expect(res.body.usage[0]).toMatchObject({ quantity: 1, marketing_quantity: 1, total_price: 0.06 });
    });
  });

  describe('errors', () => {
    const q = (query: Record<string, string>) => t.get(balanceUrl(), { headers: key(), query });
    it.each([
      [{ start_date: 'yesterday' }, 'start_date must be a Unix timestamp in seconds'],
      [{ end_date: '1.5' }, 'end_date must be a Unix timestamp in seconds'],
      [{ start_date: '-100' }, 'start_date must be a Unix timestamp in seconds'],
      [{ end_date: '1759276800000' }, 'looks like milliseconds'],
      [{ end_date: '99999999999999' }, 'not after 9999-12-31'],
      [{ granularity: 'WEEK' }, 'granularity must be DAY or MONTH'],
      [{ start_date: unix('2025-10-02T00:00:00Z'), end_date: unix('2025-10-01T00:00:00Z') }, 'must not be after end_date'],
      [{ start_date: unix('2024-01-01T00:00:00Z'), end_date: unix('2025-01-01T00:00:00Z'), granularity: 'DAY' }, 'spans 367 days; at most 366'],
      [{ start_date: '0', end_date: unix('2025-01-01T00:00:00Z') }, 'at most 120 are allowed with granularity MONTH'],
      [{ start_date: '0', end_date: '253402300799', granularity: 'DAY' }, 'at most 366'],
    ])('%j → 400 %s', async (query, message) => {
      expectPartnerError(await q(query), 400, message);
    });

    it('a repeated parameter is a 400, not a 500', async () => {
      const res = await t.get(`${balanceUrl()}?start_date=1&start_date=2`, { headers: key() });
      expectPartnerError(res, 400);
    });

    it('the longest allowed ranges are accepted', async () => {
      const days = await q({ start_date: unix('2024-01-01T00:00:00Z'), end_date: unix('2024-12-31T23:59:59Z'), granularity: 'DAY' });
      expect(days.status).toBe(200);
      expect(days.body.usage).toHaveLength(366);
      const months = await q({ start_date: unix('2016-01-01T00:00:00Z'), end_date: unix('2025-12-31T23:59:59Z') });
      expect(months.status).toBe(200);
      expect(months.body.usage).toHaveLength(120);
      expect(months.body.usage.reduce((s: number, u: { quantity: number }) => s + u.quantity, 0)).toBe(10);
    });
  });

  describe('security', () => {
    const range = { start_date: unix('2025-10-01T00:00:00Z'), end_date: unix('2025-10-31T23:59:59Z') };
    it('401 without or with a wrong credential', async () => {
      expectPartnerError(await t.get(balanceUrl(), { query: range }), 401);
      expectPartnerError(await t.get(balanceUrl(), { headers: partnerKey('nope'), query: range }), 401);
      expectPartnerError(await t.get(balanceUrl(ch2), { headers: { 'D360-API-KEY': a.channel_api_key }, query: range }), 401);
    });

    it("403 for another partner's path, also with a bad query", async () => {
      const other = partnerKey(b.partner_api_key);
      expectPartnerError(await t.get(balanceUrl(), { headers: other, query: range }), 403);
      expectPartnerError(await t.get(balanceUrl(ch2), { headers: other, query: range }), 403);
      expectPartnerError(await t.get(balanceUrl(), { headers: other, query: { start_date: 'x' } }), 403);
    });

    it("404 for another partner's client or channel under one's own partner id", async () => {
      const url = `/api/v2/partners/${a.partner_id}/clients/${b.client_id}/info/balance`;
      expectPartnerError(await t.get(url, { headers: key(), query: range }), 404, b.client_id);
      expectPartnerError(await t.get(balanceUrl(b.channel_id), { headers: key(), query: range }), 404, b.channel_id);
    });

    it("404 for a channel of the partner's other client, and for an unknown channel", async () => {
      expectPartnerError(await t.get(balanceUrl(otherClientChannel), { headers: key(), query: range }), 404);
      expectPartnerError(await t.get(balanceUrl('nosuchCH'), { headers: key(), query: range }), 404);
      expectPartnerError(await t.get(`/api/v2/partners/${a.partner_id}/clients/nosuchCL/info/balance`, { headers: key(), query: range }), 404);
    });

    it("b sees only b's messages", async () => {
      const res = await t.get(`/api/v2/partners/${b.partner_id}/clients/${b.client_id}/info/balance`, { headers: partnerKey(b.partner_api_key), query: range });
      expect(res.status).toBe(200);
      expect(res.body.usage[0]).toMatchObject({ quantity: 1, marketing_quantity: 1 });
    });
  });
});
