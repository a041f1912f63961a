// Usage of many clients at once (the Hub's usage page): one grouped query for the whole page of
// clients, with the same figures GET …/info/balance gives for each client alone.
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { ManualClock } from '../src/clock.ts';
import type { Deps } from '../src/deps.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { createChannel } from '../src/services/channels.ts';
import { createClient } from '../src/services/clients.ts';
import { computeUsageByClient, parseUsageQuery } from '../src/services/usage.ts';
import { insertMessageRow } from './helpers/messages.ts';

/** Counts the queries run through a Kysely instance. */
class QueryCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.count++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

describeEachDb('usage of several clients in one query', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  const clients: string[] = [];
  const clock = new ManualClock(new Date('2025-11-20T12:00:00.000Z'));

  const message = (partner: string, client: string, channel: string, direction: 'outbound' | 'inbound', category: string, at: string) =>
    insertMessageRow(t.deps.db, { partner_id: partner, client_id: client, channel_id: channel, direction, category, created_at: at });

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
    clients.push(a.client_id);
    for (let i = 0; i < 3; i++) {
      const client = (await createClient(t.deps, a.partner_id, { name: `Client ${i}` })).id;
      clients.push(client);
      const channel = (await createChannel(t.deps, { partnerId: a.partner_id, clientId: client, phoneNumber: `491500000010${i}`, phoneName: `C${i}`, network: 'sandbox' })).id;
      for (let n = 0; n <= i; n++) await message(a.partner_id, client, channel, 'outbound', 'marketing', `2025-10-0${n + 1}T10:00:00.000Z`);
      await message(a.partner_id, client, channel, 'inbound', 'service', '2025-11-02T10:00:00.000Z');
    }
    await message(a.partner_id, a.client_id, a.channel_id, 'outbound', 'utility', '2025-09-15T10:00:00.000Z');
    // Another partner's messages are never counted, even under a client id asked for.
    await message(b.partner_id, clients[1]!, b.channel_id, 'outbound', 'marketing', '2025-10-01T10:00:00.000Z');
  });
  afterAll(() => t.close());

  it('answers every client asked for with one query, with the figures of each client alone', async () => {
    const counter = new QueryCounter();
    const deps: Deps = { ...t.deps, db: { ...t.deps.db, kysely: t.deps.db.kysely.withPlugin(counter) } };
    const w = parseUsageQuery({}, clock.now());
    const all = await computeUsageByClient(deps, { partnerId: a.partner_id, clientIds: [...clients, 'nopeNOPE00CL'] }, w);
    expect(counter.count).toBe(1);
    expect([...all.keys()]).toEqual([...clients, 'nopeNOPE00CL']);
    for (const client of clients) {
      const alone = await t.get(`/api/v2/partners/${a.partner_id}/clients/${client}/info/balance`, { headers: partnerKey(a.partner_api_key) });
      expect(alone.status).toBe(200);
      expect(all.get(client), client).toEqual(alone.body.usage);
    }
    const totals = clients.map((c) => all.get(c)!.reduce((n, u) => n + u.quantity, 0));
    expect(totals).toEqual([1, 2, 3, 4]);
    expect(all.get('nopeNOPE00CL')!.every((u) => u.quantity === 0)).toBe(true);
    expect(await computeUsageByClient(deps, { partnerId: a.partner_id, clientIds: [] }, w)).toEqual(new Map());
    expect(counter.count).toBe(1);
  });
});
