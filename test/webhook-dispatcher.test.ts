import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { ManualClock } from '../src/clock.ts';
import { Dispatcher } from '../src/webhooks/dispatcher.ts';
import { enqueueEvent } from '../src/webhooks/outbox.ts';
import { retryWebhookEvent } from '../src/webhooks/event-log.ts';
import { describeEachDb } from './helpers/db.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

describeEachDb('webhook dispatcher', (kind) => {
  const clock = new ManualClock(new Date('2026-03-01T12:00:00.000Z'));
  let t: TestApp;
  let tenant: BootstrapResult;
  let receiver: Receiver;
  let dispatcher: Dispatcher;

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_WEBHOOK_TIMEOUT: '500ms' } });
    tenant = await t.tenant();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    // Each test starts with an empty outbox: earlier tests' retries must not reach this receiver.
    await t.deps.db.kysely.deleteFrom('webhook_attempts').execute();
    await t.deps.db.kysely.deleteFrom('webhook_events').execute();
    receiver = await new Receiver().start();
    await t.deps.db.kysely.updateTable('partners').set({ webhook_url: `${receiver.url}/hook` }).where('id', '=', tenant.partner_id).execute();
    dispatcher = new Dispatcher(t.deps);
  });
  afterEach(async () => {
    await dispatcher.stop();
    await receiver.close();
  });

  const enqueue = (body: object = { event: 'test', data: {} }) =>
    enqueueEvent(t.deps, t.deps.db.kysely, { partnerId: tenant.partner_id, targetType: 'partner', targetId: tenant.partner_id, eventType: 'test', body: JSON.stringify(body) });
  const event = (id: string) => t.deps.db.kysely.selectFrom('webhook_events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const attempts = (id: string) => t.deps.db.kysely.selectFrom('webhook_attempts').selectAll().where('event_id', '=', id).orderBy('attempt').execute();

  it('delivers at once, signed, with the exact stored body', async () => {
    const id = await enqueue({ event: 'client_created', data: { id: 'x' } });
    await dispatcher.drain();
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.body).toBe('{"event":"client_created","data":{"id":"x"}}');
    const secret = (await t.deps.db.kysely.selectFrom('partners').select('webhook_secret').where('id', '=', tenant.partner_id).executeTakeFirstOrThrow()).webhook_secret!;
    expect(req.headers['x-360dialog-signature']).toBe(createHmac('sha256', secret).update(req.body).digest('hex'));
    expect(req.headers['webhook-id']).toBe(id);
    const ts = req.headers['webhook-timestamp'] as string;
    const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${req.body}`).digest('base64');
    expect(req.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect((await event(id)).status).toBe('delivered');
  });

  it('retries failures on the default schedule: immediately, 5 s, 30 s, 2 min', async () => {
    receiver.respond({ status: 500 }, { status: 502 }, { reset: true });
    const t0 = clock.now().getTime();
    const id = await enqueue();
    const seen: number[] = [];
    for (const step of [0, 5_000, 30_000, 120_000]) {
      clock.advance(step - 1);
      await dispatcher.drain();
      expect(receiver.requests.length, 'not before it is due').toBe(seen.length);
      clock.advance(1);
      await dispatcher.drain();
      seen.push(clock.now().getTime() - t0);
      expect(receiver.requests.length).toBe(seen.length);
    }
    expect(seen).toEqual([0, 5_000, 35_000, 155_000]);
    const rows = await attempts(id);
    expect(rows.map((a) => a.outcome)).toEqual(['http_error', 'http_error', 'network_error', 'delivered']);
    expect(rows.map((a) => a.status_code)).toEqual([500, 502, null, 200]);
    expect((await event(id)).status).toBe('delivered');
  });

  it('treats a redirect as a failure and never follows it', async () => {
    const other = await new Receiver().start();
    receiver.respond({ status: 302, headers: { location: `${other.url}/elsewhere` } });
    const id = await enqueue();
    await dispatcher.drain();
    expect(other.requests).toHaveLength(0);
    const [a] = await attempts(id);
    expect(a).toMatchObject({ outcome: 'redirect', status_code: 302 });
    expect((await event(id)).status).toBe('pending');
    await other.close();
  });

  it('times out a receiver that does not answer, and records slow answers', async () => {
    receiver.respond({ hang: true }, { status: 200, delayMs: 120 });
    const id = await enqueue();
    await dispatcher.drain();
    clock.advance(5_000);
    await dispatcher.drain();
    const rows = await attempts(id);
    expect(rows[0]).toMatchObject({ outcome: 'timeout', status_code: null });
    expect(rows[1]).toMatchObject({ outcome: 'delivered', slow: 1 });
    expect(rows[1]!.duration_ms).toBeGreaterThanOrEqual(100);
  });

  it('honours Retry-After on 429', async () => {
    receiver.respond({ status: 429, headers: { 'retry-after': '90' } });
    const id = await enqueue();
    await dispatcher.drain();
    const e = await event(id);
    expect(Date.parse(e.available_at) - clock.now().getTime()).toBe(90_000);
  });

  it('marks an event failed after its horizon and keeps it', async () => {
    receiver.always({ status: 500 });
    const id = await enqueue();
    for (let i = 0; i < 40; i++) {
      await dispatcher.drain();
      const e = await event(id);
      if (e.status === 'failed') break;
      clock.set(new Date(Date.parse(e.available_at)));
    }
    const e = await event(id);
    expect(e.status).toBe('failed');
    const rows = await attempts(id);
    // 0, 5s, 30s, 2m, 10m, 30m, 1h, 2h, 4h, 8h (15h42m35s), then every 8 h: +8 h = 23h42m35s; +8 h more passes 24 h.
    expect(rows).toHaveLength(11);
    expect(Date.parse(rows.at(-1)!.started_at) - Date.parse(e.created_at)).toBeLessThanOrEqual(24 * 3600_000);
    receiver.always({ status: 200 });
  });

  it('a replayed event gets a fresh horizon: retried after a failed replay, failed only past the new deadline', async () => {
    receiver.always({ status: 500 });
    const id = await enqueue();
    for (let i = 0; i < 40 && (await event(id)).status !== 'failed'; i++) {
      await dispatcher.drain();
      const e = await event(id);
      if (e.status !== 'failed') clock.set(new Date(Date.parse(e.available_at)));
    }
    expect((await event(id)).status).toBe('failed');
    const before = (await attempts(id)).length;

    // Replayed two days after it was created: one attempt at once, which fails...
    clock.advance(48 * 3600_000);
    await retryWebhookEvent(t.deps, tenant.partner_id, id);
    await dispatcher.drain();
    const replayed = await event(id);
    expect(await attempts(id)).toHaveLength(before + 1);
    // ...and is retried within the new horizon, not marked failed against the original one.
    expect(replayed.status).toBe('pending');
    expect(Date.parse(replayed.available_at)).toBeGreaterThan(clock.now().getTime());
    expect(Date.parse(replayed.available_at)).toBeLessThanOrEqual(Date.parse(replayed.expires_at));
    receiver.always({ status: 200 });
    clock.set(new Date(Date.parse(replayed.available_at)));
    await dispatcher.drain();
    expect((await event(id)).status).toBe('delivered');
  });

  it('wakes within milliseconds of a commit when running', async () => {
    await dispatcher.start();
    const before = Date.now();
    await enqueue();
    await receiver.waitFor(1, 2_000);
    expect(receiver.requests[0]!.at - before).toBeLessThan(200);
  });
});
