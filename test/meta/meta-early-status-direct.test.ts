// A status kept as an early-status job is not lost when a later status of the same message
// reaches the direct path (message already stored) before the job looks again: both are applied in order.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { insertMessageRow } from '../helpers/messages.ts';
import { ManualClock } from '../../src/clock.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { EARLY_STATUS_JOB } from '../../src/network/meta/early-statuses.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { ACCESS_TOKEN, META_ENV, post, statusOf, wamid } from './meta-webhook-fixtures.ts';

const NUMBER = '106540352277899';

describeEachDb('early statuses and the direct path', (kind) => {
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

  it('sent kept early, message committed, delivered arrives before the job looks again: the webhook still gets sent, then delivered', async () => {
    const id = wamid();
    // 1. Meta's `sent` beats the send's commit: kept as a job (first look in 0.5 s).
    expect((await post(t, statusOf(NUMBER, id, 'sent'))).status).toBe(200);
    expect(await waiting()).toEqual([id]);
    // 2. The send's transaction commits a few ms later.
    await insertMessageRow(t.deps.db, { id, channel_id: p.channel_id, partner_id: p.partner_id, client_id: p.client_id, direction: 'outbound', status: 'accepted', wa_id: '4917600000001', category: 'service', created_at: clock.now().toISOString() });
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
