// A server killed with SIGKILL while it creates events and delivers them loses none: after a
// restart on the same database, every event written before the kill reaches the receiver at
// least once, and a repeated delivery carries the same webhook-id and body.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { openDb, type Db } from '../src/db/index.ts';
import { createTestDatabase, describeEachDb, type TestDatabase } from './helpers/db.ts';
import { TimedReceiver } from './helpers/timed-receiver.ts';
import { waitUntil } from './helpers/wait.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin/openwaba.mjs');
const CLIENTS = 300;
const LOAD_CONCURRENCY = 12;
/** The receiver answers slowly-ish and each server delivers at most 4 at once: a backlog builds up. */
const RECEIVER_DELAY_MS = 40;
const KILL_AFTER_DELIVERED = 20;

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function serverEnv(databaseUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    OPENWABA_DEMO: 'false',
    OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,200ms,500ms,1s',
    OPENWABA_WEBHOOK_TIMEOUT: '1s',
    // A claim held by the killed server is taken over 2 s after it was made, not after a minute.
    OPENWABA_WEBHOOK_LEASE: '2s',
    OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY: '4',
  };
}

interface Server {
  proc: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<void>;
}

/** `openwaba start` as a child process; resolves with its URL once it listens (bounded). */
function startServer(databaseUrl: string): Promise<Server> {
  const proc = spawn(process.execPath, [CLI, 'start'], { cwd: ROOT, env: serverEnv(databaseUrl), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s:\n${out}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]!, output: () => out, exited });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}

function bootstrap(databaseUrl: string): Promise<{ partner_id: string; partner_api_key: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, 'bootstrap', '--json'], { cwd: ROOT, env: serverEnv(databaseUrl), timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`bootstrap failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as { partner_id: string; partner_api_key: string });
    });
  });
}

describe('OPENWABA_WEBHOOK_LEASE', () => {
  it('sets how long a claim holds an event, and must be longer than the timeout', () => {
    expect(loadConfig({}).webhookLeaseMs).toBe(60_000);
    expect(loadConfig({ OPENWABA_WEBHOOK_TIMEOUT: '40s' }).webhookLeaseMs).toBe(110_000);
    expect(loadConfig({ OPENWABA_WEBHOOK_LEASE: '2s', OPENWABA_WEBHOOK_TIMEOUT: '1s' }).webhookLeaseMs).toBe(2_000);
    expect(() => loadConfig({ OPENWABA_WEBHOOK_LEASE: '1s', OPENWABA_WEBHOOK_TIMEOUT: '1s' })).toThrow(ConfigError);
    expect(() => loadConfig({ OPENWABA_WEBHOOK_LEASE: '500ms' })).toThrow(/OPENWABA_WEBHOOK_LEASE .* must be longer than OPENWABA_WEBHOOK_TIMEOUT/);
  });
});

describeEachDb('webhook delivery across a crash', (kind) => {
  it('loses no event when the server is killed mid-delivery and restarted', { timeout: 150_000 }, async () => {
    const t0 = Date.now();
    let database: TestDatabase | undefined;
    let db: Db | undefined;
    const receiver = await new TimedReceiver({ delayMs: RECEIVER_DELAY_MS, keepBodies: true }).start();
    const agent = new Agent({ connections: LOAD_CONCURRENCY });
    let first: Server | undefined;
    let second: Server | undefined;
    try {
      database = await createTestDatabase(kind);
      first = await startServer(database.url);
      const tenant = await bootstrap(database.url);
      const api = (p: string, body: unknown) =>
        request(`${first!.url}/api/v2/partners/${tenant.partner_id}${p}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'x-api-key': tenant.partner_api_key, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const set = await api('/webhook_url', { webhook_url: `${receiver.url}/partner-events` });
      expect(set.statusCode, await set.body.text()).toBe(200);

      // Load: client creations from several workers, until all are made or the server is gone.
      const created: string[] = [];
      let failed = 0;
      let killed = false;
      let next = 0;
      const worker = async () => {
        while (!killed && next < CLIENTS) {
          const i = next++;
          try {
            const res = await api('/account_sharing/clients', { name: `Crash client ${i}` });
            const body = (await res.body.json()) as { id?: string };
            if (res.statusCode === 201 && body.id) created.push(body.id);
            else failed++;
          } catch {
            failed++; // the server died under this request: its outcome is unknown
          }
        }
      };
      const load = Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));

      // Kill once half the clients are made and some of their events delivered: client
      // creations and deliveries are both in flight then.
      await waitUntil('half the clients are created and some events delivered', async () => created.length >= CLIENTS / 2 && receiver.distinct >= KILL_AFTER_DELIVERED, { timeoutMs: 20_000, everyMs: 2 });
      first.proc.kill('SIGKILL');
      killed = true;
      const atKill = { delivered: receiver.distinct, created: created.length, inFlight: receiver.requests.filter((r) => Number.isNaN(r.end)).length };
      await first.exited;
      await load;

      // What the killed server committed: every acknowledged client has its event.
      db = openDb(database.url, { poolSize: 2 });
      const events = await db.kysely.selectFrom('webhook_events').select(['id', 'event_type', 'body']).execute();
      const eventOfClient = new Map<string, string>();
      for (const e of events) {
        const b = JSON.parse(e.body) as { id: string; event: string; data: { id: string } };
        expect(b.id).toBe(e.id);
        if (b.event === 'client_created') eventOfClient.set(b.data.id, e.id);
      }
      const missing = created.filter((c) => !eventOfClient.has(c));
      expect(missing, 'acknowledged clients without a client_created event').toEqual([]);
      expect(atKill.delivered, 'the kill came after some deliveries').toBeGreaterThanOrEqual(KILL_AFTER_DELIVERED);
      expect(atKill.delivered, 'the kill came before every event was delivered').toBeLessThan(events.length);

      // Restart on the same database: the rest arrives (on SQLite at once; on PostgreSQL once the dead server's leases run out).
      const restartAt = Date.now();
      second = await startServer(database.url);
      await receiver.waitForDistinct(events.length, 20_000);
      await waitUntil(
        'every event is recorded as delivered',
        async () => {
          const open = await db!.kysely
            .selectFrom('webhook_events')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('status', '!=', 'delivered')
            .executeTakeFirstOrThrow();
          return Number(open.n) === 0;
        },
        { timeoutMs: 10_000, everyMs: 50 },
      );
      const recovered = Date.now() - restartAt;

      // Nothing lost: every event in the outbox reached the receiver.
      const lost = events.filter((e) => !receiver.firstSeen.has(e.id)).map((e) => e.id);
      expect(lost, 'events never delivered').toEqual([]);
      // Nothing made up: every request is one of the outbox's events, with that event's exact body.
      const bodyOf = new Map(events.map((e) => [e.id, e.body]));
      for (const r of receiver.requests) expect(r.body, `body of ${r.id}`).toBe(bodyOf.get(r.id));
      // Duplicates are repeats of the same event: same webhook-id, same body (checked above).
      const perId = new Map<string, number>();
      for (const r of receiver.requests) perId.set(r.id, (perId.get(r.id) ?? 0) + 1);
      expect(perId.size).toBe(events.length);
      const duplicated = [...perId.values()].filter((n) => n > 1).length;
      expect(receiver.duplicates).toBe(receiver.requests.length - events.length);

      console.log(
        `[${kind}] ${events.length} events (${created.length} clients acknowledged, ${failed} requests cut by the kill); ` +
          `at the kill: ${atKill.created} clients created, ${atKill.delivered} events delivered, ${atKill.inFlight} deliveries in flight; ` +
          `after restart all delivered in ${recovered} ms; ` +
          `${receiver.requests.length} requests, ${receiver.duplicates} duplicates over ${duplicated} events (same webhook-id); ` +
          `total ${Date.now() - t0} ms`,
      );
    } finally {
      for (const s of [first, second]) {
        if (s && s.proc.exitCode === null && s.proc.signalCode === null) {
          s.proc.kill('SIGKILL');
          await s.exited;
        }
      }
      await agent.destroy().catch(() => {});
      await receiver.close();
      await db?.close();
      await database?.drop();
    }
  });
});
