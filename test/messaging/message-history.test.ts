// Meta's Message History API over openwaba's store (src/messaging/message-history.ts,
// routes/message-history.ts): GET /{version}/{phone-number-id}/message_history and
// GET /{version}/{history-id}/events, Graph-paged, scoped to the key's channel.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, startTestApp, type TestApp } from '../helpers/app.ts';

const USER = '4915550007001';
const FRESH = '4915550007002';

describeEachDb('message history (Graph)', (kind) => {
  const clock = new ManualClock(new Date('2026-05-01T09:00:00.000Z'));
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let phoneID: string;
  const auth = () => bearer(p.channel_api_key);
  const ok = async (res: Promise<{ status: number; text: string; body: any }>) => {
    const r = await res;
    expect(r.status, r.text).toBe(200);
    return r.body;
  };
  const send = async (key: string, json: Record<string, unknown>) =>
    (await ok(t.post('/messages', { headers: { 'D360-API-KEY': key }, json: { messaging_product: 'whatsapp', ...json } }))).messages[0].id as string;
  const template = (key: string, to = USER) => send(key, { to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
  const runDue = async () => {
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      await new JobScheduler(t.deps).runDue();
    }
  };
  /** The path after the origin (paging.next is an absolute URL). */
  const rel = (url: string) => new URL(url).pathname + new URL(url).search;

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=1s,delivered=2s,read=3s' } });
    p = await t.tenant();
    other = await t.tenant();
    phoneID = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id!;
  });
  afterAll(() => t?.close());

  it('reads sent, delivered and read for a message, its events edge, and pages the history', async () => {
    const t0 = Math.floor(clock.now().getTime() / 1000);
    const first = await template(p.channel_api_key);
    clock.advance(10);
    const second = await template(p.channel_api_key);
    clock.advance(10);
    const third = await template(p.channel_api_key);
    await runDue();

    const one = await ok(t.get(`/v23.0/${phoneID}/message_history?message_id=${encodeURIComponent(first)}`, { headers: auth() }));
    expect(one.data).toHaveLength(1);
    const entry = one.data[0];
    expect(entry.message_id).toBe(first);
    expect(entry.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(entry.events.data.map((e: any) => e.delivery_status)).toEqual(['SENT', 'DELIVERED', 'READ']);
    expect(entry.events.data.map((e: any) => e.timestamp)).toEqual([t0 + 1, t0 + 2, t0 + 3]);
    expect(new Set(entry.events.data.map((e: any) => e.id)).size).toBe(3);

    // fields narrows: id always, events with the sub-fields asked for.
    const narrow = await ok(t.get(`/v23.0/${phoneID}/message_history?message_id=${encodeURIComponent(first)}&fields=events{delivery_status}`, { headers: auth() }));
    expect(Object.keys(narrow.data[0]).sort()).toEqual(['events', 'id']);
    expect(Object.keys(narrow.data[0].events.data[0]).sort()).toEqual(['delivery_status', 'id']);
    const bad = await t.get(`/v23.0/${phoneID}/message_history?fields=id,colour`, { headers: auth() });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe(100);
    expect(bad.body.error.message).toContain('nonexisting field (colour)');

    // The events edge, paged one at a time, filtered by status.
    const ev1 = await ok(t.get(`/v23.0/${entry.id}/events?limit=1`, { headers: auth() }));
    expect(ev1.data).toEqual([{ cursor: expect.any(String), node: { id: entry.events.data[0].id, delivery_status: 'SENT', occurrence_timestamp: t0 + 1, status_timestamp: t0 + 1 } }]);
    expect(ev1.paging.previous).toBeUndefined();
    const ev2 = await ok(t.get(rel(ev1.paging.next), { headers: auth() }));
    expect(ev2.data.map((e: any) => e.node.delivery_status)).toEqual(['DELIVERED']);
    const back = await ok(t.get(rel(ev2.paging.previous), { headers: auth() }));
    expect(back.data.map((e: any) => e.node.delivery_status)).toEqual(['SENT']);
    const read = await ok(t.get(`/v23.0/${entry.id}/events?delivery_status=READ`, { headers: auth() }));
    expect(read.data.map((e: any) => e.node.delivery_status)).toEqual(['READ']);
    expect(read.paging.next).toBeUndefined();

    // The whole history, newest first, two at a time.
    const page1 = await ok(t.get(`/v23.0/${phoneID}/message_history?limit=2`, { headers: auth() }));
    expect(page1.data.map((e: any) => e.message_id)).toEqual([third, second]);
    const page2 = await ok(t.get(rel(page1.paging.next), { headers: auth() }));
    expect(page2.data.map((e: any) => e.message_id)).toEqual([first]);
    expect(page2.paging.next).toBeUndefined();
    const again = await ok(t.get(rel(page2.paging.previous), { headers: auth() }));
    expect(again.data.map((e: any) => e.message_id)).toEqual([third, second]);
    // The root path serves the same list.
    expect((await ok(t.get('/message_history?limit=2', { headers: { 'D360-API-KEY': p.channel_api_key } }))).data).toEqual(page1.data);
  });

  it('shows a failed message with its error (outside the 24-hour window: 131047)', async () => {
    const wamid = await send(p.channel_api_key, { to: FRESH, type: 'text', text: { body: 'hello?' } });
    await runDue();
    const h = await ok(t.get(`/v23.0/${phoneID}/message_history?message_id=${encodeURIComponent(wamid)}`, { headers: auth() }));
    const events = h.data[0].events.data;
    expect(events.map((e: any) => e.delivery_status)).toEqual(['FAILED']);
    expect(events[0].error_description).toBe('(#131047) Re-engagement message');
    const edge = await ok(t.get(`/v23.0/${h.data[0].id}/events?status_filter=FAILED`, { headers: auth() }));
    expect(edge.data[0].node).toMatchObject({ delivery_status: 'FAILED', error_description: '(#131047) Re-engagement message' });
  });

  it('answers bad parameters with a 400 in Graph’s body, never a 5xx', async () => {
    const [entry] = (await ok(t.get('/message_history?limit=1', { headers: { 'D360-API-KEY': p.channel_api_key } }))).data;
    const wrongList = Buffer.from('wa:4917600000001').toString('base64url');
    const lists = ['limit=0', 'limit=abc', 'limit=1&limit=2', `after=${wrongList}`, 'after=%00%ff', 'after=x&before=y', 'fields=events{', 'fields=events{colour}', 'fields=id{x}', 'fields=' + 'a,'.repeat(1200), 'message_id='];
    const edge = ['delivery_status=WHATEVER', 'delivery_status=READ&status_filter=SENT', 'fields=node{colour}', 'fields=cursor,node{id', `before=${wrongList}`, 'limit=-1'];
    const paths = [
      ...lists.map((q) => `/v23.0/${phoneID}/message_history?${q}`),
      ...edge.map((q) => `/v23.0/${entry.id}/events?${q}`),
      `/v23.0/${'A'.repeat(500)}/events`,
      '/message_history/%00/events',
      '/message_history/-/events',
    ];
    for (const path of paths) {
      const r = await t.get(path, { headers: auth() });
      expect(r.status, `${path}: ${r.text}`).toBe(400);
      expect(r.body.error.code, path).toBe(100);
    }
  });

  it("refuses another channel's wamid and history id as it refuses unknown ones", async () => {
    const theirs = await template(other.channel_api_key);
    await runDue();
    const foreign = await t.get(`/v23.0/${phoneID}/message_history?message_id=${encodeURIComponent(theirs)}`, { headers: auth() });
    const unknown = await t.get(`/v23.0/${phoneID}/message_history?message_id=wamid.HBgLnothere`, { headers: auth() });
    for (const r of [foreign, unknown]) {
      expect(r.status, r.text).toBe(400);
      expect(r.body.error).toMatchObject({ code: 100, error_data: { details: 'message_id: no message this number sent has this id' } });
    }
    expect(foreign.text).not.toContain(theirs);
    // Their history id, through our key: Graph's node error, as for an id that never existed.
    const theirId = Buffer.from(theirs).toString('base64url');
    const node = await t.get(`/v23.0/${theirId}/events`, { headers: auth() });
    expect(node.status, node.text).toBe(400);
    expect(node.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    // Their own key reads it; and their list does not show ours.
    expect((await ok(t.get(`/v23.0/${theirId}/events`, { headers: bearer(other.channel_api_key) }))).data.length).toBe(3);
    const list = await ok(t.get('/message_history', { headers: { 'D360-API-KEY': other.channel_api_key } }));
    expect(list.data.map((e: any) => e.message_id)).toEqual([theirs]);
    // Another number's path with our key: Graph's node error (graph-paths.ts).
    const path = await t.get(`/v23.0/999000111222/message_history`, { headers: auth() });
    expect(path.status).toBe(400);
    expect(path.body.error.error_subcode).toBe(33);
  });
});
