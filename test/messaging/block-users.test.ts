// Meta's Block Users API on a sandbox number (src/messaging/blocklist.ts): POST /block_users blocks
// users who messaged the number in the last 24 hours, GET lists them with Graph cursors, DELETE
// unblocks. A blocked user gets no sends (400, 131026) and their messages are not delivered (409 to
// the sandbox caller, nothing stored); after the unblock both work again. Failed users come back in
// Meta's mixed 400 (failed_users beside error #139100), malformed bodies as Meta's 400 (code 100),
// each number sees only its own blocklist, and the Graph path /v21.0/{pnid}/block_users with
// `Authorization: Bearer` is the same API.
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';

const ANA = '4915550007001';
const BEN = '4915550007002';
const CEM = '4915550007003';
const NEVER_WROTE = '4915550007099';
const HOUR = 3600_000;

describeEachDb('Block Users API (sandbox)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  const clock = new ManualClock(new Date('2026-12-07T09:00:00.000Z'));
  const key = (q: BootstrapResult = p) => ({ 'D360-API-KEY': q.channel_api_key });
  const body = (...users: unknown[]) => ({ messaging_product: 'whatsapp', block_users: users.map((user) => ({ user })) });
  const block = (json: unknown, q = p) => t.post('/block_users', { headers: key(q), json });
  const unblock = (json: unknown, q = p) => t.delete('/block_users', { headers: key(q), json });
  const list = (q = p, query?: Record<string, string>) => t.get('/block_users', { headers: key(q), query });
  const inbound = (from: string, q = p) => t.post('/sandbox/v1/inbound', { headers: key(q), json: { from, type: 'text', text: { body: 'hi' } } });
  const text = (to: string, q = p) => t.post('/messages', { headers: key(q), json: { messaging_product: 'whatsapp', to, type: 'text', text: { body: 'Hello' } } });
  const messagesOf = async (waId: string, q = p) => (await t.get('/sandbox/v1/messages', { headers: key(q), query: { wa_id: waId } })).body.messages as unknown[];
  const count = async (q = p) =>
    Number((await t.deps.db.kysely.selectFrom('channels').select('blocked_user_count').where('id', '=', q.channel_id).executeTakeFirstOrThrow()).blocked_user_count);
  const listed = (res: { body: { data: { wa_id: string }[] } }) => res.body.data.map((e) => e.wa_id);

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    p = await t.tenant();
    other = await t.tenant();
    for (const u of [ANA, BEN, CEM]) expect((await inbound(u)).status).toBe(200);
    expect((await inbound(ANA, other)).status).toBe(200);
  });
  afterAll(() => t.close());

  it('block → list → send refused → inbound refused → unblock → send and inbound work', async () => {
    expect(await count()).toBe(0);
    expect((await text(ANA)).status).toBe(200);

    const res = await block(body(`+${ANA}`));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', block_users: { added_users: [{ input: `+${ANA}`, wa_id: ANA }] } });
    expect(await count()).toBe(1);

    const l = await list();
    expect(l.status, l.text).toBe(200);
    expect(l.body.data).toEqual([{ messaging_product: 'whatsapp', wa_id: ANA, block_users: [{ input: `+${ANA}`, wa_id: ANA }] }]);
    expect(l.body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
    expect(l.body.paging.next).toBeUndefined();

    // Blocking again is no error (a retried request).
    expect((await block(body(ANA))).body.block_users.added_users).toEqual([{ input: ANA, wa_id: ANA }]);
    expect(await count()).toBe(1);

    const sent = await text(ANA);
    expect(sent.status, sent.text).toBe(400);
    expect(sent.body.error).toMatchObject({ code: 131026, type: 'OAuthException', error_data: { details: expect.stringContaining('blocklist') } });
    // Another user is not affected.
    expect((await text(BEN)).status).toBe(200);

    const before = (await messagesOf(ANA)).length;
    const refused = await inbound(ANA);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 100, message: '(#100) User is blocked', error_data: { details: expect.stringContaining('nothing was stored') } });
    expect(await messagesOf(ANA)).toHaveLength(before);

    const un = await unblock(body(ANA));
    expect(un.status, un.text).toBe(200);
    expect(un.body).toEqual({ messaging_product: 'whatsapp', block_users: { removed_users: [{ input: ANA, wa_id: ANA }] } });
    expect(await count()).toBe(0);
    expect((await list()).body.data).toEqual([]);
    expect((await text(ANA)).status).toBe(200);
    expect((await inbound(ANA)).status).toBe(200);
    expect(await messagesOf(ANA)).toHaveLength(before + 2);
    // Unblocking a user who is not blocked is no error either.
    expect((await unblock(body(ANA))).status).toBe(200);
  });

  it('a user who has not written in the last 24 hours cannot be blocked: Meta\'s mixed 400 with failed_users and #139100', async () => {
    const res = await block(body(BEN, NEVER_WROTE, 'not-a-number'));
    expect(res.status, res.text).toBe(400);
    expect(res.body).toEqual({
      messaging_product: 'whatsapp',
      block_users: {
        added_users: [{ input: BEN, wa_id: BEN }],
        failed_users: [
          { input: NEVER_WROTE, wa_id: NEVER_WROTE, errors: [{ message: '(#131047) Re-engagement message', code: 131047, error_data: { details: expect.stringContaining('24 hours') } }] },
          { input: 'not-a-number', errors: [{ message: '(#131009) Parameter value is not valid', code: 131009, error_data: { details: expect.any(String) } }] },
        ],
      },
      error: {
        message: '(#139100) Failed to block/unblock users',
        type: 'OAuthException',
        code: 139100,
        error_data: { messaging_product: 'whatsapp', details: 'Failed to block some users, see the block_users response list for details' },
        fbtrace_id: expect.any(String),
      },
    });
    expect(listed(await list())).toEqual([BEN]);

    // CEM wrote at 09:00; 25 hours later the window is closed and the block fails.
    clock.advance(25 * HOUR);
    try {
      const late = await block(body(CEM));
      expect(late.status, late.text).toBe(400);
      expect(late.body.block_users).toEqual({ added_users: [], failed_users: [{ input: CEM, wa_id: CEM, errors: [expect.objectContaining({ code: 131047 })] }] });
      expect(listed(await list())).toEqual([BEN]);
      // Unblocking has no 24-hour rule.
      expect((await unblock(body(BEN))).status).toBe(200);
      expect(await count()).toBe(0);
    } finally {
      clock.advance(-25 * HOUR);
    }
  });

  it('malformed bodies: 400 in Meta\'s format (code 100), nothing blocked', async () => {
    const cases: [unknown, string][] = [
      [[{ user: ANA }], 'body'],
      [{ block_users: [{ user: ANA }] }, 'messaging_product'],
      [{ messaging_product: 'sms', block_users: [{ user: ANA }] }, 'messaging_product'],
      [{ messaging_product: 'whatsapp' }, 'block_users'],
      [{ messaging_product: 'whatsapp', block_users: { user: ANA } }, 'block_users'],
      [{ messaging_product: 'whatsapp', block_users: [ANA] }, 'block_users[0]'],
      [{ messaging_product: 'whatsapp', block_users: [{ usr: ANA }] }, 'block_users[0].usr'],
      [{ messaging_product: 'whatsapp', block_users: [{ user: 4915550007001 }] }, 'block_users[0].user'],
      [{ messaging_product: 'whatsapp', block_users: [{}] }, 'block_users[0].user'],
      [{ messaging_product: 'whatsapp', block_users: [{ user: ANA }], extra: 1 }, 'body.extra'],
      [body(...Array.from({ length: 1001 }, (_, i) => String(4915550100000 + i))), 'block_users'],
    ];
    for (const [json, field] of cases) {
      for (const res of [await block(json), await unblock(json)]) {
        expect(res.status, `${JSON.stringify(json).slice(0, 80)}: ${res.text}`).toBe(400);
        expect(res.body).toEqual({
          error: { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100, error_data: { messaging_product: 'whatsapp', details: expect.stringMatching(new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: `)) }, fbtrace_id: expect.any(String) },
        });
      }
    }
    const notJson = await t.post('/block_users', { headers: { ...key(), 'content-type': 'application/json' }, raw: '{"messaging_product":' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe(100);
    const queries: Record<string, string>[] = [{ limit: '0' }, { limit: 'ten' }, { after: 'bm9wZQ' }, { after: 'x', before: 'y' }];
    for (const query of queries) {
      const res = await list(p, query);
      expect(res.status, `${JSON.stringify(query)}: ${res.text}`).toBe(400);
      expect(res.body.error.code).toBe(100);
    }
    expect((await list()).body.data).toEqual([]);
    expect(await count()).toBe(0);
  });

  it("pages with Graph cursors, forward and back", async () => {
    expect((await block(body(ANA, BEN, CEM))).status).toBe(200);
    try {
      const first = await list(p, { limit: '2' });
      expect(listed(first)).toEqual([ANA, BEN]);
      expect(first.body.paging.next).toMatch(/^http:\/\/.+\/block_users\?limit=2&after=/);
      expect(first.body.paging.previous).toBeUndefined();
      const second = await list(p, { limit: '2', after: first.body.paging.cursors.after });
      expect(listed(second)).toEqual([CEM]);
      expect(second.body.paging.next).toBeUndefined();
      const back = await list(p, { limit: '2', before: second.body.paging.cursors.before });
      expect(listed(back)).toEqual([ANA, BEN]);
      expect(back.body.paging.previous).toBeUndefined();
      expect(back.body.paging.next).toBeDefined();
    } finally {
      expect((await unblock(body(ANA, BEN, CEM))).status).toBe(200);
    }
  });

  it("another number's blocklist is invisible and untouched", async () => {
    expect((await block(body(ANA))).status).toBe(200);
    try {
      // The other tenant: an empty list, its own block of the same user, its unblock changes only its own.
      expect((await list(other)).body.data).toEqual([]);
      expect((await text(ANA, other)).status).toBe(200);
      expect((await inbound(ANA, other)).status).toBe(200);
      expect((await unblock(body(ANA), other)).status).toBe(200);
      expect(listed(await list())).toEqual([ANA]);
      expect((await block(body(ANA), other)).status).toBe(200);
      expect((await unblock(body(ANA), other)).status).toBe(200);
      expect(listed(await list())).toEqual([ANA]);
      expect(await count(other)).toBe(0);
      // Nor can it name this number on a Graph path.
      const { external_id: pnid } = await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow();
      const res = await t.get(`/v21.0/${pnid}/block_users`, { headers: { authorization: `Bearer ${other.channel_api_key}` } });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    } finally {
      expect((await unblock(body(ANA))).status).toBe(200);
    }
  });

  it('the Graph path /v21.0/{phone-number-id}/block_users with Authorization: Bearer', async () => {
    const { external_id: pnid } = await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    const auth = { authorization: `Bearer ${p.channel_api_key}` };
    const path = `/v21.0/${pnid}/block_users`;
    const res = await t.post(path, { headers: auth, json: body(CEM) });
    expect(res.status, res.text).toBe(200);
    expect(res.body.block_users.added_users).toEqual([{ input: CEM, wa_id: CEM }]);
    const l = await t.get(path, { headers: auth, query: { limit: '1' } });
    expect(l.status, l.text).toBe(200);
    expect(listed(l)).toEqual([CEM]);
    expect((await text(CEM)).body.error.code).toBe(131026);
    const bad = await t.post(path, { headers: auth, json: { block_users: [{ user: CEM }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 100, error_data: { details: expect.stringContaining('messaging_product') } });
    const un = await t.delete(path, { headers: auth, json: body(CEM) });
    expect(un.status, un.text).toBe(200);
    expect(un.body.block_users.removed_users).toEqual([{ input: CEM, wa_id: CEM }]);
    expect((await text(CEM)).status).toBe(200);
  });

  it('a full blocklist (64,000 users) refuses more with 139101', async () => {
    const full = await t.tenant();
    expect((await inbound(ANA, full)).status).toBe(200);
    const iso = clock.now().toISOString();
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 64000)
      insert into blocked_users (channel_id, wa_id, input, created_at)
      select ${full.channel_id}, cast(100000000000 + i as text), cast(100000000000 + i as text), ${iso} from n`.execute(t.deps.db.kysely);
    await t.deps.db.kysely.updateTable('channels').set({ blocked_user_count: 64000 }).where('id', '=', full.channel_id).execute();
    const res = await block(body(ANA), full);
    expect(res.status, res.text).toBe(400);
    expect(res.body.block_users.failed_users).toEqual([{ input: ANA, wa_id: ANA, errors: [expect.objectContaining({ code: 139101, message: '(#139101) Blocklist limit reached' })] }]);
    // Unblocking one makes room.
    expect((await unblock(body('100000000001'), full)).status).toBe(200);
    expect(await count(full)).toBe(63999);
    expect((await block(body(ANA), full)).status).toBe(200);
    expect(await count(full)).toBe(64000);
  });
});

const META_NUMBER = '106540352242988';

describeEachDb("Block Users API on Meta's network: Meta's own blocklist", (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let p: BootstrapResult;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const body = { messaging_product: 'whatsapp', block_users: [{ user: `+${ANA}` }] };

  let meta: MetaNumber | undefined;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: '102290129340888' });
    ({ graph, t, p } = meta);
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("POST, DELETE and GET go to Meta's /{phone_number_id}/block_users; Meta's answers and errors come back", async () => {
    graph.reset();
    const added = { messaging_product: 'whatsapp', block_users: { added_users: [{ input: `+${ANA}`, wa_id: ANA }] } };
    const listed = { data: [{ block_users: [{ input: `+${ANA}`, wa_id: ANA }] }], paging: { cursors: { before: 'QVFI', after: 'QVFJ' } } };
    graph.respond({ status: 200, json: added }, { status: 200, json: listed }, { status: 400, json: { error: { message: '(#139100) Failed to block/unblock users', type: 'OAuthException', code: 139100, fbtrace_id: 'Axyz' } } });
    const res = await t.post('/block_users', { headers: key(), json: body });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(added);
    const l = await t.get('/block_users', { headers: key(), query: { limit: '10', after: 'QVFI' } });
    expect(l.body).toEqual(listed);
    const un = await t.delete('/block_users', { headers: key(), json: body });
    expect(un.status).toBe(400);
    expect(un.body.error).toMatchObject({ code: 139100, fbtrace_id: 'Axyz' });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['POST', `/${META_NUMBER}/block_users`],
      ['GET', `/${META_NUMBER}/block_users?limit=10&after=QVFI`],
      ['DELETE', `/${META_NUMBER}/block_users`],
    ]);
    expect(graph.requests[0]!.json).toEqual(body);
    expect(graph.requests[2]!.json).toEqual(body);
    // Nothing kept here: Meta has the list.
    expect(await t.deps.db.kysely.selectFrom('blocked_users').selectAll().where('channel_id', '=', p.channel_id).execute()).toEqual([]);
  });
});
