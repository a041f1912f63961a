import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { pruneWebhookEvents } from '../src/webhooks/retention.ts';
import { enqueueEvent } from '../src/webhooks/outbox.ts';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';

describeEachDb('webhook retention and metrics', (kind) => {
  const clock = new ManualClock(new Date('2026-05-01T00:00:00.000Z'));
  let t: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { clock, dispatcher: true, env: { OPENWABA_WEBHOOK_RETENTION_DAYS: '30', OPENWABA_WEBHOOK_SLOW_MS: '20' } });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('exposes delivery metrics: pending, delivered, attempts by outcome, slow attempts, latency', async () => {
    const p = await t.tenant();
    receiver.always({ status: 200, delayMs: 40 });
    await t.post(`/api/v2/partners/${p.partner_id}/webhook_url`, { headers: partnerKey(p.partner_api_key), json: { webhook_url: receiver.url } });
    await t.post(`/api/v2/partners/${p.partner_id}/webhook_test`, { headers: partnerKey(p.partner_api_key) });
    const text = (await t.get('/metrics')).text;
    expect(text).toMatch(/^openwaba_webhook_events_delivered_total [1-9]/m);
    expect(text).toMatch(/^openwaba_webhook_attempts_total\{outcome="delivered"\} [1-9]/m);
    expect(text).toMatch(/^openwaba_webhook_slow_attempts_total [1-9]/m);
    expect(text).toMatch(/^openwaba_webhook_events_pending \d+/m);
    expect(text).toMatch(/^openwaba_webhook_delivery_latency_seconds_count [1-9]/m);
    expect(text).toMatch(/^openwaba_webhook_events_failed_total 0/m);
  });

  it('prunes delivered and failed events (and their attempts) after the retention, keeps the rest', async () => {
    const db = t.deps.db.kysely;
    await db.deleteFrom('webhook_attempts').execute();
    await db.deleteFrom('webhook_events').execute();
    const p = await t.tenant();
    const ids: Record<string, string> = {};
    for (const name of ['oldDelivered', 'oldFailed', 'oldPending', 'newDelivered']) {
      ids[name] = await enqueueEvent(t.deps, db, { partnerId: p.partner_id, targetType: 'partner', targetId: p.partner_id, eventType: 'test', body: '{}' });
    }
    await t.dispatcher!.idle();
    const old = '2026-03-01T00:00:00.000Z';
    await db.updateTable('webhook_events').set({ status: 'delivered', created_at: old }).where('id', '=', ids.oldDelivered!).execute();
    await db.updateTable('webhook_events').set({ status: 'failed', created_at: old }).where('id', '=', ids.oldFailed!).execute();
    await db.updateTable('webhook_events').set({ status: 'pending', created_at: old, available_at: '2999-01-01T00:00:00.000Z' }).where('id', '=', ids.oldPending!).execute();
    await db.updateTable('webhook_events').set({ status: 'delivered' }).where('id', '=', ids.newDelivered!).execute();
    await db.insertInto('webhook_attempts').values({ id: 'att_old', event_id: ids.oldDelivered!, attempt: 1, url: null, started_at: old, duration_ms: 1, outcome: 'delivered', status_code: 200, error: null, response_excerpt: null, slow: 0 }).execute();

    const removed = await pruneWebhookEvents(t.deps);
    expect(removed).toBe(2);
    const left = (await db.selectFrom('webhook_events').select('id').where('id', 'in', Object.values(ids)).execute()).map((r) => r.id);
    expect(left.sort()).toEqual([ids.oldPending!, ids.newDelivered!].sort());
    expect(await db.selectFrom('webhook_attempts').select('id').where('id', '=', 'att_old').executeTakeFirst()).toBeUndefined();
  });
});
