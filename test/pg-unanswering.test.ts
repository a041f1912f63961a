// A PostgreSQL server that accepts connections and never answers (stopped, or behind a dead
// proxy) must fail queries with an error, not hang them: the pool has a connect timeout (10 s)
// and a query timeout (60 s). No real PostgreSQL is needed: a local socket that says nothing.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
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

it('GET /ready answers 503 within about 2 s while GET /health (liveness) still answers 200', async () => {
  const url = `postgres://postgres@127.0.0.1:${port}/nowhere`;
  const db = openDb(url);
  const app = await buildApp({ config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }), db, clock: systemClock });
  try {
    const started = Date.now();
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', error: 'the database did not answer within 2 s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  } finally {
    await app.close();
    await db.close();
  }
}, 20_000);
