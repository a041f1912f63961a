// A sandbox message's statuses to come are stored in its own row (status_plan, status_due_at)
// in the send's transaction, and carried out by the job scheduler when due: nothing of them is
// held in memory, so a scheduler that starts later (a restart) finds them all. Jobs of kind
// message_status written before migration 0007 still run.
import { afterAll, beforeAll, expect, it } from 'vitest';
import SqliteDatabase from 'better-sqlite3';
import { ManualClock } from '../../src/clock.ts';
import { sqliteFile } from '../../src/config.ts';
import { OTHER_CONNECTIONS_CHECK_MS } from '../../src/db/change-tracker.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

describeEachDb('sandbox status plans', (kind) => {
  const clock = new ManualClock(new Date('2026-05-01T09:00:00.000Z'));
  let t: TestApp;
  let p: BootstrapResult;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const row = (id: string) =>
    t.deps.db.kysely.selectFrom('messages').select(['status', 'status_plan', 'status_due_at', 'sent_at', 'delivered_at', 'read_at']).where('id', '=', id).executeTakeFirstOrThrow();
  const sendTemplate = async (to: string) => {
    const res = await t.post('/messages', {
      headers: key(),
      json: { messaging_product: 'whatsapp', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } },
    });
    expect(res.status).toBe(200);
    return res.body.messages[0].id as string;
  };

  beforeAll(async () => {
    // No scheduler runs on its own here: each test runs due work by hand, as a restarted one would.
    t = await startTestApp(kind, { clock, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=1s,delivered=2s,read=3s' } });
    p = await t.tenant();
  });
  afterAll(() => t.close());

  it('stores the plan with the message, and a scheduler started afterwards carries it out step by step', async () => {
    const accepted = clock.now().getTime();
    const id = await sendTemplate('4915550001001');
    const stored = await row(id);
    expect(stored.status).toBe('accepted');
    expect(stored.status_due_at).toBe(new Date(accepted + 1_000).toISOString());
    expect(JSON.parse(stored.status_plan!).map((s: { status: string }) => s.status)).toEqual(['sent', 'delivered', 'read']);

    // Nothing is due yet.
    expect(await new JobScheduler(t.deps).runDue()).toBe(0);
    expect((await row(id)).status).toBe('accepted');

    // A new scheduler (as after a restart) finds the plan in the row.
    clock.advance(1_000);
    expect(await new JobScheduler(t.deps).runDue()).toBeGreaterThanOrEqual(1);
    const afterSent = await row(id);
    expect(afterSent.status).toBe('sent');
    expect(afterSent.sent_at).toBe(new Date(accepted + 1_000).toISOString());
    expect(afterSent.status_due_at).toBe(new Date(accepted + 2_000).toISOString());
    // The plan stays as written; the status tells how far it got.
    expect(afterSent.status_plan).toBe(stored.status_plan);

    // Late by far: the remaining steps are applied in order, each at its own time, and the plan is cleared.
    clock.advance(60_000);
    await new JobScheduler(t.deps).runDue();
    const done = await row(id);
    expect(done).toMatchObject({
      status: 'read',
      status_plan: null,
      status_due_at: null,
      delivered_at: new Date(accepted + 2_000).toISOString(),
      read_at: new Date(accepted + 3_000).toISOString(),
    });
    expect(await new JobScheduler(t.deps).runDue()).toBe(0);
  });

  it('runs plans in batches: more than one batch due at once all reach read', async () => {
    const ids: string[] = [];
    // 300 sends (more than two batches of 128), at most 60 a second: under the channel's limit.
    for (let i = 0; i < 300; i++) {
      if (i % 60 === 59) clock.advance(1_000);
      ids.push(await sendTemplate(`4915555${String(i).padStart(5, '0')}`));
    }
    clock.advance(10_000);
    expect(await new JobScheduler(t.deps).runDue()).toBeGreaterThanOrEqual(300);
    const rows = await t.deps.db.kysely.selectFrom('messages').select(['id', 'status', 'status_due_at']).where('id', 'in', ids).execute();
    expect(rows).toHaveLength(300);
    expect(rows.every((r) => r.status === 'read' && r.status_due_at === null)).toBe(true);
  });

  // The channel's part of a status move (whether it has a webhook, its format) is read for each
  // move; SQLite keeps copies of it between rounds, which a change to the channel must replace.
  const statusEvents = async (id: string) =>
    (await t.deps.db.kysely.selectFrom('webhook_events').select(['event_type', 'body']).where('target_id', '=', p.channel_id).execute())
      .filter((e) => e.body.includes(id))
      .map((e) => (JSON.parse(e.body) as { entry?: { changes: { value: { statuses: { status: string }[] } }[] }[]; statuses?: { status: string }[] }))
      .map((b) => (b.entry ? b.entry[0]!.changes[0]!.value.statuses[0]!.status : b.statuses![0]!.status));

  it('a webhook set between two steps of a plan gets the steps after it', async () => {
    await t.post('/v1/configs/webhook', { headers: key(), json: { url: '' } });
    const id = await sendTemplate('4915556000001');
    clock.advance(1_000);
    await new JobScheduler(t.deps).runDue();
    expect((await row(id)).status).toBe('sent');
    expect(await statusEvents(id)).toEqual([]);

    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: 'http://127.0.0.1:9/hook' } })).status).toBe(200);
    clock.advance(1_000);
    await new JobScheduler(t.deps).runDue();
    expect(await statusEvents(id)).toEqual(['delivered']);

    // And a webhook removed between two steps gets none after it.
    await t.post('/v1/configs/webhook', { headers: key(), json: { url: '' } });
    clock.advance(1_000);
    await new JobScheduler(t.deps).runDue();
    expect((await row(id)).status).toBe('read');
    expect(await statusEvents(id)).toEqual(['delivered']);
  });

  if (kind === 'sqlite') {
    it('a change to the channel by another process on the same file is seen by the next round', async () => {
      const id = await sendTemplate('4915556000002');
      clock.advance(1_000);
      await new JobScheduler(t.deps).runDue();
      expect(await statusEvents(id)).toEqual([]);
      // As the CLI would: another connection to the same file.
      const other = new SqliteDatabase(sqliteFile(t.deps.config.databaseUrl)!);
      try {
        other.prepare('update channels set webhook_url = ? where id = ?').run('http://127.0.0.1:9/other', p.channel_id);
      } finally {
        other.close();
      }
      await new Promise((r) => setTimeout(r, OTHER_CONNECTIONS_CHECK_MS + 20));
      clock.advance(1_000);
      await new JobScheduler(t.deps).runDue();
      expect(await statusEvents(id)).toEqual(['delivered']);
      await t.post('/v1/configs/webhook', { headers: key(), json: { url: '' } });
    });
  }

  it('still runs a message_status job written before plans moved into the message row', async () => {
    const id = await sendTemplate('4915550003001');
    // As an older version stored it: no plan in the row, a job with the steps.
    await t.deps.db.kysely.updateTable('messages').set({ status_plan: null, status_due_at: null }).where('id', '=', id).execute();
    const at = clock.now().getTime();
    await t.deps.db.kysely
      .insertInto('jobs')
      .values({
        id: `job_legacy${kind}`,
        kind: 'message_status',
        ref_id: id,
        payload: JSON.stringify([
          { status: 'sent', at: at + 1_000 },
          { status: 'delivered', at: at + 2_000 },
        ]),
        status: 'pending',
        available_at: new Date(at + 1_000).toISOString(),
        lease_owner: null,
        attempts: 0,
        last_error: null,
        created_at: new Date(at).toISOString(),
        finished_at: null,
      })
      .execute();
    clock.advance(1_500);
    await new JobScheduler(t.deps).runDue();
    expect((await row(id)).status).toBe('sent');
    clock.advance(1_000);
    await new JobScheduler(t.deps).runDue();
    expect((await row(id)).status).toBe('delivered');
    expect(await t.deps.db.kysely.selectFrom('jobs').select('id').where('ref_id', '=', id).execute()).toEqual([]);
  });
});
