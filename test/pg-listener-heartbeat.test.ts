// The change tracker's LISTEN connection proves by heartbeat that it still carries data. One that
// stopped without closing (a NAT or proxy dropping an idle flow, a partition: no error, no end)
// would otherwise keep `listening` true, other instances' writes unheard, and every kept row (a
// revoked key's principal, a terminated channel) honoured for its whole lifetime after each change.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDb } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createTestDatabase, dbKinds } from './helpers/db.ts';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/** A TCP proxy to PostgreSQL whose connections can be made to stop carrying data (without closing). */
async function startProxy(target: URL) {
  const pairs: Pair[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => {});
    upstream.on('error', () => {});
    pairs.push({ client, upstream });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    pairs,
    blackhole(p: Pair) {
      p.client.unpipe(p.upstream);
      p.upstream.unpipe(p.client);
      p.client.pause();
      p.upstream.pause();
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise((r) => server.close(r));
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(ms: number, ok: () => boolean): Promise<boolean> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) return false;
    await sleep(10);
  }
  return true;
}

if (dbKinds().includes('postgres')) {
  describe('the change tracker on a half-open LISTEN connection', () => {
    it("another instance's write to channel_api_keys is heard while the listener's socket is half-open", async () => {
      const database = await createTestDatabase('postgres');
      const migrator = openDb(database.url);
      await migrateToLatest(migrator);
      await migrator.close();

      const real = new URL(database.url);
      const proxy = await startProxy(real);
      const viaProxy = new URL(database.url);
      viaProxy.port = String(proxy.port);
      const db = openDb(viaProxy.toString());
      const raw = new pg.Client({ connectionString: database.url });
      await raw.connect();
      const tracker = db.changes!;
      const writeKeys = () => raw.query(`update channel_api_keys set revoked_at = revoked_at where false`);
      try {
        // The tracker's own LISTEN connection is the only one opened so far.
        expect(await until(5_000, () => !tracker.changedSince(['channel_api_keys'], tracker.mark()))).toBe(true);
        expect(proxy.pairs).toHaveLength(1);

        // Sanity: while the connection carries data, another writer is heard within milliseconds.
        let mark = tracker.mark();
        await writeKeys();
        expect(await until(1_000, () => tracker.changedSince(['channel_api_keys'], mark))).toBe(true);

        // The listener's flow stops carrying data; neither side closes it.
        proxy.blackhole(proxy.pairs[0]!);
        await sleep(100);
        mark = tracker.mark();
        // Kept rows are still usable: the tracker believes it is listening.
        expect(tracker.changedSince(['channel_api_keys'], mark)).toBe(false);
        // Another instance revokes a key (any write to the table).
        await writeKeys();
        // Within 2 s (the kept principal's lifetime is 5 s), this instance should know — or stop keeping.
        const heard = await until(2_000, () => tracker.changedSince(['channel_api_keys'], mark));
        expect(heard).toBe(true);
        // And it listens again on a new connection, keeping rows again.
        expect(await until(10_000, () => !tracker.changedSince(['channel_api_keys'], tracker.mark()))).toBe(true);
        expect(proxy.pairs.length).toBeGreaterThan(1);
      } finally {
        await raw.end();
        await proxy.close();
        await db.close();
        await database.drop();
      }
    });
  });
}
