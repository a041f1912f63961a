// Carrying out sandbox status plans: each outbound sandbox message carries the status steps
// still to come in its own row (status_plan, status_due_at; see migration 0007). The job
// scheduler runs due plans alongside its jobs, in the same batches and transactions: each step
// moves the message (applyStatus, which writes the webhook event in that transaction) and the
// plan shrinks, or is cleared after its last step. On PostgreSQL due rows are taken with FOR
// UPDATE SKIP LOCKED, so several instances share them and none applies a step twice.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db, Executor } from '../db/index.ts';
import { prepared } from '../db/prepared.ts';
import type { Deps } from '../deps.ts';
import { registerDueSource } from '../jobs/scheduler.ts';
import { applyDueSteps, type Step } from '../network/sandbox.ts';
import { onCommit, outboxSignal } from '../webhooks/outbox.ts';

/** After the send commits, wake the scheduler (it sleeps until its next known due time). */
export function scheduleStatusPlan(deps: Deps, tx: Executor, dueAt: Date): void {
  const t = dueAt.getTime();
  onCommit(deps, tx, () => outboxSignal(deps.db).emit('jobs', t));
}

interface PlanRow {
  id: string;
  status_plan: string | null;
}

// The WHERE terms repeat the partial index messages_status_due's condition (SQLite uses it then).
const takeSqlite = prepared((db, p) =>
  db
    .selectFrom('messages')
    .select(['id', 'status_plan'])
    .where('status_due_at', 'is not', null)
    .where('status_due_at', '<=', p<string>(0))
    .orderBy('status_due_at')
    .limit(p<number>(1)),
);
const takePg = prepared((db, p) =>
  db
    .selectFrom('messages')
    .select(['id', 'status_plan'])
    .where('status_due_at', 'is not', null)
    .where('status_due_at', '<=', p<string>(0))
    .orderBy('status_due_at')
    .limit(p<number>(1))
    .forUpdate()
    .skipLocked(),
);
const savePlan = prepared((db, p) => db.updateTable('messages').set({ status_plan: p(0), status_due_at: p(1) }).where('id', '=', p<string>(2)));

function parseSteps(json: string | null): Step[] {
  if (!json) return [];
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as Step[]) : [];
  } catch {
    return []; // written by us; unreadable means nothing left to do
  }
}

registerDueSource<PlanRow>({
  name: 'message status plans',
  async take(tx, now, limit, pg) {
    return (await (pg ? takePg : takeSqlite)(tx, [now, limit])).rows;
  },
  async takeOne(tx, id) {
    return tx.selectFrom('messages').select(['id', 'status_plan']).where('id', '=', id).where('status_due_at', 'is not', null).executeTakeFirst();
  },
  async apply(deps: Deps, tx: Transaction<Database>, row) {
    const rest = await applyDueSteps(deps, tx, row.id, parseSteps(row.status_plan));
    const next = rest[0];
    await savePlan(tx, [next ? JSON.stringify(rest) : null, next ? new Date(next.at).toISOString() : null, row.id]);
  },
  async defer(db: Db, id, until) {
    await db.kysely.updateTable('messages').set({ status_due_at: until }).where('id', '=', id).where('status_due_at', 'is not', null).execute();
  },
  async nextDue(db: Db) {
    const row = await db.kysely.selectFrom('messages').select('status_due_at').where('status_due_at', 'is not', null).orderBy('status_due_at').limit(1).executeTakeFirst();
    return row?.status_due_at ?? undefined;
  },
});
