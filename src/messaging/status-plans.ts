// Carrying out sandbox status plans: each outbound sandbox message carries its status steps in
// its own row (status_plan, status_due_at; see migration 0007). The job scheduler runs due plans
// alongside its jobs, in the same batches and transactions: one read takes a batch of due rows
// (with their channels' facts: joined on PostgreSQL, from kept copies on SQLite; see
// status-facts.ts), and each row then takes its due steps with one guarded UPDATE
// (advanceStatus, which writes the webhook events in that transaction) that also moves
// status_due_at to the next step, or clears the plan after its last. On PostgreSQL due rows are
// taken with FOR UPDATE SKIP LOCKED, so several instances share them and none applies a step twice.
// Jobs of kind message_status (a plan in a job row) were written before migration 0007; they
// still run.
import type { SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db, Executor } from '../db/index.ts';
import { prepared, type Placeholder } from '../db/prepared.ts';
import type { Deps } from '../deps.ts';
import { registerDueSource, registerJobHandler, signalJobsDue } from '../jobs/scheduler.ts';
import type { StatusStep } from '../network/types.ts';
import { advanceStatus, advanceStatuses, type PlanProgress } from './statuses.ts';
import { addChannelFacts, stepFacts, withMessageFacts, withStepFacts, type StepFacts } from './status-facts.ts';

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

/** The steps due by `nowMs` (to take, in order) and the plan's progress after them. */
function dueSteps(steps: StatusStep[], plan: string | null, nowMs: number): { due: StatusStep[]; progress: PlanProgress } {
  const due = steps.filter((s) => s.at <= nowMs);
  const next = steps.find((s) => s.at > nowMs);
  // The plan stays as written until its last step: the message's status tells how far it got
  // (a step that is not forward from there is skipped), so it is never rewritten.
  return { due, progress: next ? { steps: plan, dueAt: new Date(next.at).toISOString() } : { steps: null, dueAt: null } };
}

registerJobHandler('message_status', async (deps, tx, job, payload) => {
  const steps = payload as StatusStep[];
  const now = deps.clock.now().getTime();
  const facts = await stepFacts(tx, job.ref_id);
  // A legacy job's message has no plan in its row: the row's plan columns are left as they are.
  if (facts) await advanceStatus(deps, tx, facts, steps.filter((s) => s.at <= now), { steps: facts.status_plan, dueAt: facts.status_due_at });
  const rest = steps.filter((s) => s.at > now);
  if (rest.length === 0) return { done: true };
  return { again: new Date(rest[0]!.at), payload: rest };
});

// Due rows, oldest first. The WHERE terms repeat the partial index messages_status_due's
// condition (SQLite uses it then). On SQLite the rows' channel facts come from kept copies
// (addChannelFacts); on PostgreSQL one join reads them, and only the message rows are locked (the
// channel's may be updated meanwhile).
const due = <Q extends SelectQueryBuilder<Database, 'messages', object>>(q: Q, p: Placeholder): Q =>
  q.where('messages.status_due_at', 'is not', null).where('messages.status_due_at', '<=', p<string>(0)).orderBy('messages.status_due_at').limit(p<number>(1)) as Q;
const takeSqlite = prepared((db, p) => due(withMessageFacts(db), p));
const takePg = prepared((db, p) => due(withStepFacts(db), p).forUpdate(['messages']).skipLocked());

function parseSteps(json: string | null): StatusStep[] {
  if (!json) return [];
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as StatusStep[]) : [];
  } catch {
    return []; // written by us; unreadable means nothing left to do
  }
}

registerDueSource<StepFacts>({
  name: 'message status plans',
  async take(tx, now, limit, pg, db) {
    if (pg) return (await takePg(tx, [now, limit])).rows as StepFacts[];
    return addChannelFacts(db, tx, (await takeSqlite(tx, [now, limit])).rows);
  },
  async takeOne(tx, id, pg) {
    const q = withStepFacts(tx).where('messages.id', '=', id).where('messages.status_due_at', 'is not', null);
    return (await (pg ? q.forUpdate(['messages']).skipLocked() : q).executeTakeFirst()) as StepFacts | undefined;
  },
  async apply(deps: Deps, tx: Transaction<Database>, row) {
    const { due, progress } = dueSteps(parseSteps(row.status_plan), row.status_plan, deps.clock.now().getTime());
    await advanceStatus(deps, tx, row, due, progress);
  },
  async applyAll(deps: Deps, tx: Transaction<Database>, rows) {
    const now = deps.clock.now().getTime();
    await advanceStatuses(
      deps,
      tx,
      rows.map((row) => {
        const { due, progress } = dueSteps(parseSteps(row.status_plan), row.status_plan, now);
        return { facts: row, moves: due, plan: progress };
      }),
    );
  },
  async defer(db: Db, id, until) {
    await db.kysely.updateTable('messages').set({ status_due_at: until }).where('id', '=', id).where('status_due_at', 'is not', null).execute();
  },
  async nextDue(db: Db) {
    const row = await db.kysely.selectFrom('messages').select('status_due_at').where('status_due_at', 'is not', null).orderBy('status_due_at').limit(1).executeTakeFirst();
    return row?.status_due_at ?? undefined;
  },
});
