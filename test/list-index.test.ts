// The channel list on a partner with 10,000 channels: each selective filter must be served by an
// index (checked on the exact SQL the list runs), and the API must answer correctly on that data.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CompiledQuery, type Compilable } from 'kysely';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { availabilityFor, channelListQueries, createChannel, type ChannelRow } from '../src/services/channels.ts';
import { clientListQueries, createClient } from '../src/services/clients.ts';
import { createWabaAccount } from '../src/services/waba-accounts.ts';
import { hubId } from '../src/ids.ts';

const CHANNELS = 10_000;
const CLIENTS = 200;
const OTHER_PARTNER_CHANNELS = 500;
const CHUNK = 500;

interface Seeded {
  channels: ChannelRow[];
  clientIds: string[];
}

/**
 * Channels cloned from one made by createChannel (so that the rows stay complete whatever
 * columns the table gains), each with its own id, client, number, status and time.
 */
function clone(template: ChannelRow, i: number, over: { client_id: string; waba_account_id: string; status: string }): ChannelRow {
  const at = new Date(Date.parse(template.created_at) + i * 1000).toISOString();
  const ready = availabilityFor(over.status) === 'ready';
  return {
    ...template,
    ...over,
    id: i === 0 ? template.id : hubId('channel'),
    external_id: String(100_000_000_000_000 + i),
    availability_status: availabilityFor(over.status),
    meta_status: ready ? 'CONNECTED' : 'PENDING',
    phone_number: `49170${String(i).padStart(7, '0')}`,
    phone_name: `Bulk ${i}`,
    billing_started_at: ready ? at : null,
    created_at: at,
    modified_at: at,
  };
}

/** 10,000 channels over 200 clients for `a` (one in 500 in status error), 500 for `b`. */
async function seed(t: TestApp, a: BootstrapResult, b: BootstrapResult): Promise<Seeded> {
  const clientIds: string[] = [];
  const wabaIds: string[] = [];
  let channels: ChannelRow[] = [];
  await t.deps.db.kysely.transaction().execute(async (tx) => {
    for (let c = 0; c < CLIENTS; c++) {
      const client = await createClient(t.deps, a.partner_id, { name: `Bulk client ${c}`, email: `bulk${c}@example.com` }, undefined, tx);
      const waba = await createWabaAccount(t.deps, { partnerId: a.partner_id, clientId: client.id, name: client.name }, undefined, tx);
      clientIds.push(client.id);
      wabaIds.push(waba.id);
    }
    const first = await createChannel(t.deps, { partnerId: a.partner_id, clientId: clientIds[0]!, phoneNumber: '491700000000', phoneName: 'Bulk 0' }, undefined, tx);
    channels = Array.from({ length: CHANNELS }, (_, i) =>
      clone(first, i, { client_id: clientIds[i % CLIENTS]!, waba_account_id: wabaIds[i % CLIENTS]!, status: i % 500 === 7 ? 'error' : 'ready' }),
    );
    const otherClient = await createClient(t.deps, b.partner_id, { name: 'Other bulk client' }, undefined, tx);
    const otherFirst = await createChannel(t.deps, { partnerId: b.partner_id, clientId: otherClient.id, phoneNumber: '491700000000', phoneName: 'Bulk 0' }, undefined, tx);
    // The other partner's numbers repeat some of a's, and it has error channels too.
    const other = Array.from({ length: OTHER_PARTNER_CHANNELS }, (_, i) =>
      clone(otherFirst, i, { client_id: otherClient.id, waba_account_id: otherFirst.waba_account_id, status: i % 50 === 0 ? 'error' : 'ready' }),
    );
    // The first of each was inserted by createChannel: make it match its clone, insert the rest.
    for (const ch of [channels[0]!, other[0]!]) await tx.updateTable('channels').set(ch).where('id', '=', ch.id).execute();
    const rest = [...channels.slice(1), ...other.slice(1)];
    for (let i = 0; i < rest.length; i += CHUNK) {
      await tx.insertInto('channels').values(rest.slice(i, i + CHUNK)).execute();
    }
  });
  if (t.deps.db.kind === 'postgres') await t.deps.db.kysely.executeQuery(CompiledQuery.raw('ANALYZE'));
  return { channels, clientIds };
}

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };
const flatten = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(flatten)];

/** How `table` is read in the plan of `query`, as text lines. */
async function planLines(t: TestApp, query: Compilable, table: string): Promise<string[]> {
  const c = query.compile();
  if (t.deps.db.kind === 'sqlite') {
    const res = await t.deps.db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${c.sql}`, [...c.parameters]));
    return res.rows.map((r) => r.detail).filter((d) => new RegExp(`\\b${table}\\b`).test(d));
  }
  const res = await t.deps.db.kysely.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${c.sql}`, [...c.parameters]),
  );
  const nodes = flatten(res.rows[0]!['QUERY PLAN'][0].Plan);
  return nodes
    .filter((n) => n['Relation Name'] === table || String(n['Index Name'] ?? '').startsWith(`${table}_`))
    .map((n) => `${String(n['Node Type'])} on ${String(n['Relation Name'] ?? '')} using ${String(n['Index Name'] ?? '-')}`);
}

/** The plan reads `table` through one of `indexes` (by name), never by a full scan. */
function expectIndexed(kind: string, table: string, access: string[], indexes: RegExp) {
  expect(access.length, `${table} appears in the plan`).toBeGreaterThan(0);
  const text = access.join('\n');
  if (kind === 'sqlite') {
    for (const line of access) {
      expect(line, text).toMatch(new RegExp(`^SEARCH ${table} USING (COVERING INDEX|INDEX|INTEGER PRIMARY KEY|PRIMARY KEY)`));
    }
  } else {
    expect(text).not.toMatch(/Seq Scan/);
    expect(text).toMatch(/(Index Scan|Index Only Scan|Bitmap Index Scan) on .* using /);
  }
  expect(text).toMatch(indexes);
}

describeEachDb('channel list on 10,000 channels', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let data: Seeded;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    b = await t.tenant();
    data = await seed(t, a, b);
  }, 120_000);
  afterAll(() => t?.close());

  const list = (filters: Record<string, unknown>, extra: Record<string, string> = {}) =>
    t.get(`/api/v2/partners/${a.partner_id}/channels`, { headers: partnerKey(a.partner_api_key), query: { filters: JSON.stringify(filters), ...extra } });

  const cases: { name: string; filters: () => Record<string, unknown>; index: RegExp }[] = [
    { name: 'id', filters: () => ({ id: data.channels[1234]!.id }), index: /channels_pkey|sqlite_autoindex_channels_1/ },
    { name: 'client_id', filters: () => ({ client_id: data.clientIds[17]! }), index: /channels_partner_client_id|channels_client\b/ },
    { name: 'setup_info.phone_number', filters: () => ({ 'setup_info.phone_number': data.channels[4321]!.phone_number }), index: /channels_partner_phone_number/ },
    { name: 'status (rare value)', filters: () => ({ status: 'error' }), index: /channels_partner_status/ },
  ];

  for (const c of cases) {
    it(`filter by ${c.name}: page and total queries use an index`, async () => {
      const q = channelListQueries(t.deps, a.partner_id, { filters: JSON.stringify(c.filters()) });
      expectIndexed(kind, 'channels', await planLines(t, q.rows, 'channels'), c.index);
      expectIndexed(kind, 'channels', await planLines(t, q.total, 'channels'), c.index);
    });
  }

  it('the client list filtered by contact_info.email uses an index too', async () => {
    const q = clientListQueries(t.deps, a.partner_id, { filters: JSON.stringify({ 'contact_info.email': 'bulk17@example.com' }) });
    for (const query of [q.rows, q.total]) {
      const access = await planLines(t, query, 'clients');
      expectIndexed(kind, 'clients', access, /clients_partner_contact_email/);
    }
    const res = await t.get(`/api/v2/partners/${a.partner_id}/clients`, {
      headers: partnerKey(a.partner_api_key),
      query: { filters: JSON.stringify({ 'contact_info.email': 'bulk17@example.com' }) },
    });
    expect(res.body).toMatchObject({ total: 1, clients: [{ id: data.clientIds[17] }] });
  });

  it('filter by id finds exactly that channel, and not through another partner', async () => {
    const ch = data.channels[1234]!;
    const res = await list({ id: ch.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 1, total: 1 });
    expect(res.body.partner_channels[0]).toMatchObject({ id: ch.id, client_id: ch.client_id, setup_info: { phone_number: ch.phone_number } });
    const other = await t.get(`/api/v2/partners/${b.partner_id}/channels`, { headers: partnerKey(b.partner_api_key), query: { filters: JSON.stringify({ id: ch.id }) } });
    expect(other.body).toMatchObject({ count: 0, total: 0, partner_channels: [] });
  });

  it('filter by client_id gives that client its 50 channels, in created_at order', async () => {
    const clientId = data.clientIds[17]!;
    const expected = data.channels.filter((ch) => ch.client_id === clientId).map((ch) => ch.id);
    expect(expected).toHaveLength(CHANNELS / CLIENTS);
    const res = await list({ client_id: clientId });
    expect(res.body.total).toBe(expected.length);
    expect(res.body.partner_channels.map((ch: { id: string }) => ch.id)).toEqual(expected);
  });

  it("filter by phone number ignores the other partner's channel with the same number", async () => {
    const ch = data.channels[42]!;
    const res = await list({ 'setup_info.phone_number': ch.phone_number });
    expect(res.body).toMatchObject({ count: 1, total: 1 });
    expect(res.body.partner_channels[0].id).toBe(ch.id);
  });

  it('filter by a rare status returns all of them and nothing else', async () => {
    const expected = data.channels.filter((ch) => ch.status === 'error').map((ch) => ch.id);
    expect(expected).toHaveLength(CHANNELS / 500);
    const res = await list({ status: 'error' });
    expect(res.body.total).toBe(expected.length);
    expect(res.body.partner_channels.map((ch: { id: string }) => ch.id)).toEqual(expected);
    expect(res.body.partner_channels.every((ch: { availability_status: string }) => ch.availability_status === 'error')).toBe(true);
  });

  it('the unfiltered list counts all 10,001 channels and serves at most 1000 a page', async () => {
    const res = await list({}, { limit: '5000', offset: '9500' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: CHANNELS + 1, limit: 1000, offset: 9500, count: CHANNELS + 1 - 9500 });
    const res2 = await list({ status: 'ready' }, { limit: '10' });
    expect(res2.body).toMatchObject({ total: CHANNELS + 1 - CHANNELS / 500, count: 10 });
  });
});
