// Two dispatchers on one PostgreSQL database (two connection pools, as two instances would have)
// share the outbox through FOR UPDATE SKIP LOCKED claims: every event is delivered, none by both
// at once, and both do a real share of the work.
//
// PostgreSQL only. Where PostgreSQL is unreachable the suite is skipped with the global setup's
// warning, except in CI (CI=true or OPENWABA_REQUIRE_PG=1), where the global setup fails the run.
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { openDb, type Db } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Deps } from '../src/deps.ts';
import { recordId } from '../src/ids.ts';
import { createPartner } from '../src/services/partners.ts';
import { Dispatcher } from '../src/webhooks/dispatcher.ts';
import { enqueueEvent, transact } from '../src/webhooks/outbox.ts';
import { newWebhookSecret } from '../src/webhooks/signing.ts';
import { createTestDatabase, pgAdminUrl, type TestDatabase } from './helpers/db.ts';
import { TimedReceiver } from './helpers/timed-receiver.ts';
import { deliveredCount } from './helpers/metrics.ts';
import { waitUntil } from './helpers/wait.ts';

const EVENTS = 10_000;
const PER_TRANSACTION = 2_000;

describe.skipIf(pgAdminUrl() === null)('webhook dispatch shared by two instances [postgres]', () => {
  let database: TestDatabase | undefined;
  const dbs: Db[] = [];
  const dispatchers: Dispatcher[] = [];
  let receiver: TimedReceiver | undefined;
  afterAll(async () => {
    await Promise.all(dispatchers.map((d) => d.stop(1_000)));
    await receiver?.close();
    await Promise.all(dbs.map((d) => d.close()));
    await database?.drop();
  });

  it(`delivers ${EVENTS} events, each once, never one by both instances at once`, { timeout: 60_000 }, async () => {
    database = await createTestDatabase('postgres');
    const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', OPENWABA_DEMO: 'false', OPENWABA_WEBHOOK_TIMEOUT: '5s' });
    const instance = (): Deps => {
      const db = openDb(database!.url);
      dbs.push(db);
      return { config, db, clock: systemClock };
    };
    const a = instance();
    const b = instance();
    await migrateToLatest(a.db);
    // Answers after 0–2 ms: deliveries overlap in time, as with a real receiver.
    receiver = await new TimedReceiver({ delayMs: () => Math.floor(Math.random() * 3) }).start();
    const partner = await createPartner(a, { brand_name: 'Two instances' });
    await a.db.kysely
      .updateTable('partners')
      .set({ webhook_url: `${receiver.url}/hook`, webhook_secret: newWebhookSecret() })
      .where('id', '=', partner.id)
      .execute();

    const registries = [new Registry(), new Registry()] as const;
    dispatchers.push(new Dispatcher(a, { registry: registries[0] }), new Dispatcher(b, { registry: registries[1] }));
    await Promise.all(dispatchers.map((d) => d.start()));

    // Events written by one instance in a few big transactions: rows as enqueueEvent writes
    // them, inserted 1,000 per statement; the last of each transaction goes through
    // enqueueEvent itself, whose NOTIFY (sent at commit) wakes both instances.
    const t0 = performance.now();
    const ids: string[] = [];
    const horizon = config.webhookRetryHorizonMs;
    for (let done = 0; done < EVENTS; done += PER_TRANSACTION) {
      await transact(a, async (tx) => {
        const now = new Date();
        const rows = Array.from({ length: PER_TRANSACTION - 1 }, (_, k) => {
          const id = recordId('evt');
          return {
            id,
            partner_id: partner.id,
            target_type: 'partner',
            target_id: partner.id,
            event_type: 'client_created',
            body: JSON.stringify({ id, event: 'client_created', data: { n: done + k } }),
            status: 'pending' as const,
            attempts: 0,
            available_at: now.toISOString(),
            lease_owner: null,
            expires_at: new Date(now.getTime() + horizon).toISOString(),
            created_at: now.toISOString(),
            last_attempt_at: null,
            last_status_code: null,
            last_error: null,
            delivered_at: null,
            failed_at: null,
          };
        });
        for (let i = 0; i < rows.length; i += 1_000) await tx.insertInto('webhook_events').values(rows.slice(i, i + 1_000)).execute();
        ids.push(...rows.map((r) => r.id));
        ids.push(
          await enqueueEvent(a, tx, {
            partnerId: partner.id,
            targetType: 'partner',
            targetId: partner.id,
            eventType: 'client_created',
            body: (id) => ({ id, event: 'client_created', data: { n: done + PER_TRANSACTION - 1 } }),
          }),
        );
      });
    }
    const enqueued = performance.now();

    await receiver.waitForDistinct(EVENTS, 45_000);
    const arrived = performance.now();
    // Bookkeeping follows each answer: wait (bounded) until both instances have recorded all.
    await waitUntil('both instances have recorded every delivery', async () => (await deliveredCount(registries[0])) + (await deliveredCount(registries[1])) >= EVENTS, { timeoutMs: 10_000 });
    const shares = [await deliveredCount(registries[0]), await deliveredCount(registries[1])];

    const overlaps = receiver.overlaps();
    const perEvent = await a.db.kysely
      .selectFrom('webhook_events')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('attempts').as('max_attempts')])
      .groupBy('status')
      .execute();
    const attemptRows = await a.db.kysely.selectFrom('webhook_attempts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    console.log(
      `[postgres] ${EVENTS} events enqueued in ${Math.round(enqueued - t0)} ms, all arrived after ${Math.round(arrived - t0)} ms ` +
        `(${Math.round((EVENTS * 1000) / (arrived - t0))}/s); instance A delivered ${shares[0]}, B ${shares[1]}; ` +
        `${receiver.requests.length} requests, ${receiver.duplicates} duplicates, ${overlaps.length} overlapping deliveries`,
    );

    // Every event arrived.
    expect(ids).toHaveLength(EVENTS);
    expect(ids.filter((id) => !receiver!.firstSeen.has(id))).toEqual([]);
    // No event was being delivered by both at once (nor by one twice at once).
    expect(overlaps.map((o) => o.id)).toEqual([]);
    // Without crashes, none twice at all: one request and one recorded attempt per event.
    expect(receiver.duplicates).toBe(0);
    expect(receiver.requests).toHaveLength(EVENTS);
    expect(Number(attemptRows.n)).toBe(EVENTS);
    expect(perEvent.map((r) => ({ status: r.status, n: Number(r.n), max_attempts: Number(r.max_attempts) }))).toEqual([
      { status: 'delivered', n: EVENTS, max_attempts: 1 },
    ]);
    // Both instances did a real share of the work.
    expect(shares[0]! + shares[1]!).toBe(EVENTS);
    expect(Math.min(...shares)).toBeGreaterThanOrEqual(EVENTS * 0.2);
  });
});
