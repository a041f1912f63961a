// Stopping the server (what SIGTERM does) while clients hold keep-alive connections: a request
// sent on one just after the stop began is answered (served, with `Connection: close`), not
// reset, and the stop still ends in bounded time.
import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { RawConnection } from './helpers/raw-http.ts';
import { sleep } from './helpers/wait.ts';
import { loadConfig } from '../src/config.ts';
import { CLOSE_GRACE_MS, startServer, type RunningServer } from '../src/server.ts';
import { bootstrapTenant, type BootstrapResult } from '../src/services/bootstrap.ts';

let database: TestDatabase | undefined;
let server: RunningServer | undefined;
const open: RawConnection[] = [];

async function start(): Promise<{ port: number; tenant: BootstrapResult }> {
  database = await createTestDatabase('sqlite');
  server = await startServer(loadConfig({ PORT: '0', DATABASE_URL: database.url, OPENWABA_DEMO: 'false', OPENWABA_DISPATCHER: 'false', LOG_LEVEL: 'silent' }));
  return { port: Number(new URL(server.url).port), tenant: await bootstrapTenant(server.deps) };
}

afterEach(async () => {
  for (const c of open.splice(0)) c.destroy();
  await server?.stop();
  await database?.drop();
  server = undefined;
  database = undefined;
});

/** A connection that has had one request answered and is now idle, kept alive. */
async function idleKeepAlive(port: number): Promise<RawConnection> {
  const conn = await RawConnection.open(port);
  open.push(conn);
  conn.send('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const res = await conn.response();
  expect(res.status).toBe(200);
  expect(res.headers['connection']).toBe('keep-alive');
  return conn;
}

function sendMessage(tenant: BootstrapResult, text: string): string {
  const body = JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '4915112345678', type: 'text', text: { body: text } });
  return (
    `POST /messages HTTP/1.1\r\nHost: localhost\r\nD360-API-KEY: ${tenant.channel_api_key}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** stop(), and how long it took (ms). */
async function timedStop(s: RunningServer): Promise<number> {
  const started = performance.now();
  await s.stop();
  return performance.now() - started;
}

it('a message sent on an idle keep-alive connection just after the stop began is stored and answered, with Connection: close', async () => {
  const { port, tenant } = await start();
  const conn = await idleKeepAlive(port);

  const started = performance.now();
  const stopped = server!.stop();
  await sleep(100);
  conn.send(sendMessage(tenant, 'sent as the server stops'));
  const res = await conn.response();
  expect(res.status).toBe(200);
  expect(res.headers['connection']).toBe('close');
  expect(JSON.parse(res.body).messages[0].id).toMatch(/^wamid\./);
  expect(await conn.closedWithin(2_000)).toBe(true);
  expect(conn.error).toBeUndefined();

  await stopped;
  // The last connection closed after its answer: no need to wait out the grace.
  expect(performance.now() - started).toBeLessThan(CLOSE_GRACE_MS + 1_000);
});

it('while a request is still in flight, idle connections stay open past the grace, and what they send is served', async () => {
  const { port, tenant } = await start();
  const idle = await idleKeepAlive(port);
  // A slow upload: its headers now, the rest of its body later.
  const upload = await RawConnection.open(port);
  open.push(upload);
  const slow = sendMessage(tenant, 'a slow upload');
  upload.send(slow.slice(0, -10));
  await sleep(100);

  const started = performance.now();
  const stopped = server!.stop();
  await sleep(CLOSE_GRACE_MS + 300);
  expect(idle.closed).toBe(false);
  idle.send('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const res = await idle.response();
  expect(res.status).toBe(200);
  expect(res.headers['connection']).toBe('close');
  expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  expect(await idle.closedWithin(2_000)).toBe(true);

  upload.send(slow.slice(-10));
  const uploaded = await upload.response();
  expect(uploaded.status).toBe(200);
  expect(uploaded.headers['connection']).toBe('close');
  await stopped;
  expect(performance.now() - started).toBeLessThan(CLOSE_GRACE_MS + 2_000);
});

it('an idle connection that sends nothing is closed once the grace is over, and the stop ends then', async () => {
  const { port } = await start();
  const conn = await idleKeepAlive(port);
  const took = await timedStop(server!);
  expect(took).toBeGreaterThanOrEqual(CLOSE_GRACE_MS - 50);
  expect(took).toBeLessThan(CLOSE_GRACE_MS + 1_000);
  expect(await conn.closedWithin(1_000)).toBe(true);
  expect(conn.received).toBe('');
});

it('with no connection open, the stop does not wait for the grace', async () => {
  await start();
  expect(await timedStop(server!)).toBeLessThan(CLOSE_GRACE_MS / 2);
});
