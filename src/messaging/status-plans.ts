// Carrying out sandbox status plans: each outbound sandbox message carries the status steps
// still to come in its own row (status_plan, status_due_at; see migration 0007). The job
// scheduler runs due plans alongside its jobs, in the same batches and transactions: each step
// moves the message (applyStatus, which writes the webhook event in that transaction) and the
// plan shrinks, or is cleared after its last step. On PostgreSQL due rows are taken with FOR
// UPDATE SKIP LOCKED, so several instances share them and none applies a step twice.
// Jobs of kind message_status (a plan in a job row) were written before migration 0007; they
// still run.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db, Executor } from '../db/index.ts';
import { prepared, type Placeholder } from '../db/prepared.ts';
import type { Deps } from '../deps.ts';
import { registerDueSource, registerJobHandler, signalJobsDue } from '../jobs/scheduler.ts';
import type { StatusStep } from '../network/types.ts';
import { applyStatus } from './statuses.ts';

/** A network's steps as the message row stores them (insertMessage's `plan`), or none. */
export function storedPlan(steps: StatusStep[] | undefined): { steps: string; dueAt: string } | undefined {
  const first = steps?.[0];
  return first && { steps: JSON.stringify(steps), dueAt: new Date(first.at).toISOString() };
}

/** After the send commits, wake the scheduler for the plan's first step (it sleeps until its next known due time). */
export function scheduleStatusPlan(deps: Deps, tx: Executor, steps: StatusStep[] | undefined): void {
  const first = steps?.[0];
  if (first) signalJobsDue(deps, tx, new Date(first.at));
}

/** Applies the steps that are due now (by the clock), in order; returns the rest (empty when none is left). */
async function applyDueSteps(deps: Deps, tx: Transaction<Database>, messageId: string, steps: StatusStep[]): Promise<StatusStep[]> {
  const now = deps.clock.now().getTime();
  let i = 0;
  for (; i < steps.length && steps[i]!.at <= now; i++) {
    const s = steps[i]!;
    await applyStatus(deps, tx, messageId, s.status, new Date(s.at), s.error);
  }
  return steps.slice(i);
}

registerJobHandler('message_status', async (deps, tx, job, payload) => {
  const rest = await applyDueSteps(deps, tx, job.ref_id, payload as StatusStep[]);
  if (rest.length === 0) return { done: true };
  return { again: new Date(rest[0]!.at), payload: rest };
});

interface PlanRow {
  id: string;
  status_plan: string | null;
}

// The WHERE terms repeat the partial index messages_status_due's condition (SQLite uses it then).
const dueQuery = (db: Executor, p: Placeholder) =>
  db
    .selectFrom('messages')
    .select(['id', 'status_plan'])
    .where('status_due_at', 'is not', null)
    .where('status_due_at', '<=', p<string>(0))
    .orderBy('status_due_at')
    .limit(p<number>(1));
const takeSqlite = prepared(dueQuery);
const takePg = prepared((db, p) => dueQuery(db, p).forUpdate().skipLocked());
const savePlan = prepared((db, p) => db.updateTable('messages').set({ status_plan: p(0), status_due_at: p(1) }).where('id', '=', p<string>(2)));

function parseSteps(json: string | null): StatusStep[] {
  if (!json) return [];
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as StatusStep[]) : [];
  } catch {
    return []; // written by us; unreadable means nothing left to do
  }
}

registerDueSource<PlanRow>({
  name: 'message status plans',
  async take(tx, now, limit, pg) {
    return (await (pg ? takePg : takeSqlite)(tx, [now, limit])).rows;
  },
  async takeOne(tx, id, pg) {
    const q = tx.selectFrom('messages').select(['id', 'status_plan']).where('id', '=', id).where('status_due_at', 'is not', null);
    return (pg ? q.forUpdate().skipLocked() : q).executeTakeFirst();
  },
  async apply(deps: Deps, tx: Transaction<Database>, row) {
    const rest = storedPlan(await applyDueSteps(deps, tx, row.id, parseSteps(row.status_plan)));
    await savePlan(tx, [rest?.steps ?? null, rest?.dueAt ?? null, row.id]);
  },
  async defer(db: Db, id, until) {
    await db.kysely.updateTable('messages').set({ status_due_at: until }).where('id', '=', id).where('status_due_at', 'is not', null).execute();
  },
  async nextDue(db: Db) {
    const row = await db.kysely.selectFrom('messages').select('status_due_at').where('status_due_at', 'is not', null).orderBy('status_due_at').limit(1).executeTakeFirst();
    return row?.status_due_at ?? undefined;
  },
});
