// A PostgreSQL server that accepts connections and never answers (stopped, or behind a dead
// proxy) must fail queries with an error, not hang them: the pool has a connect timeout (10 s)
// and a query timeout (60 s). No real PostgreSQL is needed: a local socket that says nothing.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDb } from '../src/db/index.ts';

let server: net.Server;
const sockets = new Set<net.Socket>();
let port = 0;

beforeAll(async () => {
  server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

it('a query against a server that never answers fails within the connect timeout', async () => {
  const db = openDb(`postgres://postgres@127.0.0.1:${port}/nowhere`);
  const started = Date.now();
  try {
    await expect(db.kysely.selectFrom('partners').select('id').execute()).rejects.toThrow(/timeout/i);
    expect(Date.now() - started).toBeLessThan(15_000);
  } finally {
    await db.close();
  }
}, 20_000);
