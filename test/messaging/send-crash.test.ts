// "Nothing accepted is ever lost" for the send path: real `openwaba start` processes take
// concurrent template sends over several sandbox channels and are killed with SIGKILL mid-load,
// while statuses are still to come. After a restart on the same database (or, on PostgreSQL, with
// a second instance that keeps running), every wamid answered 200 before the kill is stored,
// reaches `read`, and its channel's webhook receives the Cloud status webhooks `sent`,
// `delivered` and `read` (a repeat carries the same body); no status plan is left behind.
import type http from 'node:http';
import { Agent, request } from 'undici';
import { afterAll, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { openDb, type Db } from '../../src/db/index.ts';
import { bootstrapTenant } from '../../src/services/bootstrap.ts';
import { createTestDatabase, describeEachDb, type DbKind, type TestDatabase } from '../helpers/db.ts';
import { LocalServer } from '../helpers/local-server.ts';
import { killAll, startServerProcess, type ServerProcess } from '../helpers/processes.ts';
import { waitUntil } from '../helpers/wait.ts';

afterAll(() => killAll());

const CHANNELS = 4;
const LOAD_CONCURRENCY = 16;
/** Sends answered 200 before the kill, at least. */
const KILL_AFTER_ACCEPTED = 400;
/** …and at least this many of them read at the receiver: the kill finds messages in every state. */
const KILL_AFTER_READ = 100;
const MAX_SENDS = 5_000;
const STATUSES = ['sent', 'delivered', 'read'] as const;

function serverEnv(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    OPENWABA_DEMO: 'false',
    OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=300ms,delivered=600ms,read=900ms',
    // The channels' limit never binds here (distinct recipients: the pair limit neither).
    OPENWABA_DEFAULT_THROUGHPUT_MPS: '1000',
    OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,200ms,500ms,1s',
    OPENWABA_WEBHOOK_TIMEOUT: '1s',
    // A claim held by a killed server is taken over 2 s after it was made.
    OPENWABA_WEBHOOK_LEASE: '2s',
  };
}

interface StatusArrival {
  wamid: string;
  status: string;
  timestamp: string;
  /** The whole webhook body, as posted. */
  body: string;
  /** The channel the webhook was posted for (the receiver path /ch/<n>). */
  channel: number;
  seq: number;
}

/** A channel webhook receiver: answers 200 at once and records every Cloud status it is told. */
class StatusReceiver extends LocalServer {
  readonly arrivals: StatusArrival[] = [];
  readonly other: string[] = [];
  /** wamid → status → first arrival. */
  readonly seen = new Map<string, Map<string, StatusArrival>>();
  private seq = 0;

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const channel = Number(/^\/ch\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1);
      try {
        const parsed = JSON.parse(body) as { object?: string; entry?: { changes?: { field?: string; value?: { statuses?: { id: string; status: string; timestamp: string }[] } }[] }[] };
        const statuses = parsed.object === 'whatsapp_business_account' ? (parsed.entry ?? []).flatMap((e) => (e.changes ?? []).flatMap((c) => c.value?.statuses ?? [])) : [];
        if (statuses.length === 0) this.other.push(body);
        for (const s of statuses) {
          const a: StatusArrival = { wamid: s.id, status: s.status, timestamp: s.timestamp, body, channel, seq: this.seq++ };
          this.arrivals.push(a);
          let per = this.seen.get(s.id);
          if (!per) this.seen.set(s.id, (per = new Map()));
          if (!per.has(s.status)) per.set(s.status, a);
        }
      } catch {
        this.other.push(body);
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
      this.arrived();
    });
  }

  /** How many of `wamids` have had every one of sent, delivered and read. */
  complete(wamids: Iterable<string>): number {
    let n = 0;
    for (const w of wamids) {
      const per = this.seen.get(w);
      if (per && STATUSES.every((s) => per.has(s))) n++;
    }
    return n;
  }

  waitForComplete(wamids: string[], timeoutMs: number): Promise<void> {
    return this.waitForCount(() => this.complete(wamids), wamids.length, timeoutMs, () => `receiver: ${this.complete(wamids)}/${wamids.length} wamids with sent, delivered and read after ${timeoutMs} ms`);
  }
}

interface Channel {
  key: string;
  id: string;
}

interface Accepted {
  wamid: string;
  channel: number;
  to: string;
  /** Index of the server (in `servers`) that answered. */
  server: number;
}

describeEachDb('sends across a crash', (kind) => {
  it('loses no accepted send or status when the server is killed mid-load and restarted', { timeout: 120_000 }, () => crashRun(kind, 'restart'));

  if (kind === 'postgres') {
    it('a second instance on the same database finishes the killed one\'s statuses and webhooks', { timeout: 120_000 }, () => crashRun(kind, 'survivor'));
  }
});

/**
 * restart: one server takes the load, is killed, and a new one starts on the same database.
 * survivor: two servers share the load, the first is killed, and the second (which never stops)
 * must finish what the killed one accepted; no restart.
 */
async function crashRun(kind: DbKind, mode: 'restart' | 'survivor'): Promise<void> {
  const t0 = Date.now();
  let database: TestDatabase | undefined;
  let db: Db | undefined;
  const receiver = await new StatusReceiver().start();
  const agent = new Agent({ connections: LOAD_CONCURRENCY, keepAliveTimeout: 10_000 });
  const servers: ServerProcess[] = [];
  try {
    database = await createTestDatabase(kind);
    const env = serverEnv(database.url);
    servers.push(await startServerProcess(env));
    if (mode === 'survivor') servers.push(await startServerProcess(env));

    // Tenants (each with a sandbox channel and its key), made while the server runs, as
    // `openwaba bootstrap` does (in this process: four more node processes cost seconds on a busy machine).
    db = openDb(database.url, { poolSize: 2 });
    const deps = { config: loadConfig(env), db, clock: systemClock };
    const channels: Channel[] = [];
    for (let i = 0; i < CHANNELS; i++) {
      const t = await bootstrapTenant(deps);
      channels.push({ key: t.channel_api_key, id: t.channel_id });
    }
    for (const [i, ch] of channels.entries()) {
      const res = await request(`${servers[0]!.url}/configs/webhook`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'D360-API-KEY': ch.key, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${receiver.url}/ch/${i}` }),
      });
      expect(res.statusCode, await res.body.text()).toBe(200);
    }

    // Load: template sends from several workers, each to its own recipient, over the channels
    // (and, with two servers, alternately to each), until the kill.
    const accepted: Accepted[] = [];
    const rejected: string[] = [];
    let cut = 0;
    let killed = false;
    let next = 0;
    const victim = servers[0]!;
    const worker = async () => {
      while (!killed && next < MAX_SENDS) {
        const i = next++;
        const channel = i % CHANNELS;
        const server = servers.length === 1 ? 0 : Math.floor(i / CHANNELS) % servers.length;
        const to = `4916${String(i).padStart(8, '0')}`;
        try {
          const res = await request(`${servers[server]!.url}/messages`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'D360-API-KEY': channels[channel]!.key, 'content-type': 'application/json' },
            body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } }),
          });
          const text = await res.body.text();
          if (res.statusCode === 200) accepted.push({ wamid: (JSON.parse(text) as { messages: { id: string }[] }).messages[0]!.id, channel, to, server });
          else rejected.push(`${res.statusCode} ${text}`);
        } catch {
          // No answer: the server died under this request. It was not accepted (it may or may not be stored).
          cut++;
        }
      }
    };
    const load = Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));

    const victimAccepted = () => accepted.filter((a) => a.server === 0).length;
    const readSoFar = () => {
      let n = 0;
      for (const p of receiver.seen.values()) if (p.has('read')) n++;
      return n;
    };
    await waitUntil('enough sends accepted, some read', () => victimAccepted() >= KILL_AFTER_ACCEPTED && readSoFar() >= KILL_AFTER_READ, { timeoutMs: 30_000, everyMs: 5 });
    victim.kill();
    killed = true;
    // How far each acknowledged message had got at the receiver: [none, 1 or 2 statuses, all 3].
    const atKill = [0, 0, 0];
    for (const a of accepted) {
      const n = receiver.seen.get(a.wamid)?.size ?? 0;
      atKill[n === 0 ? 0 : n < STATUSES.length ? 1 : 2]!++;
    }
    await victim.exited();
    await load;
    expect(rejected, 'sends answered with an error before the kill').toEqual([]);

    // The killed server's acknowledged sends are all stored, and some of their statuses were still to come.
    const ackedByVictim = accepted.filter((a) => a.server === 0);
    const wamids = accepted.map((a) => a.wamid);
    const stored = new Map<string, { id: string; channel_id: string; wa_id: string }>();
    for (let i = 0; i < wamids.length; i += 500) {
      for (const r of await db.kysely.selectFrom('messages').select(['id', 'channel_id', 'wa_id']).where('id', 'in', wamids.slice(i, i + 500)).execute()) stored.set(r.id, r);
    }
    expect(wamids.filter((w) => !stored.has(w)), 'wamids answered 200 but not stored').toEqual([]);
    for (const a of accepted) expect(stored.get(a.wamid)).toMatchObject({ channel_id: channels[a.channel]!.id, wa_id: a.to });
    const pendingAtKill = ackedByVictim.filter((a) => receiver.seen.get(a.wamid)?.has('read') !== true).length;
    expect(pendingAtKill, "the kill came while some of the killed server's statuses were still to come").toBeGreaterThan(0);
    // In the database: status steps not yet taken, and channel events not yet delivered (with two
    // servers the survivor is already at work on them).
    const plansAtKill = Number((await db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('status_plan', 'is not', null).executeTakeFirstOrThrow()).n);
    const undeliveredAtKill = Number((await db.kysely.selectFrom('webhook_events').select((eb) => eb.fn.countAll<number>().as('n')).where('target_type', '=', 'channel').where('status', '!=', 'delivered').executeTakeFirstOrThrow()).n);
    if (mode === 'restart') expect(plansAtKill, 'status plans left by the killed server').toBeGreaterThan(0);

    // restart: a new server on the same database; survivor: the other instance carries on alone.
    const recoverAt = Date.now();
    if (mode === 'restart') servers.push(await startServerProcess(env));
    await receiver.waitForComplete(wamids, 25_000);
    await waitUntil(
      'every status reached, no plan left, every channel event delivered',
      async () => {
        const plans = await db!.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where((eb) => eb.or([eb('status_plan', 'is not', null), eb('status_due_at', 'is not', null)])).executeTakeFirstOrThrow();
        const open = await db!.kysely.selectFrom('webhook_events').select((eb) => eb.fn.countAll<number>().as('n')).where('target_type', '=', 'channel').where('status', '!=', 'delivered').executeTakeFirstOrThrow();
        return Number(plans.n) === 0 && Number(open.n) === 0;
      },
      { timeoutMs: 15_000, everyMs: 50 },
    );
    const recovered = Date.now() - recoverAt;

    // Every accepted message is read in the database, its times in forward order.
    const rows = new Map<string, { status: string; sent_at: string | null; delivered_at: string | null; read_at: string | null }>();
    for (let i = 0; i < wamids.length; i += 500) {
      for (const r of await db.kysely.selectFrom('messages').select(['id', 'status', 'sent_at', 'delivered_at', 'read_at']).where('id', 'in', wamids.slice(i, i + 500)).execute()) rows.set(r.id, r);
    }
    const notRead = wamids.filter((w) => rows.get(w)?.status !== 'read');
    expect(notRead, 'accepted messages that never reached read').toEqual([]);
    for (const w of wamids) {
      const r = rows.get(w)!;
      expect(r.sent_at! <= r.delivered_at! && r.delivered_at! <= r.read_at!, `${w}: ${r.sent_at} ${r.delivered_at} ${r.read_at}`).toBe(true);
    }
    // Unanswered sends that were stored nonetheless are carried out too (checked above: no plan left).
    const plansLeft = await db.kysely.selectFrom('messages').select('id').where('status_plan', 'is not', null).execute();
    expect(plansLeft).toEqual([]);

    // The outbox holds exactly one event per status of each accepted message: no step was taken twice.
    const events = await db.kysely.selectFrom('webhook_events').select(['body', 'target_id']).where('target_type', '=', 'channel').where('event_type', '=', 'status').execute();
    const eventBody = new Map<string, string>();
    const wamidSet = new Set(wamids);
    const acceptedBy = new Map(accepted.map((a) => [a.wamid, a]));
    for (const e of events) {
      const s = (JSON.parse(e.body) as { entry: { changes: { value: { statuses: { id: string; status: string }[] } }[] }[] }).entry[0]!.changes[0]!.value.statuses[0]!;
      if (!wamidSet.has(s.id)) continue;
      const key = `${s.id} ${s.status}`;
      expect(eventBody.has(key), `a second ${s.status} event for ${s.id}`).toBe(false);
      eventBody.set(key, e.body);
    }
    expect(eventBody.size).toBe(wamids.length * STATUSES.length);

    // The receiver: sent, delivered and read for every accepted wamid, in its channel's webhook, with
    // forward timestamps; a repeat of a status carries the same body (the outbox event's).
    const missing: string[] = [];
    for (const a of accepted) {
      const per = receiver.seen.get(a.wamid);
      for (const s of STATUSES) if (!per?.has(s)) missing.push(`${a.wamid} ${s}`);
      const ts = STATUSES.map((s) => Number(per!.get(s)!.timestamp));
      expect(ts[0]! <= ts[1]! && ts[1]! <= ts[2]!, `${a.wamid} timestamps ${ts.join(' ')}`).toBe(true);
    }
    expect(missing, 'statuses never received').toEqual([]);
    let duplicates = 0;
    let outOfOrder = 0;
    for (const r of receiver.arrivals) {
      if (!wamidSet.has(r.wamid)) continue;
      const a = acceptedBy.get(r.wamid);
      expect(r.channel, `${r.wamid} posted to another channel's webhook`).toBe(a!.channel);
      expect(r.body, `body of ${r.wamid} ${r.status}`).toBe(eventBody.get(`${r.wamid} ${r.status}`));
      const first = receiver.seen.get(r.wamid)!.get(r.status)!;
      if (first !== r) duplicates++;
    }
    // Arrival order: webhooks are delivered concurrently (as Meta's are), so a message's statuses may
    // arrive out of order when several fall due at once (after the restart); the final state a
    // receiver keeps by timestamp is read. Counted for the log, not asserted.
    for (const w of wamids) {
      const per = receiver.seen.get(w)!;
      if (!(per.get('sent')!.seq < per.get('delivered')!.seq && per.get('delivered')!.seq < per.get('read')!.seq)) outOfOrder++;
    }
    expect(receiver.other, 'webhooks that carry no status').toEqual([]);

    console.log(
      `[${kind} ${mode}] ${accepted.length} sends accepted (${ackedByVictim.length} by the killed server), ${cut} cut by the kill; ` +
        `at the kill (receiver) ${atKill[0]} with no status, ${atKill[1]} partway, ${atKill[2]} complete, ${pendingAtKill} of the killed server's not read yet; in the database ${plansAtKill} plans, ${undeliveredAtKill} undelivered events; ` +
        `recovered in ${recovered} ms; ${receiver.arrivals.length} status webhooks, ${duplicates} repeats, ${outOfOrder} messages with statuses arriving out of order; ` +
        `total ${Date.now() - t0} ms`,
    );
  } finally {
    for (const s of servers) {
      s.kill();
      await s.exited().catch(() => {});
    }
    await agent.destroy().catch(() => {});
    await receiver.close();
    await db?.close();
    await database?.drop();
  }
}
