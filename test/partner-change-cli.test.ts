// `openwaba partner-changes create|list|cancel`, as an operator runs it: real processes on a real
// database (the tenants made in-process on the same database), the requests checked in the data.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { killAll, runCli } from './helpers/processes.ts';
import { openDb, type Db } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { loadConfig } from '../src/config.ts';
import { systemClock } from '../src/clock.ts';
import type { Deps } from '../src/deps.ts';
import { bootstrapTenant, type BootstrapResult } from '../src/services/bootstrap.ts';
import { approvePartnerChangeRequest } from '../src/services/partner-change-requests.ts';

afterAll(() => killAll());

describeEachDb('openwaba partner-changes', (kind) => {
  let database: TestDatabase;
  let db: Db;
  let deps: Deps;
  let env: Record<string, string>;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let d: BootstrapResult;
  const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown> & { id: string; status: string };
  const statusOf = async (id: string) => (await db.kysely.selectFrom('partner_change_requests').select('status').where('id', '=', id).executeTakeFirst())?.status;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    env = { DATABASE_URL: database.url };
    db = openDb(database.url, { poolSize: 1 });
    await migrateToLatest(db);
    deps = { config: loadConfig(env), db, clock: systemClock };
    a = await bootstrapTenant(deps, {});
    b = await bootstrapTenant(deps, {});
    d = await bootstrapTenant(deps, {});
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('create (whole client, and selected numbers), list with filters, cancel; then approval of the cancelled one is refused', async () => {
    const made = await runCli(['partner-changes', 'create', '--client', a.client_id, '--to', b.partner_id], env);
    expect(made.code, made.stderr).toBe(0);
    const pcr = json(made.stdout);
    expect(pcr).toMatchObject({ status: 'pending', is_full_migration: true, client_id: a.client_id, new_partner_id: b.partner_id, channel_ids: [a.channel_id], created_by: { user_id: 'cli' } });
    expect(await statusOf(pcr.id)).toBe('pending');

    const selective = await runCli(['partner-changes', 'create', '--client', d.client_id, '--to', b.partner_id, '--channel', d.channel_id], env);
    expect(selective.code, selective.stderr).toBe(0);
    expect(json(selective.stdout)).toMatchObject({ client_id: d.client_id, channel_ids: [d.channel_id] });

    const listed = await runCli(['partner-changes', 'list', '--to', b.partner_id, '--status', 'pending'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((r) => r.id).sort()).toEqual([pcr.id, json(selective.stdout).id].sort());
    const byClient = await runCli(['partner-changes', 'list', '--client', a.client_id], env);
    expect((JSON.parse(byClient.stdout) as { id: string }[]).map((r) => r.id)).toEqual([pcr.id]);

    const cancelled = await runCli(['partner-changes', 'cancel', '--id', pcr.id], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(json(cancelled.stdout)).toMatchObject({ id: pcr.id, status: 'cancelled' });
    expect(await statusOf(pcr.id)).toBe('cancelled');
    await expect(approvePartnerChangeRequest(deps, b.partner_id, pcr.id, { user_id: 't', user_name: 't' })).rejects.toMatchObject({ status: 409 });
    const client = await db.kysely.selectFrom('clients').select('partner_id').where('id', '=', a.client_id).executeTakeFirstOrThrow();
    expect(client.partner_id).toBe(a.partner_id);
    // Seven processes one after another: each starts Node and opens the database (2–3 s on two busy cores).
  }, 120_000);

  it('refusals: a one-line message, exit code 2, nothing written', async () => {
    const before = (await db.kysely.selectFrom('partner_change_requests').select('id').execute()).length;
    const cases: [string[], RegExp][] = [
      [['partner-changes', 'create', '--client', 'nopeCL', '--to', b.partner_id], /nopeCL not found/],
      [['partner-changes', 'create', '--client', a.client_id, '--to', 'nopePA'], /partner nopePA not found/],
      [['partner-changes', 'create', '--client', a.client_id, '--to', b.partner_id, '--channel', b.channel_id], new RegExp(`${b.channel_id} is not a channel`)],
      [['partner-changes', 'cancel', '--id', 'nopePCR'], /nopePCR not found/],
      [['partner-changes', 'list', '--status', 'maybe'], /--status must be one of pending, completed, failed, cancelled/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, env)));
    results.forEach((r, i) => {
      expect(r.code, `${cases[i]![0].join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    });
    // A request no longer pending cannot be withdrawn.
    const [done] = await db.kysely.selectFrom('partner_change_requests').select('id').where('status', '=', 'cancelled').execute();
    const again = await runCli(['partner-changes', 'cancel', '--id', done!.id], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/cancelled, not pending/);
    expect((await db.kysely.selectFrom('partner_change_requests').select('id').execute()).length).toBe(before);
  }, 120_000);
});
