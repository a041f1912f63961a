// `openwaba channels meta` / `channels sandbox`: the operator's way to move a number, without the
// admin API. The token comes on standard input, never as an argument.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDb, type TestDatabase } from '../helpers/db.ts';
import { runCli } from '../helpers/processes.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';
import { openDb, type Db } from '../../src/db/index.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const TOKEN = 'EAAGcliToken' + 'C'.repeat(48);

describeEachDb('openwaba channels meta / sandbox', (kind) => {
  let database: TestDatabase;
  let db: Db;
  let env: Record<string, string>;
  let graph: FakeGraph;
  beforeAll(async () => {
    graph = await new FakeGraph().start();
    database = await createTestDatabase(kind);
    env = { DATABASE_URL: database.url, OPENWABA_SECRET_KEY: 'd'.repeat(64), OPENWABA_META_GRAPH_URL: graph.url };
    db = openDb(database.url, { poolSize: 1 });
  });
  afterAll(async () => {
    await graph?.close();
    await db?.close();
    await database?.drop();
  });

  it('attaches with the token from standard input, refuses without one, and returns the channel to the sandbox', async () => {
    const boot = JSON.parse((await runCli(['bootstrap', '--json'], env)).stdout) as BootstrapResult;
    const args = ['channels', 'meta', '--partner', boot.partner_id, '--channel', boot.channel_id, '--phone-number-id', '106540352211101', '--waba-id', '102290129340301'];
    const none = await runCli(args, env, 20_000, '');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^openwaba: no access token on standard input/);

    const attached = await runCli(args, env, 20_000, `${TOKEN}\n`);
    expect(attached.code, attached.stderr).toBe(0);
    // Meta was asked about the number first; the channel took its number and name.
    expect(JSON.parse(attached.stdout)).toMatchObject({ id: boot.channel_id, network: 'meta', external_id: '106540352211101', setup_info: { phone_number: '15550101101', phone_name: 'Fake Graph Business' } });
    expect(graph.requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.headers.authorization}`)).toEqual([
      `GET /v23.0/106540352211101 Bearer ${TOKEN}`,
      `GET /v23.0/102290129340301/phone_numbers Bearer ${TOKEN}`,
      `POST /v23.0/102290129340301/subscribed_apps Bearer ${TOKEN}`,
    ]);
    expect(attached.stdout + attached.stderr).not.toContain(TOKEN);
    const row = await db.kysely.selectFrom('meta_channels').selectAll().where('channel_id', '=', boot.channel_id).executeTakeFirstOrThrow();
    expect(row.access_token_sealed).not.toContain(TOKEN);

    const back = await runCli(['channels', 'sandbox', '--partner', boot.partner_id, '--channel', boot.channel_id], env);
    expect(back.code, back.stderr).toBe(0);
    // Back on the sandbox with a sandbox number: the business's real number and name stay with Meta.
    expect(JSON.parse(back.stdout)).toMatchObject({ id: boot.channel_id, network: 'sandbox', setup_info: { phone_name: 'Sandbox number' } });
    expect(JSON.parse(back.stdout).setup_info.phone_number).not.toBe('15550101101');
    expect(await db.kysely.selectFrom('meta_channels').selectAll().execute()).toEqual([]);
  }, 120_000); // six CLI processes, each starting Node with tsx: ~5 s apiece on a slow 2-core machine
});
