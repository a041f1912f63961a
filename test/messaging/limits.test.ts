// Send limits: a channel's messages per second (Meta's 130429, HTTP 429 with Retry-After) and the
// pair rate limit to one recipient (131056). The clock is a ManualClock: refills are exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type HttpResponse, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { PAIR_BURST, SendLimits } from '../../src/messaging/limits.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const ADMIN_TOKEN = 'limits-test-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describeEachDb('send limits', (kind) => {
  let t: TestApp;
  const clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
  let seq = 0;
  /** A fresh recipient number each call. */
  const someone = () => `49170${String(++seq).padStart(7, '0')}`;

  function send(p: BootstrapResult, to: string, flavour: 'cloud' | 'onpremise' = 'cloud'): Promise<HttpResponse> {
    const headers = { 'D360-API-KEY': p.channel_api_key };
    return flavour === 'cloud'
      ? t.post('/messages', { headers, json: { messaging_product: 'whatsapp', to, type: 'text', text: { body: 'hi' } } })
      : t.post('/v1/messages', { headers, json: { to, type: 'text', text: { body: 'hi' } } });
  }
  const burst = (p: BootstrapResult, n: number, flavour: 'cloud' | 'onpremise' = 'cloud') => Promise.all(Array.from({ length: n }, () => send(p, someone(), flavour)));
  const ok = (rs: HttpResponse[]) => rs.filter((r) => r.status === 200 || r.status === 201).length;
  const stored = async (p: BootstrapResult) =>
    Number((await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('channel_id', '=', p.channel_id).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_DEFAULT_THROUGHPUT_MPS: '5', OPENWABA_ADMIN_TOKEN: ADMIN_TOKEN } });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('throughput (130429)', () => {
    it('a burst over the default of 5/s: 5 accepted, the rest 429 with Retry-After and Meta code 130429; none of those stored', async () => {
      const p = await t.tenant();
      const rs = await burst(p, 8);
      expect(ok(rs)).toBe(5);
      const limited = rs.filter((r) => r.status === 429);
      expect(limited).toHaveLength(3);
      for (const r of limited) {
        expect(r.headers['retry-after']).toBe('1');
        expect(r.body.error).toMatchObject({
          code: 130429,
          type: 'OAuthException',
          message: '(#130429) Rate limit hit',
          error_data: { messaging_product: 'whatsapp', details: expect.stringContaining('limit: 5 messages per second') },
          fbtrace_id: expect.any(String),
        });
      }
      expect(await stored(p)).toBe(5);
    });

    it('tokens refill with the clock: one per 200 ms, never more than 5 at once', async () => {
      const p = await t.tenant();
      expect(ok(await burst(p, 5))).toBe(5);
      expect((await send(p, someone())).status).toBe(429);
      clock.advance(199);
      expect((await send(p, someone())).status).toBe(429);
      clock.advance(1);
      expect((await send(p, someone())).status).toBe(200);
      expect((await send(p, someone())).status).toBe(429);
      clock.advance(60_000);
      expect(ok(await burst(p, 7))).toBe(5);
    });

    it('On-Premise /v1/messages: 429 in the On-Premise error body', async () => {
      const p = await t.tenant();
      const rs = await burst(p, 7, 'onpremise');
      expect(ok(rs)).toBe(5);
      const limited = rs.filter((r) => r.status === 429);
      expect(limited).toHaveLength(2);
      for (const r of limited) {
        expect(r.headers['retry-after']).toBe('1');
        expect(r.body).toEqual({
          errors: [{ code: 130429, title: 'Rate limit hit', details: expect.stringContaining('too many messages'), href: expect.any(String) }],
          meta: { api_status: 'stable', version: expect.any(String) },
        });
      }
    });

    it("one channel's burst does not use another channel's budget", async () => {
      const p = await t.tenant();
      const q = await t.tenant();
      expect(ok(await burst(p, 6))).toBe(5);
      expect(ok(await burst(q, 5))).toBe(5);
    });

    it('a per-channel setting overrides the default at once; null returns to it', async () => {
      const p = await t.tenant();
      const set = await t.post(`/admin/channels/${p.channel_id}/throughput`, { headers: admin, json: { mps: 20 } });
      expect(set.status, set.text).toBe(200);
      expect(set.body).toEqual({ channel_id: p.channel_id, throughput_mps: 20, effective_mps: 20 });
      expect((await t.get(`/admin/channels/${p.channel_id}/throughput`, { headers: admin })).body).toEqual(set.body);
      expect(ok(await burst(p, 24))).toBe(20);

      clock.advance(60_000);
      const reset = await t.post(`/admin/channels/${p.channel_id}/throughput`, { headers: admin, json: { mps: null } });
      expect(reset.body).toEqual({ channel_id: p.channel_id, throughput_mps: null, effective_mps: 5 });
      expect(ok(await burst(p, 8))).toBe(5);
    });

    it('the setting is capped at 1,000 and must be a whole number from 1', async () => {
      const p = await t.tenant();
      const url = `/admin/channels/${p.channel_id}/throughput`;
      for (const mps of [1001, 0, -5, 2.5, '50', true]) {
        const res = await t.post(url, { headers: admin, json: { mps } });
        expect(res.status, `mps=${JSON.stringify(mps)}`).toBe(400);
        expect(res.body.meta).toMatchObject({ success: false, http_code: 400 });
      }
      expect((await t.post(url, { headers: admin, json: {} })).status).toBe(400);
      expect((await t.post(url, { headers: admin, json: { mps: 10, extra: 1 } })).status).toBe(400);
      const max = await t.post(url, { headers: admin, json: { mps: 1000 } });
      expect(max.status).toBe(200);
      expect(max.body.effective_mps).toBe(1000);
      // 100 at once pass where the default would have let 5 through.
      expect(ok(await burst(p, 100))).toBe(100);
    });

    it('the operator route: 404 for an unknown channel, 401 without the admin token or with a channel key', async () => {
      const p = await t.tenant();
      const unknown = await t.post('/admin/channels/nosuchCH/throughput', { headers: admin, json: { mps: 10 } });
      expect(unknown.status).toBe(404);
      expect(unknown.body.meta.developer_message).toContain('nosuchCH');
      expect((await t.post(`/admin/channels/${p.channel_id}/throughput`, { json: { mps: 10 } })).status).toBe(401);
      expect((await t.post(`/admin/channels/${p.channel_id}/throughput`, { headers: { 'D360-API-KEY': p.channel_api_key }, json: { mps: 10 } })).status).toBe(401);
      expect((await t.get(`/admin/channels/${p.channel_id}/throughput`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
      expect((await t.get(`/admin/channels/${p.channel_id}/throughput`, { headers: admin })).body.throughput_mps).toBeNull();
    });
  });

  it('a stored setting outside 1..1000 is clamped: 0 means 1 per second (not a 429 forever), 5000 means 1,000', async () => {
    const p = await t.tenant();
    await t.deps.db.kysely.updateTable('channels').set({ throughput_mps: 0 }).where('id', '=', p.channel_id).execute();
    const rs = await burst(p, 3);
    expect(ok(rs)).toBe(1);
    expect(rs.find((r) => r.status === 429)!.headers['retry-after']).toBe('1');

    const limits = new SendLimits();
    const now = clock.now().getTime();
    for (let i = 0; i < 1000; i++) limits.check('CH', 5000, `4917000${i}`, now);
    expect(() => limits.check('CH', 5000, '4917999999', now)).toThrow(/limit: 1000 messages per second/);
  });

  describe('pair rate limit (131056)', () => {
    it(`${PAIR_BURST} messages to one recipient pass; the next is 131056; others still reachable; one more after 6 s`, async () => {
      const p = await t.tenant();
      await t.post(`/admin/channels/${p.channel_id}/throughput`, { headers: admin, json: { mps: 1000 } });
      const to = someone();
      const first = await Promise.all(Array.from({ length: PAIR_BURST }, () => send(p, to)));
      expect(ok(first)).toBe(PAIR_BURST);
      const over = await send(p, to);
      expect(over.status).toBe(400);
      expect(over.headers['retry-after']).toBe('6');
      expect(over.body.error).toMatchObject({ code: 131056, type: 'OAuthException', error_data: { details: expect.stringContaining(to) } });
      expect(over.body.error.message).toContain('pair rate limit');
      // The same number written differently is the same recipient.
      expect((await send(p, `+${to.slice(0, 2)} ${to.slice(2)}`)).body.error?.code).toBe(131056);
      expect((await send(p, someone())).status).toBe(200);
      const onprem = await send(p, to, 'onpremise');
      expect(onprem.status).toBe(400);
      expect(onprem.body.errors[0]).toMatchObject({ code: 131056 });

      clock.advance(5_999);
      expect((await send(p, to)).status).toBe(400);
      clock.advance(1);
      expect((await send(p, to)).status).toBe(200);
      expect((await send(p, to)).status).toBe(400);
      expect(await stored(p)).toBe(PAIR_BURST + 2);
    });

    it("the pair limit is per channel: another channel can still write to the same person", async () => {
      const p = await t.tenant();
      const q = await t.tenant();
      for (const c of [p, q]) await t.post(`/admin/channels/${c.channel_id}/throughput`, { headers: admin, json: { mps: 1000 } });
      const to = someone();
      expect(ok(await Promise.all(Array.from({ length: PAIR_BURST + 1 }, () => send(p, to))))).toBe(PAIR_BURST);
      expect((await send(q, to)).status).toBe(200);
    });
  });
});
