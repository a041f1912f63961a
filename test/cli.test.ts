// The `openwaba` command as an operator runs it: real processes on a real database, checked
// against a running `openwaba start` on the same database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb, createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { Http, bearer, partnerKey } from './helpers/app.ts';
import { killAll, runCli, startServerProcess, type ServerProcess } from './helpers/processes.ts';
import { waitUntil } from './helpers/wait.ts';
import { openDb, type Db } from '../src/db/index.ts';
import { loadConfig } from '../src/config.ts';
import { systemClock } from '../src/clock.ts';
import { channelForApiKey } from '../src/messaging/auth.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

const BOOTSTRAP_KEYS: (keyof BootstrapResult)[] = [
  'partner_id',
  'username',
  'password',
  'partner_api_key',
  'client_id',
  'channel_id',
  'channel_api_key',
  'phone_number',
  'waba_account_id',
];

afterAll(() => killAll());

describeEachDb('openwaba CLI', (kind) => {
  describe('migrate', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(kind);
    });
    afterAll(() => database.drop());

    it('applies the migrations once, then says the database is up to date', async () => {
      const env = { DATABASE_URL: database.url };
      const first = await runCli(['migrate'], env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^applied: 0001_init/);
      const second = await runCli(['migrate'], env);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout.trim()).toBe('database is up to date');
    });
  });

  describe('with a server running on the same database', () => {
    let database: TestDatabase;
    let server: ServerProcess;
    let http: Http;
    let db: Db;
    let env: Record<string, string>;
    /** What `bootstrap --json` printed, shared by the tests below. */
    let boot: BootstrapResult;
    const channelKeyWorks = async (key: string) => (await channelForApiKey({ config: loadConfig(env), db, clock: systemClock }, key)) !== undefined;

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      env = { DATABASE_URL: database.url };
      server = await startServerProcess({ ...env, OPENWABA_DEMO: 'false' });
      http = new Http(server.url);
      db = openDb(database.url, { poolSize: 1 });
    });
    afterAll(async () => {
      server?.kill();
      await db?.close();
      await database?.drop();
    });

    it('bootstrap --json prints one object with exactly the nine keys, while the server keeps answering', async () => {
      // The server answers throughout: requests run while the CLI writes to the same database.
      let cliDone = false;
      const statuses: number[] = [];
      const [res] = await Promise.all([
        runCli(['bootstrap', '--json'], env).finally(() => (cliDone = true)),
        // runCli gives up after 20 s; this waiter only needs to outlast it.
        waitUntil(
          'the CLI to finish while /health is asked',
          async () => {
            statuses.push((await http.get('/health')).status);
            return cliDone;
          },
          { timeoutMs: 30_000, everyMs: 25 },
        ),
      ]);
      expect(res.code, res.stderr).toBe(0);
      expect(statuses.length).toBeGreaterThan(0);
      expect(new Set(statuses)).toEqual(new Set([200]));
      boot = JSON.parse(res.stdout);
      expect(Object.keys(boot).sort()).toEqual([...BOOTSTRAP_KEYS].sort());
      for (const k of BOOTSTRAP_KEYS) expect(typeof boot[k], k).toBe('string');
      expect(boot.partner_id).toMatch(/^[0-9A-Za-z]{10}PA$/);
      expect(boot.client_id).toMatch(/^[0-9A-Za-z]{10}CL$/);
      expect(boot.channel_id).toMatch(/^[0-9A-Za-z]{10}CH$/);
      expect(boot.waba_account_id).toMatch(/^[0-9A-Za-z]{10}WA$/);
      expect(boot.phone_number).toMatch(/^\d{10,15}$/);
    });

    it("the printed partner key, hub user and channel key work against the running server", async () => {
      const byKey = await http.get(`/api/v2/partners/${boot.partner_id}`, { headers: partnerKey(boot.partner_api_key) });
      expect(byKey.status).toBe(200);
      expect(byKey.body.id).toBe(boot.partner_id);

      const token = await http.post('/api/v2/token', { json: { username: boot.username, password: boot.password } });
      expect(token.status).toBe(200);
      const byToken = await http.get(`/api/v2/partners/${boot.partner_id}`, { headers: bearer(token.body.access_token) });
      expect(byToken.status).toBe(200);

      const channel = await http.get(`/api/v2/partners/${boot.partner_id}/channels/${boot.channel_id}`, { headers: partnerKey(boot.partner_api_key) });
      expect(channel.status).toBe(200);
      expect(JSON.stringify(channel.body)).toContain(boot.phone_number);
      expect(JSON.stringify(channel.body)).toContain(boot.client_id);
      expect(await channelKeyWorks(boot.channel_api_key)).toBe(true);
    });

    it('partners create prints a generated password once, and it logs in', async () => {
      const username = `ops-${kind}@example.com`;
      const res = await runCli(['partners', 'create', '--name', 'Ops Partner', '--username', username], env);
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout);
      expect(out).toMatchObject({ partner_id: expect.stringMatching(/PA$/), brand_name: 'Ops Partner', username });
      expect(out.password).toMatch(/^\S{12,}$/);
      const token = await http.post('/api/v2/token', { json: { username, password: out.password } });
      expect(token.status).toBe(200);
      const partner = await http.get(`/api/v2/partners/${out.partner_id}`, { headers: bearer(token.body.access_token) });
      expect(partner.status).toBe(200);

      const listed = await runCli(['partners', 'list'], env);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain(out.partner_id);
      expect(listed.stdout).not.toContain(out.password);
    });

    it('keys create --partner gives a working X-API-Key', async () => {
      const res = await runCli(['keys', 'create', '--partner', boot.partner_id, '--name', 'ci'], env);
      expect(res.code, res.stderr).toBe(0);
      const key = JSON.parse(res.stdout);
      expect(key.api_key).toMatch(/^owpk_/);
      expect(key.api_key).not.toBe(boot.partner_api_key);
      const ok = await http.get(`/api/v2/partners/${boot.partner_id}/clients`, { headers: partnerKey(key.api_key) });
      expect(ok.status).toBe(200);
    });

    it('keys create --channel gives a channel key and revokes the earlier one', async () => {
      const res = await runCli(['keys', 'create', '--partner', boot.partner_id, '--channel', boot.channel_id], env);
      expect(res.code, res.stderr).toBe(0);
      const key = JSON.parse(res.stdout);
      expect(key).toMatchObject({ api_key: expect.any(String), app_id: expect.any(String) });
      expect(await channelKeyWorks(key.api_key)).toBe(true);
      expect(await channelKeyWorks(boot.channel_api_key)).toBe(false);
      // It is not a partner key.
      expect((await http.get(`/api/v2/partners/${boot.partner_id}`, { headers: partnerKey(key.api_key) })).status).toBe(401);
    });

    it('keys create --channel refuses a terminated channel, as the Partner API does, and leaves its key alone', async () => {
      const other = JSON.parse((await runCli(['bootstrap', '--json'], env)).stdout) as BootstrapResult;
      await db.kysely.updateTable('channels').set({ status: 'terminated', terminated_at: new Date().toISOString() }).where('id', '=', other.channel_id).execute();
      const res = await runCli(['keys', 'create', '--partner', other.partner_id, '--channel', other.channel_id], env);
      expect(res.code).toBe(2);
      expect(res.stderr.trim()).toBe(`openwaba: Channel ${other.channel_id} is terminated`);
      expect(res.stdout).toBe('');
      expect(await channelKeyWorks(other.channel_api_key)).toBe(true);
    });

    it('bad input exits non-zero with a one-line message and no stack trace', async () => {
      const cases: [string[], RegExp, Record<string, string>][] = [
        [['keys', 'create', '--partner', 'nopeNOPE00PA'], /^openwaba: Partner nopeNOPE00PA not found$/, env],
        [['keys', 'create', '--partner', boot.partner_id, '--channel', 'nopeNOPE00CH'], /^openwaba: .*nopeNOPE00CH/, env],
        [['partners', 'create', '--name', 'Again', '--username', boot.username], /^openwaba: .*already exists/, env],
        // The admin API's rules hold for the CLI too.
        [['partners', 'create', '--name', ' ', '--username', 'someone@example.com'], /^openwaba: brand name must be 1 to 200 characters$/, env],
        [['partners', 'create', '--name', 'Short', '--username', 'x', '--password', 'longenough1'], /^openwaba: username must be 3 to 320 characters without spaces$/, env],
        [['partners', 'create', '--name', 'Short', '--username', 'short@example.com', '--password', 'x'], /^openwaba: password must be 10 to 1024 characters$/, env],
        [['partners', 'create', '--name', 'Zed', '--username', 'zed@example.com', '--country', 'ZZZZ'], /^openwaba: country must be a two-letter code such as DE, got "ZZZZ"$/, env],
        [['bootstrap', '--username', '', '--password', 'x', '--json'], /^openwaba: (username|password) must be/, env],
      ];
      // Checks that do not depend on the database kind run once.
      if (kind === 'sqlite') {
        cases.push(
          [['keys', 'create'], /required option '--partner/, env],
          [['migrate'], /^openwaba: DATABASE_URL must start with sqlite: or postgres:\/\/, got "mysql:\/\/localhost\/x"$/, { DATABASE_URL: 'mysql://localhost/x' }],
        );
      }
      // Three at a time: ten CLI processes at once, each loading the app through tsx, beside the
      // rest of the suite on two cores, took more than runCli's 20 s each.
      const results: Awaited<ReturnType<typeof runCli>>[] = [];
      for (let i = 0; i < cases.length; i += 3) results.push(...(await Promise.all(cases.slice(i, i + 3).map(([args, , e]) => runCli(args, e)))));
      results.forEach((r, i) => {
        const [args, message] = cases[i]!;
        expect(r.code, args.join(' ')).not.toBe(0);
        expect(r.stderr.trim()).toMatch(message);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stdout).toBe('');
      });
    }, 120_000);

    it('start on a port another server holds: a one-line message and exit code 1 (not a silent exit)', async () => {
      const port = new URL(server.url).port;
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-cli-'));
      const r = await runCli(['start'], { ...env, PORT: port, HOST: '127.0.0.1', OPENWABA_DEMO: 'false', OPENWABA_DATA_DIR: dataDir });
      fs.rmSync(dataDir, { recursive: true, force: true });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^openwaba: cannot listen: .*EADDRINUSE.*Set PORT or HOST to another value\.$/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });

    it('the server is still healthy after the CLI wrote to its database', async () => {
      expect((await http.get('/health')).body).toEqual({ status: 'ok' });
      expect(server.child.exitCode).toBe(null);
      expect(server.stderr()).toBe('');
    });
  });
});
