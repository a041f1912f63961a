// Benchmark: the Messaging API's per-request D360-API-KEY → channel lookup (channelForApiKey in
// src/messaging/auth.ts, kept principals included) on SQLite, against a baseline measured in the
// same run: a bare primary-key SELECT of one channel row through the same Kysely instance.
//
//   npm run bench:keys                      # 10,000 channels, 5 rounds of 10,000 lookups each
//   BENCH_CHANNELS=50000 BENCH_ROUNDS=3 npm run bench:keys
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { openDb } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Deps } from '../src/deps.ts';
import { hashSecret } from '../src/crypto.ts';
import { channelForApiKey } from '../src/messaging/auth.ts';
import { createChannelApiKey } from '../src/services/channel-api-keys.ts';
import { createChannel } from '../src/services/channels.ts';
import { createClient } from '../src/services/clients.ts';
import { createPartner } from '../src/services/partners.ts';

const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 10_000);
const PER_PARTNER = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const OPS_PER_ROUND = Number(process.env.BENCH_OPS ?? 10_000);

interface Seeded {
  channelId: string;
  apiKey: string;
}

async function seed(deps: Deps): Promise<Seeded[]> {
  const out: Seeded[] = [];
  for (let p = 0; out.length < CHANNELS; p++) {
    await deps.db.kysely.transaction().execute(async (tx) => {
      const partner = await createPartner(deps, { brand_name: `Bench partner ${p}` }, tx);
      const client = await createClient(deps, partner.id, { name: `Bench client ${p}`, max_channels: PER_PARTNER }, undefined, tx);
      for (let i = 0; i < PER_PARTNER && out.length < CHANNELS; i++) {
        const phoneNumber = `49150${String(out.length).padStart(8, '0')}`;
        const channel = await createChannel(deps, { partnerId: partner.id, clientId: client.id, phoneNumber, phoneName: `Bench ${out.length}` }, undefined, tx);
        const key = await createChannelApiKey(deps, channel, tx);
        out.push({ channelId: channel.id, apiKey: key.api_key });
      }
    });
  }
  return out;
}

/** Fisher–Yates on a copy; Math.random is fine for picking benchmark inputs. */
function shuffled<T>(xs: T[]): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

class Samples {
  private readonly ns: number[] = [];
  private totalNs = 0;
  add(ns: number) {
    this.ns.push(ns);
    this.totalNs += ns;
  }
  summary() {
    const sorted = Float64Array.from(this.ns).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1000;
    return { ops: this.ns.length, opsPerSec: this.ns.length / (this.totalNs / 1e9), p50us: at(0.5), p99us: at(0.99) };
  }
}

async function timeEach<T>(inputs: T[], op: (x: T) => Promise<unknown>, into: Samples, check: (r: unknown, x: T) => void) {
  for (const x of inputs) {
    const start = process.hrtime.bigint();
    const r = await op(x);
    into.add(Number(process.hrtime.bigint() - start));
    check(r, x);
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-bench-'));
  const databaseUrl = `sqlite:${path.join(dir, 'bench.db')}`;
  const config = loadConfig({ DATABASE_URL: databaseUrl, OPENWABA_DEMO: 'false', LOG_LEVEL: 'silent' });
  const db = openDb(databaseUrl);
  const deps: Deps = { config, db, clock: systemClock };
  try {
    await migrateToLatest(db);
    const t0 = performance.now();
    const seeded = await seed(deps);
    console.log(`seeded ${seeded.length} channels with one D360 key each in ${((performance.now() - t0) / 1000).toFixed(1)} s (SQLite, ${dir})`);

    const byKey = new Map(seeded.map((s) => [s.apiKey, s.channelId]));
    const expectChannel = (r: unknown, key: string) => {
      if ((r as { id?: string } | undefined)?.id !== byKey.get(key)) throw new Error(`wrong channel for key ${key.slice(0, 6)}…`);
    };
    const expectRow = (r: unknown, id: string) => {
      if ((r as { id?: string } | undefined)?.id !== id) throw new Error(`channel ${id} not found`);
    };
    const baseline = (id: string) => db.kysely.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
    // The same probe channelForApiKey makes when it has no kept principal, with the hash computed
    // beforehand: shows what hashing, keeping principals and the last-used bookkeeping change.
    const hashes = new Map(seeded.map((s) => [s.apiKey, hashSecret(s.apiKey)]));
    const probe = (key: string) =>
      db.kysely
        .selectFrom('channel_api_keys')
        .innerJoin('channels', 'channels.id', 'channel_api_keys.channel_id')
        .selectAll('channels')
        .select(['channel_api_keys.id as key_id', 'channel_api_keys.key_hash as key_hash'])
        .where('channel_api_keys.key_hash', '=', hashes.get(key)!)
        .where('channel_api_keys.revoked_at', 'is', null)
        .executeTakeFirst();

    // First use of every key: includes scheduling its last_used_at write.
    const firstUse = new Samples();
    await timeEach(shuffled(seeded.map((s) => s.apiKey)), (k) => channelForApiKey(deps, k), firstUse, expectChannel);
    // Let the queued last_used_at writes finish before measuring the steady state (SQLite runs
    // queries one at a time, in order, so one more query waits for all of them).
    await db.kysely.selectFrom('channels').select('id').limit(1).execute();
    // Warm-up of the baseline, so that both sides start with the same page cache.
    await timeEach(seeded.map((s) => s.channelId), baseline, new Samples(), expectRow);

    const base = new Samples();
    const raw = new Samples();
    const resolve = new Samples();
    const pick = () => Array.from({ length: OPS_PER_ROUND }, () => seeded[Math.floor(Math.random() * seeded.length)]!);
    // Interleaved rounds, so that drift (GC, CPU frequency) hits all sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      const inputs = pick();
      await timeEach(inputs.map((s) => s.channelId), baseline, base, expectRow);
      await timeEach(inputs.map((s) => s.apiKey), probe, raw, expectChannel);
      await timeEach(inputs.map((s) => s.apiKey), (k) => channelForApiKey(deps, k), resolve, expectChannel);
    }

    const rows = [
      ['baseline: channel by primary key', base.summary()],
      ['key_hash probe (same SQL, hash precomputed)', raw.summary()],
      ['channelForApiKey (steady state)', resolve.summary()],
      ['channelForApiKey (first use of each key)', firstUse.summary()],
    ] as const;
    console.log(`\nnode ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${ROUNDS} × ${OPS_PER_ROUND} lookups per side\n`);
    console.log(`${'operation'.padEnd(48)}${'ops'.padStart(8)}${'ops/s'.padStart(10)}${'p50 µs'.padStart(10)}${'p99 µs'.padStart(10)}`);
    for (const [name, s] of rows) {
      console.log(`${name.padEnd(48)}${String(s.ops).padStart(8)}${Math.round(s.opsPerSec).toString().padStart(10)}${s.p50us.toFixed(1).padStart(10)}${s.p99us.toFixed(1).padStart(10)}`);
    }
    const b = base.summary();
    const r = resolve.summary();
    console.log(
      `\nratio channelForApiKey / baseline: throughput ${(r.opsPerSec / b.opsPerSec).toFixed(2)}× (above 1: faster), ` +
        `p50 ${(r.p50us / b.p50us).toFixed(2)}×, p99 ${(r.p99us / b.p99us).toFixed(2)}× (below 1: faster)`,
    );
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
