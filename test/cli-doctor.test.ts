// `openwaba doctor` (src/cli/doctor.ts) as an operator runs it: real processes on a healthy SQLite
// installation with its server running, on PostgreSQL, on an unreachable PostgreSQL (a quick fail),
// and on a database a newer openwaba migrated (a fail); --json parses; no secret is printed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, runCli, startServerProcess, type ServerProcess } from './helpers/processes.ts';
import { createTestDatabase, pgAdminUrl, type TestDatabase } from './helpers/db.ts';

afterAll(() => killAll());

const SECRET_KEY = 'ab'.repeat(32);

describe('openwaba doctor (SQLite)', () => {
  let root: string;
  let env: Record<string, string>;
  let server: ServerProcess;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-doctor-'));
    env = { DATABASE_URL: `sqlite:${path.join(root, 'live', 'openwaba.db')}`, OPENWABA_DATA_DIR: path.join(root, 'live'), OPENWABA_DEMO: 'false', OPENWABA_SECRET_KEY: SECRET_KEY };
    server = await startServerProcess(env);
  });
  afterAll(() => {
    server?.kill();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a healthy installation: exit 0, every check ok, the running server named, no secret printed', async () => {
    const res = await runCli(['doctor'], env);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const file = path.join(root, 'live', 'openwaba.db');
    expect(res.stdout).toMatch(/^ok\s+config: loaded$/m);
    expect(res.stdout).toContain(`database: SQLite ${file}`);
    expect(res.stdout).toMatch(/^ok\s+database: SQLite .* answers$/m);
    expect(res.stdout).toMatch(/^ok\s+migrations: all \d+ applied \(latest \d{4}_\w+\)$/m);
    expect(res.stdout).toMatch(new RegExp(`^ok\\s+data-dir: ${path.join(root, 'live')} \\(writable\\)$`, 'm'));
    expect(res.stdout).toMatch(/^ok\s+sqlite-wal: /m);
    expect(res.stdout).toMatch(new RegExp(`^ok\\s+server: running: pid ${server.child.pid} on ${os.hostname()}`, 'm'));
    expect(res.stdout).toMatch(/^ok\s+webhook-url-policy: local/m);
    expect(res.stdout).toMatch(/^ok\s+secret-key: OPENWABA_SECRET_KEY is set/m);
    expect(res.stdout).toMatch(/^ok\s+public-url: http:\/\//m);
    expect(res.stdout).not.toContain(SECRET_KEY);
    // The data directory's probe file is gone again.
    expect(fs.readdirSync(path.join(root, 'live')).filter((f) => f.startsWith('.openwaba-doctor'))).toEqual([]);
  });

  it('--json prints an array of {check, status, detail}', async () => {
    const res = await runCli(['doctor', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { check: string; status: string; detail: string }[];
    expect(out.map((r) => r.check)).toEqual(['config', 'database', 'migrations', 'data-dir', 'sqlite-wal', 'server', 'webhook-url-policy', 'secret-key', 'public-url']);
    for (const r of out) expect(Object.keys(r).sort()).toEqual(['check', 'detail', 'status']);
    expect(out.every((r) => r.status === 'ok')).toBe(true);
  });

  it('a database migrated by a newer openwaba: migrations fail, exit 1; once the server stopped: no server running', async () => {
    server.kill();
    await server.exited();
    const db = new SqliteDatabase(path.join(root, 'live', 'openwaba.db'));
    db.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('9999_from_the_future', new Date().toISOString());
    db.close();
    const res = await runCli(['doctor'], env);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/^fail\s+migrations: .*9999_from_the_future/m);
    expect(res.stdout).toMatch(/^ok\s+database: /m);
    // SIGKILLed: its lock row stays, but its process is gone.
    expect(res.stdout).toMatch(/^ok\s+server: no server running/m);
  });

  it('Meta numbers without OPENWABA_SECRET_KEY: a warning (exit 0 unless something failed); with another key: a fail', async () => {
    const db = new SqliteDatabase(path.join(root, 'live', 'openwaba.db'));
    db.pragma('foreign_keys = OFF');
    db.prepare('delete from kysely_migration where name = ?').run('9999_from_the_future');
    const now = new Date().toISOString();
    db.prepare('insert into meta_channels (channel_id, phone_number_id, waba_id, access_token_sealed, created_at, modified_at) values (?, ?, ?, ?, ?, ?)').run(
      'doctorCH', '106540352242922', '102290129340398', 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA', now, now,
    );
    db.close();
    const { OPENWABA_SECRET_KEY: _, ...noKey } = env;
    const res = await runCli(['doctor'], noKey);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^warn\s+secret-key: OPENWABA_SECRET_KEY is not set, but there is 1 number on Meta's Cloud API: .*cannot be used$/m);
    const wrong = await runCli(['doctor'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^fail\s+secret-key: OPENWABA_SECRET_KEY is set but does not open the access token of channel doctorCH/m);
    expect(wrong.stdout).not.toContain(SECRET_KEY);
  });

  it('a configuration error is a failing check with its message', async () => {
    const res = await runCli(['doctor'], { ...env, PORT: 'abc' });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^fail\s+config: PORT must be an integer, got "abc"$/m);
  });
});

describe.skipIf(!pgAdminUrl())('openwaba doctor (PostgreSQL)', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it('a migrated database: exit 0, the host and database named without the password', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-doctor-pg-'));
    try {
      const env = { DATABASE_URL: tdb.url, OPENWABA_DATA_DIR: dataDir };
      expect((await runCli(['migrate'], env)).code).toBe(0);
      const res = await runCli(['doctor'], env);
      expect(res.code, res.stdout + res.stderr).toBe(0);
      const u = new URL(tdb.url);
      expect(res.stdout).toMatch(new RegExp(`^ok\\s+database: PostgreSQL ${u.hostname}:${u.port || '5432'}${u.pathname} .*answers$`, 'm'));
      expect(res.stdout).toMatch(/^ok\s+migrations: all \d+ applied/m);
      expect(res.stdout).not.toMatch(/sqlite-wal|server:/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('an unreachable server: the database check fails within a few seconds, exit 1, the password not printed', async () => {
    const started = Date.now();
    const res = await runCli(['doctor'], { DATABASE_URL: 'postgres://postgres:s3cretpass@127.0.0.1:1/x', OPENWABA_DATA_DIR: os.tmpdir() }, 20_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/^fail\s+database: PostgreSQL 127\.0\.0\.1:1\/x as postgres: .*ECONNREFUSED/m);
    expect(res.stdout).not.toContain('s3cretpass');
  });
});
