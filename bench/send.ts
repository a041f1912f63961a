// Benchmark: POST /messages (template sends: hello_world, en_US) on sandbox channels, SQLite,
// against a baseline measured in the same run: a bare Fastify JSON echo of the same requests
// (same route, same bodies, same headers, same connections).
//
//   npm run bench:send                                  # 32 connections, 10 s per target
//   BENCH_CONNECTIONS=64 BENCH_SECONDS=20 npm run bench:send
//   BENCH_ROUNDS=3 npm run bench:send                   # alternate echo / openwaba 3 times
//   BENCH_CPU_PROFILE=/tmp/prof npm run bench:send      # node --cpu-prof on the server child
//   BENCH_LOG_LEVEL=warn npm run bench:send             # server's LOG_LEVEL (default: info, as shipped)
//   BENCH_DEBUG=1 npm run bench:send                    # also print the server's event-loop delay and GC pauses
//   BENCH_SQLITE_STATS=1 npm run bench:send             # also print the server's time per SQL statement and its writes
//   BENCH_CHANNELS=400 BENCH_STATUS_DELAYS=sent=1s,delivered=3s,read=6s npm run bench:send
//   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres npm run bench:send
//                                     # on PostgreSQL: a fresh database made (and dropped) by the bench
//   BENCH_POSTGRES=… BENCH_INSTANCES=2 npm run bench:send
//                                     # two server processes on one database, the connections split between them
//
// The server is the real one (startServer: app, webhook dispatcher, job scheduler) in a child
// process, and the echo in another, so neither shares an event loop with the load generator
// (autocannon, in this process). Every message is stored and its statuses (sent, delivered,
// read) are generated while the run goes on: the sandbox's status delays are short. The sends are
// spread round robin over BENCH_CHANNELS channels (200 × the default 80 messages/s: 16,000/s)
// and every message goes to a new recipient, so neither the channel throughput limit (130429) nor
// the pair limit (131056) binds; any non-2xx answer fails the bench. After a short drain the bench checks that every
// wamid answered with a 2xx is stored and has reached `read`, and that no status plan is left.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import pg from 'pg';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { openDb } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Deps } from '../src/deps.ts';
import { startServer } from '../src/server.ts';
import { createChannelApiKey } from '../src/services/channel-api-keys.ts';
import { createChannel } from '../src/services/channels.ts';
import { createClient } from '../src/services/clients.ts';
import { createPartner } from '../src/services/partners.ts';
import { autocannon, Child, onStop, type AcRequest } from './children.ts';
import { installSqliteStats } from './sqlite-stats.ts';

const SELF = fileURLToPath(import.meta.url);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 200);
const PARTNERS = Math.max(1, Math.min(CHANNELS, Number(process.env.BENCH_PARTNERS ?? 4)));
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const STATUS_DELAYS = process.env.BENCH_STATUS_DELAYS ?? 'sent=100ms,delivered=300ms,read=600ms';
/** An admin URL of a PostgreSQL server: the bench then runs on a fresh database there instead of SQLite. */
const POSTGRES = process.env.BENCH_POSTGRES;
/** Server processes sharing the database (PostgreSQL only: SQLite is one process's file). */
const INSTANCES = Math.max(1, Number(process.env.BENCH_INSTANCES ?? 1));
const DRAIN_TIMEOUT_MS = 60_000;

async function serverChild(): Promise<void> {
  if (process.env.BENCH_SQLITE_STATS) installSqliteStats();
  const server = await startServer(loadConfig(process.env));
  if (process.env.BENCH_DEBUG) {
    // The event loop's stalls, printed when the server stops.
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const gc = { n: 0, ms: 0, max: 0, major: 0 };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gc.n++;
        gc.ms += e.duration;
        gc.max = Math.max(gc.max, e.duration);
        if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
      }
    }).observe({ entryTypes: ['gc'] });
    process.on('exit', () => {
      console.error(`server event loop delay: p50 ${(h.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`);
      console.error(`server GC: ${gc.n} pauses (${gc.major} major), ${gc.ms.toFixed(0)} ms in all, longest ${gc.max.toFixed(1)} ms`);
    });
  }
  process.send!({ port: Number(new URL(server.url).port) });
  onStop(() => server.stop());
}

async function echoChild(): Promise<void> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.post('/messages', async (request) => request.body);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  process.send!({ port: typeof addr === 'object' && addr ? addr.port : 0 });
  onStop(() => app.close());
}

// ---------------------------------------------------------------------------------------------
// Setup: partners, each with a client holding its share of the channels (one WABA per client,
// with its approved hello_world), and one key per channel.

async function seed(deps: Deps): Promise<string[]> {
  const keys: string[] = [];
  for (let p = 0; p < PARTNERS; p++) {
    const share = Math.floor(CHANNELS / PARTNERS) + (p < CHANNELS % PARTNERS ? 1 : 0);
    await deps.db.kysely.transaction().execute(async (tx) => {
      const partner = await createPartner(deps, { brand_name: `Bench partner ${p}` }, tx);
      const client = await createClient(deps, partner.id, { name: `Bench client ${p}`, max_channels: share }, undefined, tx);
      for (let i = 0; i < share; i++) {
        const phoneNumber = `49150${String(keys.length).padStart(8, '0')}`;
        const channel = await createChannel(deps, { partnerId: partner.id, clientId: client.id, phoneNumber, phoneName: `Bench ${keys.length}` }, undefined, tx);
        keys.push((await createChannelApiKey(deps, channel, tx)).api_key);
      }
    });
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Load: one request template; each request picks the next channel (round robin over all
// connections) and a recipient never used before.

let seq = 0;
function requestsFor(keys: string[], ids: string[]): AcRequest[] {
  return [
    {
      method: 'POST',
      path: '/messages',
      headers: { 'content-type': 'application/json' },
      setupRequest(req) {
        const n = seq++;
        req.headers = { ...req.headers, 'D360-API-KEY': keys[n % keys.length]! };
        req.body = JSON.stringify({
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: `4917${String(n).padStart(9, '0')}`,
          type: 'template',
          template: { name: 'hello_world', language: { code: 'en_US' } },
        });
        return req;
      },
      onResponse(status, body) {
        // Same work for both targets: parse the answer; keep the wamid when there is one.
        if (status < 200 || status >= 300) return;
        const id = (JSON.parse(body) as { messages?: { id: string }[] }).messages?.[0]?.id;
        if (id) ids.push(id);
      },
    },
  ];
}

interface Run {
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
  ok: number;
  failed: number;
  codes: string;
  /** CPU time the target's process spent per 2xx answer, in ms (its whole process: for the server, status jobs included). */
  cpuPerMsg: number;
}

/**
 * One run against one target, or against several at once (instances sharing a database: the
 * connections split between them, one autocannon each). Several: throughput and counts are
 * summed, and each latency figure is the worst instance's.
 */
async function load(targets: Child | Child[], keys: string[], ids: string[], seconds: number): Promise<Run> {
  const list = Array.isArray(targets) ? targets : [targets];
  const cpuOf = async () => (await Promise.all(list.map((t) => t.cpuMs()))).reduce((a, b) => a + b, 0);
  const cpu0 = await cpuOf();
  const results = await Promise.all(
    list.map((t, i) =>
      autocannon({
        url: t.url,
        connections: Math.floor(CONNECTIONS / list.length) + (i < CONNECTIONS % list.length ? 1 : 0),
        duration: seconds,
        pipelining: 1,
        requests: requestsFor(keys, ids),
      }),
    ),
  );
  const cpu = (await cpuOf()) - cpu0;
  const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((a, r) => a + f(r), 0);
  const worst = (f: (r: (typeof results)[number]) => number) => Math.max(...results.map(f));
  const codes = new Map<string, number>();
  for (const r of results) for (const [c, st] of Object.entries(r.statusCodeStats)) codes.set(c, (codes.get(c) ?? 0) + st.count);
  const ok = sum((r) => r['2xx']);
  return {
    cpuPerMsg: cpu / Math.max(1, ok),
    reqPerSec: sum((r) => r['2xx'] / r.duration),
    p50: worst((r) => r.latency.p50),
    p90: worst((r) => r.latency.p90),
    p99: worst((r) => r.latency.p99),
    max: worst((r) => r.latency.max),
    total: sum((r) => r.requests.total),
    ok,
    failed: sum((r) => r.non2xx + r.errors + r.timeouts + r.resets),
    codes: [...codes].map(([c, n]) => `${c}×${n}`).join(' '),
  };
}

/** A fresh database on the PostgreSQL server of `adminUrl`, and how to drop it. */
async function freshPostgres(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `openwaba_bench_${Date.now().toString(36)}`;
  const run = async (q: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-bench-send-'));
  if (INSTANCES > 1 && !POSTGRES) throw new Error('BENCH_INSTANCES > 1 needs BENCH_POSTGRES: an SQLite file is served by one process');
  const pgDb = POSTGRES ? await freshPostgres(POSTGRES) : undefined;
  const databaseUrl = pgDb ? pgDb.url : `sqlite:${path.join(dir, 'bench.db')}`;
  const where = pgDb ? `PostgreSQL (${new URL(pgDb.url).pathname.slice(1)}), ${INSTANCES} server instance${INSTANCES === 1 ? '' : 's'}` : `SQLite (${dir})`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    OPENWABA_DEMO: 'false',
    LOG_LEVEL: LOG_LEVEL,
    OPENWABA_SANDBOX_STATUS_DELAYS: STATUS_DELAYS,
    OPENWABA_DATA_DIR: dir,
  };
  const config = loadConfig(env);
  const db = openDb(databaseUrl);
  const deps: Deps = { config, db, clock: systemClock };
  await migrateToLatest(db);
  const keys = await seed(deps);

  const profileArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const servers: Child[] = [];
  for (let i = 0; i < INSTANCES; i++) servers.push(await Child.start(SELF, 'server', env, profileArgs));
  const server = INSTANCES === 1 ? servers[0]! : servers;
  const echo = await Child.start(SELF, 'echo', env);
  const ids: string[] = [];
  const echoRuns: Run[] = [];
  const serverRuns: Run[] = [];
  let failedChecks = 0;
  try {
    // Warm-up (JIT, page cache, connection handling) of both targets, not measured.
    await load(echo, keys, [], WARMUP_SECONDS);
    await load(server, keys, ids, WARMUP_SECONDS);
    for (let round = 0; round < ROUNDS; round++) {
      echoRuns.push(await load(echo, keys, [], SECONDS));
      serverRuns.push(await load(server, keys, ids, SECONDS));
    }

    // Drain: every accepted message must be stored and reach `read`; no status job may be left.
    const t0 = Date.now();
    let pending = -1;
    let unread = -1;
    for (;;) {
      pending =
        Number((await db.kysely.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', 'message_status').executeTakeFirstOrThrow()).n) +
        Number((await db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('status_due_at', 'is not', null).executeTakeFirstOrThrow()).n);
      unread = Number(
        (await db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('direction', '=', 'outbound').where('status', '!=', 'read').executeTakeFirstOrThrow()).n,
      );
      if ((pending === 0 && unread === 0) || Date.now() - t0 > DRAIN_TIMEOUT_MS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const drainMs = Date.now() - t0;
    const stored = new Map((await db.kysely.selectFrom('messages').select(['id', 'status', 'sent_at', 'delivered_at', 'read_at']).where('direction', '=', 'outbound').execute()).map((m) => [m.id, m]));
    const missing = ids.filter((id) => !stored.has(id)).length;
    const withoutStatuses = ids.filter((id) => {
      const m = stored.get(id);
      return m && !(m.status === 'read' && m.sent_at && m.delivered_at && m.read_at);
    }).length;
    // Requests cut off by the end of a run may have been stored without their answer being counted.
    const unanswered = stored.size - new Set(ids).size;

    const f = (x: number) => x.toFixed(1);
    const cpu = os.cpus();
    console.log(`\nnode ${process.version}, ${cpu[0]?.model ?? 'cpu'} × ${cpu.length}, ${where}`);
    console.log(
      `${CONNECTIONS} connections, ${SECONDS} s per run (after ${WARMUP_SECONDS} s warm-up each), ${ROUNDS} round(s); ${CHANNELS} sandbox channels ` +
        `(${config.defaultThroughputMps} msg/s each), a new recipient per message; server LOG_LEVEL=${LOG_LEVEL}; status delays ${STATUS_DELAYS}\n`,
    );
    console.log(`${'round  target'.padEnd(28)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p90 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}${'2xx'.padStart(9)}${'failed'.padStart(8)}${'cpu ms/msg'.padStart(12)}  ratio`);
    const row = (round: number, name: string, r: Run, ratio?: number) =>
      console.log(
        `${`${round + 1}      ${name}`.padEnd(28)}${Math.round(r.reqPerSec).toString().padStart(9)}${f(r.p50).padStart(9)}${f(r.p90).padStart(9)}${f(r.p99).padStart(9)}${f(r.max).padStart(9)}` +
          `${String(r.ok).padStart(9)}${String(r.failed).padStart(8)}${r.cpuPerMsg.toFixed(3).padStart(12)}  ${ratio === undefined ? '' : ratio.toFixed(2)}${r.failed ? `  (${r.codes})` : ''}`,
      );
    const ratios: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const ratio = serverRuns[i]!.reqPerSec / echoRuns[i]!.reqPerSec;
      ratios.push(ratio);
      row(i, 'echo (baseline)', echoRuns[i]!);
      row(i, 'openwaba POST /messages', serverRuns[i]!, ratio);
    }
    const failed = serverRuns.reduce((s, r) => s + r.failed, 0) + echoRuns.reduce((s, r) => s + r.failed, 0);
    const worstP99 = Math.max(...serverRuns.map((r) => r.p99));
    const minRatio = Math.min(...ratios);
    console.log(
      `\nchecks: ${ids.length} messages answered 2xx (warm-up included), ${stored.size} stored (${unanswered} cut off by a run's end), ` +
        `${missing} missing, ${withoutStatuses} without sent/delivered/read, ${pending} status plans left; drained in ${drainMs} ms`,
    );
    const checks: [string, boolean][] = [
      ['no failed request (non-2xx, errors, timeouts)', failed === 0],
      ['every 2xx message stored', missing === 0],
      ['every stored message got its statuses', withoutStatuses === 0 && pending === 0 && unread === 0],
      [`ratio openwaba/echo ≥ 0.3 (min ${minRatio.toFixed(2)})`, minRatio >= 0.3],
      [`p99 ≤ 25 ms at ${CONNECTIONS} connections (worst ${f(worstP99)} ms)`, worstP99 <= 25],
    ];
    for (const [name, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${name}`);
    failedChecks = checks.filter(([, ok]) => !ok).length;
  } finally {
    for (const s of servers) await s.stop();
    await echo.stop();
    await db.close();
    await pgDb?.drop();
    if (PROFILE_DIR) console.log(`CPU profile of the server child in ${PROFILE_DIR}`);
    if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failedChecks ? 1 : 0;
}

const role = process.argv[2];
if (role === 'server') await serverChild();
else if (role === 'echo') await echoChild();
else await main();
