// The webhook dispatcher on SQLite holds its claims in memory (src/webhooks/sqlite-claims.ts):
// - one process per database file dispatches, holding the lock row 'webhook_dispatcher_sqlite'
//   in instance_settings ({token, pid, host, until}); another process finding a live holder
//   stands by, and takes over when `until` passes, or at once if the holder's pid is dead on
//   this host;
// - within one process, every Db opened on the same file shares one set of held events, so two
//   dispatchers of one process never deliver the same event (here: never twice at all);
// - the last started dispatcher of the process to stop deletes the lock row.
//
// SQLite only. "Another process" is a real child process (a node that only sleeps), whose pid
// the lock row names; it is killed to play a holder that died.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { openDb, type Db } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Deps } from '../src/deps.ts';
import { createPartner } from '../src/services/partners.ts';
import { Dispatcher, type DispatcherOptions } from '../src/webhooks/dispatcher.ts';
import { enqueueEvent, transact } from '../src/webhooks/outbox.ts';
import { LOCK_KEY, type LockValue } from '../src/webhooks/sqlite-claims.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { TimedReceiver } from './helpers/timed-receiver.ts';
import { waitUntil } from './helpers/wait.ts';
import { deliveredCount } from './helpers/metrics.ts';

// Everything a test opened, undone in afterEach (last opened first), even when it failed.
const children = new Set<ChildProcess>();
let cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  const list = cleanups.reverse();
  cleanups = [];
  for (const c of list) await c().catch(() => {});
  await Promise.all([...children].map((c) => killChild(c)));
});

/** A live process of this host that is not us: a node that sleeps (killed in afterEach). */
async function liveChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await once(child, 'spawn');
  expect(child.pid).toBeTypeOf('number');
  return child;
}

/** SIGKILL and wait for the exit (Node has reaped it then: kill(pid, 0) fails from now on). */
async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** A pid of this host that no process has (any more). */
async function deadPid(): Promise<number> {
  const child = await liveChild();
  await killChild(child);
  return child.pid!;
}

interface Setup {
  database: TestDatabase;
  /** The first Db (migrated); more with openMore(). */
  db: Db;
  deps: Deps;
  receiver: TimedReceiver;
  partnerId: string;
  /** Another Db of this process on the same file, as a second instance of the app would open. */
  openMore(): Deps;
  /** n events for the partner, in one transaction; their ids. */
  enqueue(n: number): Promise<string[]>;
  dispatcher(deps?: Deps, opts?: DispatcherOptions): Dispatcher;
  lockRow(): Promise<LockValue | undefined>;
  writeLock(v: LockValue): Promise<void>;
  status(): Promise<Record<string, number>>;
}

async function setup(env: Record<string, string> = {}): Promise<Setup> {
  const database = await createTestDatabase('sqlite');
  cleanups.push(() => database.drop());
  const config = loadConfig({
    DATABASE_URL: database.url,
    LOG_LEVEL: 'silent',
    OPENWABA_DEMO: 'false',
    OPENWABA_WEBHOOK_URL_POLICY: 'local',
    OPENWABA_WEBHOOK_TIMEOUT: '2s',
    ...env,
  });
  const open = (): Deps => {
    const db = openDb(database.url);
    cleanups.push(() => db.close());
    return { config, db, clock: systemClock };
  };
  const deps = open();
  await migrateToLatest(deps.db);
  const receiver = await new TimedReceiver({ keepBodies: true }).start();
  cleanups.push(() => receiver.close());
  const partner = await createPartner(deps, { brand_name: 'SQLite lock', webhook_url: `${receiver.url}/hook` });
  const lockRow = async () => {
    const row = await deps.db.kysely.selectFrom('instance_settings').select('value').where('key', '=', LOCK_KEY).executeTakeFirst();
    return row ? (JSON.parse(row.value) as LockValue) : undefined;
  };
  return {
    database,
    db: deps.db,
    deps,
    receiver,
    partnerId: partner.id,
    openMore: open,
    enqueue: (n) =>
      transact(deps, async (tx) => {
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          ids.push(
            await enqueueEvent(deps, tx, {
              partnerId: partner.id,
              targetType: 'partner',
              targetId: partner.id,
              eventType: 'test',
              body: (id) => ({ id, event: 'test', data: { n: i } }),
            }),
          );
        }
        return ids;
      }),
    dispatcher: (d = deps, opts = {}) => {
      const dispatcher = new Dispatcher(d, opts);
      cleanups.push(() => dispatcher.stop(1_000));
      return dispatcher;
    },
    lockRow,
    writeLock: async (v) => {
      await deps.db.kysely
        .insertInto('instance_settings')
        .values({ key: LOCK_KEY, value: JSON.stringify(v) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(v) }))
        .execute();
    },
    status: async () => {
      const rows = await deps.db.kysely
        .selectFrom('webhook_events')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
  };
}

/** A logger that keeps the messages (the dispatcher says when it stands by and when it takes over). */
function recordingLogger() {
  const lines: { level: string; msg: string; obj: unknown }[] = [];
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push(typeof obj === 'string' ? { level, msg: obj, obj: undefined } : { level, msg: msg ?? '', obj });
    };
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } as unknown as NonNullable<DispatcherOptions['logger']> };
}

const expectHeldByUs = (lock: LockValue | undefined) => {
  expect(lock).toMatchObject({ pid: process.pid, host: os.hostname() });
  expect(lock!.token).toMatch(/^lock_/);
  expect(lock!.until).toBeGreaterThan(Date.now());
};

describe('webhook dispatcher on SQLite: one dispatching process, claims held in memory [sqlite]', () => {
  it('two Db objects of one process on one file, each with a running dispatcher, deliver every event exactly once', async () => {
    // Per target at most 4 in flight per dispatcher (16 held): the two dispatchers claim in
    // many small rounds, interleaved, while deliveries overlap in time.
    const s = await setup({ OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY: '4' });
    const EVENTS = 300;
    const ids = await s.enqueue(EVENTS);
    const other = s.openMore();
    const registries = [new Registry(), new Registry()] as const;
    const a = s.dispatcher(s.deps, { registry: registries[0], pollMs: 50 });
    const b = s.dispatcher(other, { registry: registries[1], pollMs: 50 });
    await Promise.all([a.start(), b.start()]);

    await s.receiver.waitForDistinct(EVENTS, 10_000);
    // Bookkeeping follows each answer: wait (bounded) until both have recorded every outcome.
    await waitUntil('every outcome is recorded', async () => (await deliveredCount(registries[0])) + (await deliveredCount(registries[1])) >= EVENTS, { timeoutMs: 5_000, everyMs: 5 });
    const shares = [await deliveredCount(registries[0]), await deliveredCount(registries[1])];

    // Every event arrived, none twice (not only never twice at once: the held set is shared).
    expect(ids.filter((id) => !s.receiver.firstSeen.has(id))).toEqual([]);
    expect(s.receiver.overlaps().map((o) => o.id)).toEqual([]);
    expect(s.receiver.duplicates).toBe(0);
    expect(s.receiver.requests).toHaveLength(EVENTS);
    const bodies = new Map(s.receiver.requests.map((r) => [r.id, JSON.parse(r.body) as { id: string }]));
    for (const id of ids) expect(bodies.get(id)!.id).toBe(id);
    const attempts = await s.db.kysely.selectFrom('webhook_attempts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(attempts.n)).toBe(EVENTS);
    expect(await s.status()).toEqual({ delivered: EVENTS });
    // Both Dbs count as the lock's holder (one process, one token), and both did work.
    expect(shares[0]! + shares[1]!).toBe(EVENTS);
    expect(Math.min(...shares)).toBeGreaterThan(0);
    expectHeldByUs(await s.lockRow());
  });

  it('stands by while another live process of this host holds the lock, and takes over at once when it dies', async () => {
    const s = await setup();
    const ids = await s.enqueue(20);
    const holder = await liveChild();
    const theirs: LockValue = { token: 'lock_otherprocess', pid: holder.pid!, host: os.hostname(), until: Date.now() + 60_000 };
    await s.writeLock(theirs);
    const log = recordingLogger();
    const dispatcher = s.dispatcher(s.deps, { logger: log.logger });

    // Held by a live process: nothing claimed, nothing delivered, the row left as it was.
    await dispatcher.drain();
    await dispatcher.drain();
    expect(s.receiver.requests).toHaveLength(0);
    expect(await s.status()).toEqual({ pending: 20 });
    expect(await s.lockRow()).toEqual(theirs);
    const standBy = log.lines.filter((l) => l.level === 'warn');
    expect(standBy, 'one warning while standing by, not one per look').toHaveLength(1);
    expect(standBy[0]!.msg).toMatch(/stands by/);
    expect(standBy[0]!.obj).toMatchObject({ holder: { pid: holder.pid, host: os.hostname() } });

    // The holder dies (SIGKILL) with a minute of its lease left: taken over at once.
    await killChild(holder);
    const t0 = Date.now();
    await dispatcher.drain();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(s.receiver.distinct).toBe(20);
    expect(ids.filter((id) => !s.receiver.firstSeen.has(id))).toEqual([]);
    expect(s.receiver.duplicates).toBe(0);
    expect(await s.status()).toEqual({ delivered: 20 });
    const ours = await s.lockRow();
    expectHeldByUs(ours);
    expect(ours!.token).not.toBe(theirs.token);
    expect(log.lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([expect.stringMatching(/took over/)]);
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('a running dispatcher standing by starts delivering once the live holder dies', async () => {
    const s = await setup();
    await s.enqueue(10);
    const holder = await liveChild();
    await s.writeLock({ token: 'lock_otherprocess', pid: holder.pid!, host: os.hostname(), until: Date.now() + 60_000 });
    const log = recordingLogger();
    const dispatcher = s.dispatcher(s.deps, { pollMs: 50, logger: log.logger });
    await dispatcher.start();
    // It has looked at the lock and found the holder alive.
    await waitUntil('the dispatcher stands by', () => log.lines.some((l) => l.level === 'warn' && /stands by/.test(l.msg)), { timeoutMs: 2_000, everyMs: 5 });
    expect(s.receiver.requests).toHaveLength(0);
    expect((await s.lockRow())!.pid).toBe(holder.pid);

    await killChild(holder);
    await s.receiver.waitForDistinct(10, 2_000);
    expect(s.receiver.duplicates).toBe(0);
    expectHeldByUs(await s.lockRow());
  });

  it('a started dispatcher that stood by and stops leaves the other process\'s lock row alone', async () => {
    const s = await setup();
    const holder = await liveChild();
    const theirs: LockValue = { token: 'lock_otherprocess', pid: holder.pid!, host: os.hostname(), until: Date.now() + 60_000 };
    await s.writeLock(theirs);
    const log = recordingLogger();
    const dispatcher = s.dispatcher(s.deps, { pollMs: 50, logger: log.logger });
    await dispatcher.start();
    await waitUntil('the dispatcher stands by', () => log.lines.some((l) => l.level === 'warn' && /stands by/.test(l.msg)), { timeoutMs: 2_000, everyMs: 5 });
    await dispatcher.stop(1_000);
    expect(await s.lockRow()).toEqual(theirs);
  });

  // While standing by, the run loop sleeps pollMs between looks: each look is a write
  // transaction (BEGIN IMMEDIATE) on the database the other process writes to.
  it('a started dispatcher standing by looks at the lock about every pollMs, not every millisecond', async () => {
    const s = await setup();
    const holder = await liveChild();
    await s.enqueue(3);
    await s.writeLock({ token: 'lock_otherprocess', pid: holder.pid!, host: os.hostname(), until: Date.now() + 60_000 });
    let looks = 0;
    const access = s.db.sqlite!;
    const run = access.run.bind(access);
    access.run = ((fn: Parameters<typeof run>[0]) => {
      looks++;
      return run(fn);
    }) as typeof access.run;
    const dispatcher = s.dispatcher(s.deps, { pollMs: 100 });
    await dispatcher.start();
    await new Promise((r) => setTimeout(r, 300));
    await dispatcher.stop(1_000);
    expect(s.receiver.requests).toHaveLength(0);
    // About 300 / 100 looks (+ the first); measured before a fix: ~150-200.
    expect(looks).toBeLessThanOrEqual(10);
  });

  describe('a lock row whose lease has run out is taken over', () => {
    it('held by a live process of this host', async () => {
      const s = await setup();
      await s.enqueue(5);
      const holder = await liveChild();
      await s.writeLock({ token: 'lock_otherprocess', pid: holder.pid!, host: os.hostname(), until: Date.now() - 1 });
      await s.dispatcher().drain();
      expect(s.receiver.distinct).toBe(5);
      expect(await s.status()).toEqual({ delivered: 5 });
      expectHeldByUs(await s.lockRow());
      expect(holder.exitCode, 'the holder is still alive: only its lease ran out').toBeNull();
    });

    it('held by a process of another host', async () => {
      const s = await setup();
      await s.enqueue(5);
      await s.writeLock({ token: 'lock_otherhost', pid: process.pid, host: `not-${os.hostname()}`, until: Date.now() - 1 });
      await s.dispatcher().drain();
      expect(s.receiver.distinct).toBe(5);
      expect(await s.status()).toEqual({ delivered: 5 });
      expectHeldByUs(await s.lockRow());
    });
  });

  it('respects a lock row of another host whose lease runs, whatever its pid is here', async () => {
    const s = await setup();
    await s.enqueue(5);
    // The pid is dead on this host, but it names a process of another host: not checked here.
    const theirs: LockValue = { token: 'lock_otherhost', pid: await deadPid(), host: `not-${os.hostname()}`, until: Date.now() + 60_000 };
    await s.writeLock(theirs);
    const dispatcher = s.dispatcher();
    await dispatcher.drain();
    expect(s.receiver.requests).toHaveLength(0);
    expect(await s.status()).toEqual({ pending: 5 });
    expect(await s.lockRow()).toEqual(theirs);

    // Once that lease has run out, the next look takes over.
    await s.writeLock({ ...theirs, until: Date.now() - 1 });
    await dispatcher.drain();
    expect(s.receiver.distinct).toBe(5);
    expectHeldByUs(await s.lockRow());
  });

  it('takes over at once a row naming its own pid and host but another process (a restarted container gets the same pid)', async () => {
    const s = await setup();
    await s.enqueue(5);
    const earlier: LockValue = { token: 'lock_earlier', proc: 'proc_earlier', pid: process.pid, host: os.hostname(), until: Date.now() + 60_000 };
    await s.writeLock(earlier);
    await s.dispatcher().drain();
    expect(s.receiver.distinct).toBe(5);
    expect(await s.status()).toEqual({ delivered: 5 });
    const ours = await s.lockRow();
    expectHeldByUs(ours);
    expect(ours!.proc).not.toBe('proc_earlier');
  });

  it('stop() of a started dispatcher deletes its lock row', async () => {
    const s = await setup();
    const dispatcher = s.dispatcher(s.deps, { pollMs: 50 });
    await dispatcher.start();
    await waitUntil('the running dispatcher holds the lock', async () => (await s.lockRow()) !== undefined, { timeoutMs: 2_000, everyMs: 5 });
    expectHeldByUs(await s.lockRow());
    // It dispatches while it holds it.
    await s.enqueue(3);
    await s.receiver.waitForDistinct(3, 2_000);

    await dispatcher.stop(1_000);
    expect(await s.lockRow()).toBeUndefined();
  });

  it('the lock row is deleted when the last started dispatcher of the process stops, not before', async () => {
    const s = await setup();
    const other = s.openMore();
    const a = s.dispatcher(s.deps, { pollMs: 50 });
    const b = s.dispatcher(other, { pollMs: 50 });
    await a.start();
    await b.start();
    await waitUntil('the dispatchers hold the lock', async () => (await s.lockRow()) !== undefined, { timeoutMs: 2_000, everyMs: 5 });
    const held = await s.lockRow();
    expectHeldByUs(held);

    await a.stop(1_000);
    expect(await s.lockRow(), 'b still runs: the lock stays').toEqual(held);
    // b still dispatches.
    await s.enqueue(3);
    await s.receiver.waitForDistinct(3, 2_000);

    await b.stop(1_000);
    expect(await s.lockRow()).toBeUndefined();
  });

  it('a dispatcher that only drained (never started) keeps the lock row, naming this process', async () => {
    const s = await setup();
    await s.enqueue(2);
    const dispatcher = s.dispatcher();
    await dispatcher.drain();
    expect(s.receiver.distinct).toBe(2);
    const held = await s.lockRow();
    expectHeldByUs(held);

    // stop() of a dispatcher never started gives nothing up: the row stays, as long as this
    // process lives (another process of this host would take over once it is gone).
    await dispatcher.stop(1_000);
    expect(await s.lockRow()).toEqual(held);
    // Another dispatcher of this process shares the lock (same token), and renews nothing
    // before half the lease has passed: the row is exactly as it was.
    await s.enqueue(1);
    await s.dispatcher().drain();
    expect(s.receiver.distinct).toBe(3);
    expect(await s.lockRow()).toEqual(held);
  });
});
