// Benchmark: what openwaba adds in front of Meta. POST /messages (text) on channels attached to
// Meta's Cloud API, against a stand-in Graph API (a bare Fastify server answering sends as Meta
// does, in its own process), compared with the same sends posted to that stand-in directly: the
// baseline is what a client talking to Meta itself would get from the same stand-in.
//
//   npm run bench:meta-send                          # 32 connections, 10 s per target
//   BENCH_ROUNDS=3 BENCH_CHANNELS=50 npm run bench:meta-send
//   BENCH_CPU_PROFILE=/tmp/prof npm run bench:meta-send   # node --cpu-prof on the openwaba child
//
// openwaba's work per send: the key, validation, limits, the sealed token opened, the request to
// the Graph API (its own undici agent), the answer parsed, the message stored under Meta's wamid,
// the answer to the client. Printed: req/s, p50/p99, the added latency (p50 openwaba − p50 direct),
// the ratio openwaba/direct, and the check that every 2xx wamid is stored. No target is set for it;
// the figures go to the README.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { openDb } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Deps } from '../src/deps.ts';
import { attachMetaChannel } from '../src/network/meta/channels.ts';
import { startServer } from '../src/server.ts';
import { createChannelApiKey } from '../src/services/channel-api-keys.ts';
import { createChannel } from '../src/services/channels.ts';
import { createClient } from '../src/services/clients.ts';
import { createPartner } from '../src/services/partners.ts';
import { autocannon, Child, onStop, type AcRequest } from './children.ts';

const SELF = fileURLToPath(import.meta.url);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 50);
const VERSION = 'v23.0';
const TOKEN = 'EAAGbench' + 'x'.repeat(120);

/** The stand-in Graph API: a send answered as Meta answers it, with a fresh wamid. */
async function graphChild(): Promise<void> {
  const app = Fastify({ logger: false });
  app.post('/:version/:pnid/messages', async (request) => {
    const to = (request.body as { to?: string }).to ?? '';
    return { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: `wamid.HBgL${randomBytes(24).toString('base64url')}`, message_status: 'accepted' }] };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  process.send!({ port: typeof addr === 'object' && addr ? addr.port : 0 });
  onStop(() => app.close());
}

async function serverChild(): Promise<void> {
  const server = await startServer(loadConfig(process.env));
  process.send!({ port: Number(new URL(server.url).port) });
  onStop(() => server.stop());
}

let seq = 0;
/** Text sends over the channels; through openwaba (keys) or directly to the stand-in (phone number ids). */
function requests(direct: boolean, channels: { key: string; pnid: string }[], ids: string[]): AcRequest[] {
  return [
    {
      method: 'POST',
      path: '/messages',
      headers: { 'content-type': 'application/json' },
      setupRequest(req) {
        const n = seq++;
        const ch = channels[n % channels.length]!;
        req.path = direct ? `/${VERSION}/${ch.pnid}/messages` : '/messages';
        req.headers = { ...req.headers, ...(direct ? { authorization: `Bearer ${TOKEN}` } : { 'D360-API-KEY': ch.key }) };
        req.body = JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: `4917${String(n).padStart(9, '0')}`, type: 'text', text: { body: `Hello ${n}` } });
        return req;
      },
      onResponse(status, body) {
        if (status < 200 || status >= 300) return;
        const id = (JSON.parse(body) as { messages?: { id: string }[] }).messages?.[0]?.id;
        if (id && !direct) ids.push(id);
      },
    },
  ];
}

interface Run {
  reqPerSec: number;
  p50: number;
  p99: number;
  failed: number;
}

async function load(url: string, reqs: AcRequest[], seconds: number): Promise<Run> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds, requests: reqs });
  return { reqPerSec: r['2xx'] / r.duration, p50: r.latency.p50, p99: r.latency.p99, failed: r.non2xx + r.errors + r.timeouts + r.resets };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-bench-meta-'));
  const graph = await Child.start(SELF, 'graph', process.env);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `sqlite:${path.join(dir, 'bench.db')}`,
    HOST: '127.0.0.1',
    PORT: '0',
    OPENWABA_DEMO: 'false',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    OPENWABA_DATA_DIR: dir,
    OPENWABA_SECRET_KEY: randomBytes(32).toString('hex'),
    OPENWABA_META_GRAPH_URL: graph.url,
    OPENWABA_META_GRAPH_VERSION: VERSION,
    // The stand-in answers every channel: the per-channel limit is not what is measured.
    OPENWABA_DEFAULT_THROUGHPUT_MPS: '1000',
  };
  const db = openDb(env.DATABASE_URL!);
  const deps: Deps = { config: loadConfig(env), db, clock: systemClock };
  await migrateToLatest(db);
  const channels: { key: string; pnid: string }[] = [];
  await db.kysely.transaction().execute(async (tx) => {
    const partner = await createPartner(deps, { brand_name: 'Bench partner' }, tx);
    const client = await createClient(deps, partner.id, { name: 'Bench client', max_channels: CHANNELS }, undefined, tx);
    for (let i = 0; i < CHANNELS; i++) {
      const channel = await createChannel(deps, { partnerId: partner.id, clientId: client.id, phoneNumber: `49151${String(i).padStart(8, '0')}`, phoneName: `Bench ${i}` }, undefined, tx);
      const pnid = String(106540352000000 + i);
      await attachMetaChannel(deps, channel.id, { phoneNumberId: pnid, wabaId: '102290129340398', accessToken: TOKEN }, tx);
      channels.push({ key: (await createChannelApiKey(deps, channel, tx)).api_key, pnid });
    }
  });
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  const server = await Child.start(SELF, 'server', env, profile);
  const ids: string[] = [];
  const rows: [number, string, Run, number?][] = [];
  try {
    await load(graph.url, requests(true, channels, ids), WARMUP_SECONDS);
    await load(server.url, requests(false, channels, ids), WARMUP_SECONDS);
    for (let round = 0; round < ROUNDS; round++) {
      const direct = await load(graph.url, requests(true, channels, ids), SECONDS);
      const through = await load(server.url, requests(false, channels, ids), SECONDS);
      rows.push([round, 'direct to the stand-in Graph', direct]);
      rows.push([round, 'through openwaba', through, through.reqPerSec / direct.reqPerSec]);
    }
    await new Promise((r) => setTimeout(r, 500));
    const stored = new Set((await db.kysely.selectFrom('messages').select('id').where('direction', '=', 'outbound').execute()).map((m) => m.id));
    const missing = ids.filter((id) => !stored.has(id)).length;
    const cpu = os.cpus();
    console.log(`\nnode ${process.version}, ${cpu[0]?.model ?? 'cpu'} × ${cpu.length}, SQLite; ${CONNECTIONS} connections, ${SECONDS} s per run, ${CHANNELS} channels on the stand-in Graph API\n`);
    console.log(`${'round  target'.padEnd(40)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'failed'.padStart(8)}  ratio`);
    for (const [round, name, r, ratio] of rows) {
      console.log(`${`${round + 1}      ${name}`.padEnd(40)}${Math.round(r.reqPerSec).toString().padStart(9)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${String(r.failed).padStart(8)}  ${ratio === undefined ? '' : ratio.toFixed(2)}`);
    }
    console.log(`\nchecks: ${ids.length} sends answered 2xx through openwaba (warm-up included), ${missing} of them not stored under Meta's wamid`);
    process.exitCode = missing === 0 && rows.every(([, , r]) => r.failed === 0) ? 0 : 1;
  } finally {
    await server.stop();
    await graph.stop();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
if (role === 'graph') await graphChild();
else if (role === 'server') await serverChild();
else await main();
