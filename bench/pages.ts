// Benchmark: the server-rendered pages (Partner Hub, Integrated Onboarding) on a warm server,
// against a baseline measured in the same run on the same server: GET /health, the cheapest
// route it has (no database, no template). The target (issue 5): every page under 100 ms.
//
//   npm run bench:pages                      # 200 sequential requests per page after 20 warm-up ones
//   BENCH_REQUESTS=1000 npm run bench:pages
//
// The server is the real one (startServer: app, dispatcher, job scheduler) on SQLite in a child
// process, so the client's own work does not share its event loop; the tenant is seeded with a
// few hundred clients, channels, messages and webhook events, so that lists and usage have rows
// to show. Time is the client's: request sent → last byte of the page received (the web tests'
// HubClient, which keeps the Hub's session cookie).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/server.ts';
import { bootstrapTenant, type BootstrapResult } from '../src/services/bootstrap.ts';
import { createClient } from '../src/services/clients.ts';
import { enqueueEvent } from '../src/webhooks/outbox.ts';
import { HubClient } from '../test/web/hub-client.ts';

const SELF = fileURLToPath(import.meta.url);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const WARMUP = 20;
const TARGET_MS = 100;

/** The child: the server, a seeded tenant, and its credentials sent to the parent. */
async function serve(): Promise<void> {
  const server = await startServer(loadConfig({ ...process.env, PORT: '0', OPENWABA_DEMO: 'false', LOG_LEVEL: 'warn' }));
  const deps = server.deps;
  const tenant = await bootstrapTenant(deps, { brandName: 'Bench partner' });
  // Integrated Onboarding sends the client back here when done (the entry page refuses without it).
  await deps.db.kysely.updateTable('partners').set({ partner_redirect_url: 'https://partner.example/connected' }).where('id', '=', tenant.partner_id).execute();
  for (let i = 0; i < 300; i++) await createClient(deps, tenant.partner_id, { name: `Bench client ${i}` });
  for (let i = 0; i < 300; i++) {
    await enqueueEvent(deps, deps.db.kysely, { partnerId: tenant.partner_id, targetType: 'partner', targetId: tenant.partner_id, eventType: 'client_created', body: `{"i":${i}}` });
  }
  process.send!({ url: server.url, tenant });
  process.on('message', (m) => {
    if (m === 'stop') void server.stop().then(() => process.exit(0));
  });
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-bench-pages-'));
  const child = fork(SELF, ['--serve'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: `sqlite:${path.join(dir, 'bench.db')}`, OPENWABA_DATA_DIR: dir },
  });
  try {
    const { url, tenant } = await new Promise<{ url: string; tenant: BootstrapResult }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { url: string; tenant: BootstrapResult }));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    // Logged in to the Hub with its form and cookie, as a browser is (the web tests' client).
    const hub = new HubClient(url);
    const login = await hub.login(tenant.username, tenant.password);
    if (login.status !== 303 || !hub.cookie) throw new Error(`Hub login failed: HTTP ${login.status}`);

    const base = `/hub/partner/${tenant.partner_id}`;
    const pages: [string, string][] = [
      ['baseline: GET /health', '/health'],
      ['Hub: partner integration', base],
      ['Hub: API keys', `${base}/api-keys`],
      ['Hub: clients (301 rows, page 1)', `${base}/clients`],
      ['Hub: channels', `${base}/channels`],
      ['Hub: channel', `${base}/channels/${tenant.channel_id}`],
      ['Hub: webhook deliveries (300 events)', `${base}/webhooks`],
      ['Hub: usage', `${base}/usage`],
      ['Onboarding: entry', `/dashboard/app/${tenant.partner_id}`],
      ['Sandbox phone: key form', '/sandbox/phone'],
    ];
    const rows: { name: string; p50: number; p99: number; max: number }[] = [];
    for (const [name, p] of pages) {
      for (let i = 0; i < WARMUP; i++) await hub.get(p);
      const times: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const r = await hub.get(p);
        if (r.status !== 200) throw new Error(`${p}: HTTP ${r.status}${r.location ? ` → ${r.location}` : ''}`);
        times.push(r.ms);
      }
      times.sort((a, b) => a - b);
      rows.push({ name, p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times[times.length - 1]! });
    }
    const baseline = rows[0]!;
    console.log(`\nnode ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, SQLite; ${REQUESTS} sequential requests per page after ${WARMUP} warm-up ones\n`);
    console.log(`${'page'.padEnd(40)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}${'p50 / baseline'.padStart(16)}`);
    for (const r of rows) {
      console.log(`${r.name.padEnd(40)}${r.p50.toFixed(2).padStart(9)}${r.p99.toFixed(2).padStart(9)}${r.max.toFixed(1).padStart(9)}${(r.p50 / baseline.p50).toFixed(1).padStart(16)}`);
    }
    const worst = Math.max(...rows.slice(1).map((r) => r.p99));
    console.log(`\nworst page p99 ${worst.toFixed(1)} ms (target: every page under ${TARGET_MS} ms: ${worst < TARGET_MS ? 'met' : 'MISSED'})`);
  } finally {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
