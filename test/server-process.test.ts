// `openwaba start` as a process: first-start demo tenant, /health, quiet later starts, and a
// graceful SIGTERM that lets a request in flight finish and answers one sent on an open connection.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { Http } from './helpers/app.ts';
import { RawConnection } from './helpers/raw-http.ts';
import { killAll, startServerProcess, type ServerProcess } from './helpers/processes.ts';
import { sleep } from './helpers/wait.ts';
import { ConfigError, displayHost, loadConfig } from '../src/config.ts';
import { startServer } from '../src/server.ts';

afterAll(() => killAll());

/** Runs a shell command line as a user would paste it (bounded by a timeout). */
function sh(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', line], { timeout: 10_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Resolves 'connected' or the connection error's code. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(3000, () => (s.destroy(), resolve('timeout')));
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

/** A value printed on a line of the demo block, e.g. field(out, 'password'). */
function field(out: string, label: string): string {
  const m = new RegExp(`^\\s+${label}\\s+(\\S+)`, 'm').exec(out);
  if (!m) throw new Error(`no "${label}" in:\n${out}`);
  return m[1]!;
}

it('defaults: port 8082 on 127.0.0.1, SQLite under ./data, LOG_LEVEL info', () => {
  expect(loadConfig({})).toMatchObject({ port: 8082, host: '127.0.0.1', databaseUrl: 'sqlite:./data/openwaba.db', logLevel: 'info', adminToken: undefined });
  expect(loadConfig({ PORT: '9000', HOST: '0.0.0.0', DATABASE_URL: 'postgres://u@db/x', LOG_LEVEL: 'debug' })).toMatchObject({
    port: 9000,
    host: '0.0.0.0',
    databaseUrl: 'postgres://u@db/x',
    logLevel: 'debug',
  });
});

it('OPENWABA_DEMO and OPENWABA_DISPATCHER take true/false/1/0 (any case); anything else is a ConfigError naming the variable', () => {
  expect(loadConfig({})).toMatchObject({ demo: true, dispatcher: true });
  for (const [raw, value] of [['true', true], ['TRUE', true], ['1', true], ['false', false], ['False', false], ['0', false], ['', true]] as const) {
    expect(loadConfig({ OPENWABA_DEMO: raw, OPENWABA_DISPATCHER: raw }), raw).toMatchObject({ demo: value, dispatcher: value });
  }
  for (const raw of ['no', 'off', 'yes', 'flase', '2', ' true']) {
    expect(() => loadConfig({ OPENWABA_DEMO: raw }), raw).toThrow(ConfigError);
    expect(() => loadConfig({ OPENWABA_DISPATCHER: raw }), raw).toThrow(`OPENWABA_DISPATCHER must be true, false, 1 or 0, got "${raw}"`);
  }
});

it('HOST=::1 (or any IPv6 address) starts: the derived public URL and the printed URL bracket it', async () => {
  expect(displayHost('::1')).toBe('[::1]');
  expect(displayHost('0.0.0.0')).toBe('localhost');
  expect(displayHost('::')).toBe('localhost');
  expect(displayHost('127.0.0.1')).toBe('127.0.0.1');
  expect(displayHost('example.test')).toBe('example.test');
  expect(loadConfig({ HOST: '::1' }).publicUrl).toBe('http://[::1]:8082');
  expect(loadConfig({ HOST: '::', PORT: '9000' }).publicUrl).toBe('http://localhost:9000');

  const database = await createTestDatabase('sqlite');
  const server = await startServer(loadConfig({ HOST: '::1', PORT: '0', DATABASE_URL: database.url, OPENWABA_DEMO: 'false', LOG_LEVEL: 'silent' }));
  try {
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect(server.deps.config.publicUrl).toBe(server.url);
    expect((await new Http(server.url).get('/health')).body).toEqual({ status: 'ok' });
  } finally {
    await server.stop();
    await database.drop();
  }
});

describeEachDb('openwaba start', (kind) => {
  let database: TestDatabase;
  let first: ServerProcess;
  let second: ServerProcess | undefined;
  let http: Http;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    first = await startServerProcess({ DATABASE_URL: database.url });
    http = new Http(first.url);
  });
  afterAll(async () => {
    first?.kill();
    second?.kill();
    await database?.drop();
  });

  it('prints where it listens, on the port it really got (PORT=0)', async () => {
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.url).not.toMatch(/:0$/);
    expect(first.stdout()).toContain(`openwaba listening on ${first.url}  (API docs: ${first.url}/docs)`);
  });

  it('GET /health answers 200 {"status":"ok"}', async () => {
    const res = await http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('the first start prints the demo tenant, and its curl line works when pasted', async () => {
    const out = first.stdout();
    expect(out).toContain('first start, demo tenant created');
    expect(field(out, 'partner_id')).toMatch(/PA$/);
    expect(field(out, 'client_id')).toMatch(/CL$/);
    expect(field(out, 'channel_id')).toMatch(/CH$/);
    expect(field(out, 'waba_account_id')).toMatch(/WA$/);
    expect(field(out, 'hub user')).toContain('@');
    expect(field(out, 'password').length).toBeGreaterThanOrEqual(12);
    expect(field(out, 'channel API key').length).toBeGreaterThanOrEqual(32);
    const curlLine = /^\s+(curl .+)$/m.exec(out)?.[1];
    expect(curlLine).toBeDefined();
    expect(curlLine).toContain(first.url);
    const run = await sh(curlLine!);
    expect(run.code, run.stderr).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(JSON.stringify(body)).toContain(field(out, 'channel_id'));
  });

  it("the demo hub user's password and the channel key's address are real", async () => {
    const out = first.stdout();
    const pid = field(out, 'partner_id');
    const token = await http.post('/api/v2/token', { json: { username: field(out, 'hub user'), password: field(out, 'password') } });
    expect(token.status).toBe(200);
    // A new channel key names the address the server really listens on.
    const key = await http.post(`/api/v2/partners/${pid}/channels/${field(out, 'channel_id')}/api_keys`, {
      headers: { authorization: `Bearer ${token.body.access_token}` },
    });
    expect(key.status).toBe(201);
    expect(key.body.address).toBe(first.url);
  });

  it('SIGTERM: a request in flight completes, new connections are refused, a request on an open keep-alive connection is served, exit code 0', async () => {
    const out = first.stdout();
    const port = Number(new URL(first.url).port);
    // A client between requests on a keep-alive connection.
    const idle = await RawConnection.open(port);
    idle.send('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect((await idle.response()).headers['connection']).toBe('keep-alive');
    const body = JSON.stringify({ username: field(out, 'hub user'), password: field(out, 'password') });
    // A slow upload: headers and part of the body now, the rest after SIGTERM.
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    let response = '';
    sock.on('data', (d) => (response += d));
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.write(`POST /api/v2/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    sock.write(body.slice(0, 10));
    await sleep(200);
    expect(response).toBe('');

    first.child.kill('SIGTERM');
    // Stops accepting: wait (bounded) until a new connection is refused.
    let refused = '';
    for (let i = 0; i < 50 && refused !== 'ECONNREFUSED'; i++) {
      refused = await tryConnect(port);
      if (refused !== 'ECONNREFUSED') await sleep(100);
    }
    expect(refused).toBe('ECONNREFUSED');
    expect(first.child.exitCode).toBe(null); // still finishing the request in flight

    // Sent after the signal on the connection already open: answered, not reset.
    idle.send('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const late = await idle.response();
    expect(late.status).toBe(200);
    expect(late.headers['connection']).toBe('close');
    expect(await idle.closedWithin(2_000)).toBe(true);

    sock.write(body.slice(10));
    await Promise.race([closed, sleep(10_000)]);
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response.toLowerCase()).toContain('connection: close');
    expect(response).toContain('"access_token"');
    expect(await first.exited()).toBe(0);
    expect(first.stderr()).toBe('');
  });

  it('a later start on the same database prints only where it listens', async () => {
    second = await startServerProcess({ DATABASE_URL: database.url });
    const firstOut = first.stdout();
    const out = second.stdout();
    expect(out.trim()).toBe(`openwaba listening on ${second.url}  (API docs: ${second.url}/docs)`);
    for (const secret of [field(firstOut, 'password'), field(firstOut, 'partner API key'), field(firstOut, 'channel API key')]) {
      expect(out).not.toContain(secret);
    }
    // The demo tenant from the first start is still there.
    const pid = field(firstOut, 'partner_id');
    const res = await new Http(second.url).get(`/api/v2/partners/${pid}`, { headers: { 'x-api-key': field(firstOut, 'partner API key') } });
    expect(res.status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
  });
});
