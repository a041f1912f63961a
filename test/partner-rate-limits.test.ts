// The Partner API's documented rate limits (reference §1.5): a client's balance 5 per 30 s,
// template lists 400 per minute, new templates 60 per minute per WABA; 429 in the Partner body
// with Retry-After, counted per partner (per WABA for new templates), and off with
// OPENWABA_PARTNER_RATE_LIMITS=false.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { ManualClock } from '../src/clock.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

describeEachDb('Partner API rate limits', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  const clock = new ManualClock(new Date('2026-06-01T00:00:00.000Z'));
  const as = (p: BootstrapResult) => ({ headers: partnerKey(p.partner_api_key) });
  const balance = (p: BootstrapResult) => t.get(`/api/v2/partners/${p.partner_id}/clients/${p.client_id}/info/balance`, as(p));
  const templates = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/waba_templates`;
  const newTemplate = (i: number) => ({ name: `promo_${i}`, category: 'MARKETING', language: 'en_US', components: [{ type: 'BODY', text: `Offer ${i}` }] });

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t.close());

  describe('balance: 5 per 30 s per partner', () => {
    it('the sixth within 30 s is a 429 with Retry-After; another partner is not affected; the budget comes back', async () => {
      for (let i = 0; i < 5; i++) expect((await balance(a)).status, `request ${i + 1}`).toBe(200);
      const over = await balance(a);
      expectPartnerError(over, 429, /at most 5 balance requests per 30 s/);
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(6);
      expect((await balance(b)).status).toBe(200);
      clock.advance(6_000); // one request's worth (30 s / 5)
      expect((await balance(a)).status).toBe(200);
      expect((await balance(a)).status).toBe(429);
      clock.advance(30_000);
      for (let i = 0; i < 5; i++) expect((await balance(a)).status).toBe(200);
    });
  });

  describe('templates', () => {
    it('60 new templates per minute per WABA, then 429; lists are limited separately (400 per minute)', async () => {
      for (let i = 0; i < 60; i++) {
        const res = await t.post(templates(a), { ...as(a), json: newTemplate(i) });
        expect(res.status, res.text).toBe(201);
      }
      const over = await t.post(templates(a), { ...as(a), json: newTemplate(60) });
      expectPartnerError(over, 429, /at most 60 new templates per WABA per 60 s/);
      expect(over.headers['retry-after']).toBeDefined();
      // Nothing was created by the refused request.
      const list = await t.get(templates(a), { ...as(a), query: { filters: JSON.stringify({ name: 'promo_60' }) } });
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(0);
      // Another WABA has its own budget.
      expect((await t.post(templates(b), { ...as(b), json: newTemplate(0) })).status).toBe(201);
      clock.advance(60_000);
      expect((await t.post(templates(a), { ...as(a), json: newTemplate(60) })).status).toBe(201);

      let listed = 0;
      for (; listed < 401; listed++) {
        const res = await t.get(templates(b), { ...as(b), query: { limit: '1' } });
        if (res.status !== 200) {
          expectPartnerError(res, 429, /at most 400 template list requests per 60 s/);
          break;
        }
      }
      expect(listed).toBe(400);
    });
  });

  it('OPENWABA_PARTNER_RATE_LIMITS=false turns them off', async () => {
    const free = await startTestApp(kind, { clock, env: { OPENWABA_PARTNER_RATE_LIMITS: 'false' } });
    try {
      const p = await free.tenant();
      for (let i = 0; i < 8; i++) expect((await free.get(`/api/v2/partners/${p.partner_id}/clients/${p.client_id}/info/balance`, as(p))).status).toBe(200);
    } finally {
      await free.close();
    }
  });
});
