// A status round moves its whole batch with advanceStatuses: on PostgreSQL in one set-based
// UPDATE, on SQLite row by row. Both must do exactly what advanceStatus does for each message:
// forward moves only, the plan stored, a row moved meanwhile left alone (and not told twice), one
// webhook event per move taken.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { insertMessageRow } from '../helpers/messages.ts';
import { stepFacts } from '../../src/messaging/status-facts.ts';
import { advanceStatuses, type StatusAdvance } from '../../src/messaging/statuses.ts';
import { transact } from '../../src/webhooks/outbox.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

describeEachDb('status moves of a whole batch', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    await t.deps.db.kysely.updateTable('channels').set({ webhook_url: 'http://127.0.0.1:9/hook' }).where('id', '=', p.channel_id).execute();
  });
  afterAll(() => t?.close());

  const T0 = Date.parse('2026-03-01T10:00:00.000Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  const row = (status: string, extra: Record<string, unknown> = {}) =>
    insertMessageRow(t.deps.db, {
      channel_id: p.channel_id,
      partner_id: p.partner_id,
      client_id: p.client_id,
      direction: 'outbound',
      created_at: iso(T0),
      status: status as never,
      status_plan: '[]',
      status_due_at: iso(T0),
      ...extra,
    });
  const read = (id: string) =>
    t.deps.db.kysely.selectFrom('messages').select(['status', 'modified_at', 'sent_at', 'delivered_at', 'read_at', 'failed_at', 'error_code', 'error_title', 'status_plan', 'status_due_at']).where('id', '=', id).executeTakeFirstOrThrow();
  const events = async (id: string) =>
    (await t.deps.db.kysely.selectFrom('webhook_events').select(['body', 'id']).where('target_id', '=', p.channel_id).where('event_type', '=', 'status').orderBy('id').execute())
      .filter((e) => e.body.includes(id))
      .map((e) => (JSON.parse(e.body) as { entry: { changes: { value: { statuses: { status: string }[] } }[] }[] }).entry[0]!.changes[0]!.value.statuses[0]!.status);

  it('moves, plan-only saves, stale rows, inbound rows and failures in one batch', async () => {
    const twoSteps = await row('accepted');
    const oneStepMore = await row('accepted', { sent_at: null });
    const stale = await row('accepted');
    const behind = await row('read', { read_at: iso(T0 + 5) });
    const failing = await row('accepted');
    const inbound = await insertMessageRow(t.deps.db, { channel_id: p.channel_id, partner_id: p.partner_id, client_id: p.client_id, direction: 'inbound', created_at: iso(T0) });
    const facts = async (id: string) => (await stepFacts(t.deps.db.kysely, id))!;
    const items: StatusAdvance[] = [
      { facts: await facts(twoSteps), moves: [{ status: 'sent', at: T0 + 1 }, { status: 'delivered', at: T0 + 2 }], plan: { steps: null, dueAt: null } },
      { facts: await facts(oneStepMore), moves: [{ status: 'sent', at: T0 + 1 }], plan: { steps: '[{"status":"read"}]', dueAt: iso(T0 + 9) } },
      { facts: await facts(stale), moves: [{ status: 'sent', at: T0 + 1 }], plan: { steps: null, dueAt: null } },
      { facts: await facts(behind), moves: [{ status: 'delivered', at: T0 + 3 }], plan: { steps: null, dueAt: null } },
      { facts: await facts(failing), moves: [{ status: 'failed', at: T0 + 4, error: { code: 131047, title: 'Re-engagement message', details: 'window' } }], plan: { steps: null, dueAt: null } },
      { facts: await facts(inbound), moves: [{ status: 'read', at: T0 + 4 }], plan: { steps: null, dueAt: null } },
    ];
    // Another transaction moved `stale` after the batch read it.
    await t.deps.db.kysely.updateTable('messages').set({ status: 'sent', sent_at: iso(T0 + 7) }).where('id', '=', stale).execute();

    const taken = await transact(t.deps, (tx) => advanceStatuses(t.deps, tx, items));
    expect(taken).toBe(4); // sent + delivered, sent, failed

    expect(await read(twoSteps)).toMatchObject({ status: 'delivered', modified_at: iso(T0 + 2), sent_at: iso(T0 + 1), delivered_at: iso(T0 + 2), read_at: null, status_plan: null, status_due_at: null });
    expect(await events(twoSteps)).toEqual(['sent', 'delivered']);
    expect(await read(oneStepMore)).toMatchObject({ status: 'sent', sent_at: iso(T0 + 1), status_plan: '[{"status":"read"}]', status_due_at: iso(T0 + 9) });
    expect(await events(oneStepMore)).toEqual(['sent']);
    // Moved meanwhile: nothing written, not even the plan; no event.
    expect(await read(stale)).toMatchObject({ status: 'sent', sent_at: iso(T0 + 7), status_plan: '[]', status_due_at: iso(T0) });
    expect(await events(stale)).toEqual([]);
    // Not a forward move: only the plan is stored, the row's status and times stay.
    expect(await read(behind)).toMatchObject({ status: 'read', modified_at: iso(T0), delivered_at: null, read_at: iso(T0 + 5), status_plan: null, status_due_at: null });
    expect(await events(behind)).toEqual([]);
    expect(await read(failing)).toMatchObject({ status: 'failed', failed_at: iso(T0 + 4), error_code: 131047, error_title: 'Re-engagement message', status_plan: null });
    expect(await events(failing)).toEqual(['failed']);
    expect(await read(inbound)).toMatchObject({ status: 'received', read_at: null });
  });
});
