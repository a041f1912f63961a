// A status Meta sends before its message is stored (the send's own transaction has not committed
// yet) waits for the message instead of being lost; one whose message never comes is dropped; a
// later status arriving directly takes the waiting ones with it, in order.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { insertMessageRow } from '../helpers/messages.ts';
import { ManualClock } from '../../src/clock.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { EARLY_STATUS_JOB, EARLY_STATUS_WAIT_MS } from '../../src/network/meta/early-statuses.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { ACCESS_TOKEN, META_ENV, epoch, post, sentThroughMeta, statusOf, wamid } from './meta-webhook-fixtures.ts';

const NUMBER = '106540352277801';

describeEachDb('Meta statuses that arrive before their message is stored', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let clock: ManualClock;
  let jobs: JobScheduler;
  beforeAll(async () => {
    clock = new ManualClock(new Date());
    t = await startTestApp(kind, { env: META_ENV, clock });
    jobs = new JobScheduler(t.deps);
    p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: NUMBER, wabaId: '102290129340398', accessToken: ACCESS_TOKEN });
    await t.deps.db.kysely.updateTable('channels').set({ webhook_url: 'http://127.0.0.1:9/hook' }).where('id', '=', p.channel_id).execute();
  });
  afterAll(() => t?.close());
  beforeEach(() => clock.set(new Date()));

  const waiting = async () => (await t.deps.db.kysely.selectFrom('jobs').select(['ref_id']).where('kind', '=', EARLY_STATUS_JOB).execute()).map((j) => j.ref_id);
  const statusEvents = async (id: string) =>
    (await t.deps.db.kysely.selectFrom('webhook_events').select(['body', 'id']).where('target_id', '=', p.channel_id).where('event_type', '=', 'status').orderBy('id').execute())
      .filter((e) => e.body.includes(id))
      .map((e) => (JSON.parse(e.body) as { entry: { changes: { value: { statuses: { status: string }[] } }[] }[] }).entry[0]!.changes[0]!.value.statuses[0]!.status);
  const store = (id: string) => sentThroughMeta(t, p, id);

  it('sent and delivered posted before the message is stored (delivered first) reach the webhook in order once it is', async () => {
    const id = wamid();
    expect((await post(t, statusOf(NUMBER, id, 'delivered'))).status).toBe(200);
    expect((await post(t, statusOf(NUMBER, id, 'sent'))).status).toBe(200);
    expect(await waiting()).toEqual([id, id]);
    // Not there yet at the first look: both wait on.
    clock.advance(600);
    await jobs.runDue();
    expect(await waiting()).toEqual([id, id]);

    await store(id);
    clock.advance(1_100);
    await jobs.runDue();
    const row = await t.deps.db.kysely.selectFrom('messages').select(['status', 'sent_at', 'delivered_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('delivered');
    expect(row.sent_at).not.toBeNull();
    expect(row.delivered_at).not.toBeNull();
    expect(await statusEvents(id)).toEqual(['sent', 'delivered']);
    expect(await waiting()).toEqual([]);
  });

  it('a status of a message that is never stored is dropped after the wait', async () => {
    const id = wamid();
    expect((await post(t, statusOf(NUMBER, id, 'sent'))).status).toBe(200);
    expect(await waiting()).toEqual([id]);
    for (let waited = 0; waited <= EARLY_STATUS_WAIT_MS; waited += 15_000) {
      clock.advance(15_000);
      await jobs.runDue();
    }
    expect(await waiting()).toEqual([]);
    expect(await statusEvents(id)).toEqual([]);
  });

  it('an old status of a message not stored is skipped at once, and a stored message moves without waiting', async () => {
    const old = wamid();
    const body = statusOf(NUMBER, old, 'read');
    ((body.entry as any)[0].changes[0].value.statuses[0] as { timestamp: string }).timestamp = epoch(3600);
    expect((await post(t, body)).status).toBe(200);
    expect(await waiting()).toEqual([]);

    const id = wamid();
    await store(id);
    expect((await post(t, statusOf(NUMBER, id, 'sent'))).status).toBe(200);
    expect(await waiting()).toEqual([]);
    expect(await statusEvents(id)).toEqual(['sent']);
  });

  it("a waiting status does not move another channel's message of that id", async () => {
    const other = await t.tenant();
    const id = wamid();
    expect((await post(t, statusOf(NUMBER, id, 'sent'))).status).toBe(200);
    await insertMessageRow(t.deps.db, {
      id,
      channel_id: other.channel_id,
      partner_id: other.partner_id,
      client_id: other.client_id,
      direction: 'outbound',
      status: 'accepted',
      wa_id: '4917600000001',
      category: 'service',
      created_at: clock.now().toISOString(),
    });
    clock.advance(600);
    await jobs.runDue();
    expect(await waiting()).toEqual([]);
    const row = await t.deps.db.kysely.selectFrom('messages').select(['status']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('accepted');
  });

  it('sent kept early, message committed, delivered arrives before the job looks again: the webhook still gets sent, then delivered', async () => {
    const id = wamid();
    // 1. Meta's `sent` beats the send's commit: kept as a job (first look in 0.5 s).
    expect((await post(t, statusOf(NUMBER, id, 'sent'))).status).toBe(200);
    expect(await waiting()).toEqual([id]);
    // 2. The send's transaction commits a few ms later.
    await store(id);
    // 3. Meta's `delivered` comes 200 ms after `sent` (recipient online): applied directly.
    clock.advance(200);
    expect((await post(t, statusOf(NUMBER, id, 'delivered'))).status).toBe(200);
    // 4. The kept `sent` job runs.
    clock.advance(400);
    await jobs.runDue();
    expect(await waiting()).toEqual([]);
    const row = await t.deps.db.kysely.selectFrom('messages').select(['status', 'sent_at', 'delivered_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('delivered');
    expect(await statusEvents(id)).toEqual(['sent', 'delivered']);
    expect(row.sent_at).not.toBeNull();
  });
});
