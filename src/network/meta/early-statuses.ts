// Statuses that reach us before their message is stored. A send through Meta is stored only
// once Meta has answered it (send.ts), in a transaction of its own; Meta's `sent` notification
// may come in before that transaction commits (on PostgreSQL, on another instance, while the
// sending one waits for its pool). Skipping it would lose the status for good: Meta never sends
// it again. So a status of a message we do not have, on a number attached here, and recent
// enough to belong to a send still being stored, is kept as a durable job that looks for the
// message again shortly after (the same scheduler as the sandbox's statuses: on PostgreSQL one
// instance takes it, and it survives a restart). Whichever commits first, the retry after both
// have committed finds the message: no lock between the two paths is needed.
//
// A status of a message that never appears (sent with the number's token outside openwaba) is
// dropped after EARLY_STATUS_WAIT_MS, as it was skipped before.
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { enqueueJob, registerJobHandler } from '../../jobs/scheduler.ts';
import { lockedStepFacts, type StepFacts } from '../../messaging/status-facts.ts';
import { advanceStatus, canMove, type StatusMove } from '../../messaging/statuses.ts';
import { firstForwarding } from './forwarded-changes.ts';
import type { MetaStatus } from './notification.ts';

export const EARLY_STATUS_JOB = 'meta_early_status';
/** How long a status waits for its message: a send is stored milliseconds after Meta answers it, seconds at worst. */
export const EARLY_STATUS_WAIT_MS = 120_000;
/** Only statuses this recent (Meta's timestamp) wait: an old status of an unknown message belongs to no send in progress. */
const RECENT_MS = 10 * 60_000;
/** Looks again after 0.5, 1, 2, 4, 8, 15, 15, … s. */
const RETRY_MS = [500, 1_000, 2_000, 4_000, 8_000, 15_000];

interface EarlyStatus {
  channel_id: string;
  status: MetaStatus;
  first_seen_ms: number;
  tries: number;
}

const ORDER: Record<string, number> = { sent: 1, delivered: 2, read: 3, played: 4, failed: 5 };

function toMove(s: MetaStatus, nowMs: number): StatusMove {
  return { status: s.status, at: Math.min(s.atMs, nowMs), error: s.error, reported: s.reported };
}

/**
 * Moves one of the channel's outbound messages forward with Meta's status (never back: a
 * `delivered` after `read` changes nothing). 'moved' | 'not-moved' (a message of another
 * channel, an inbound one, or a move that is not forward) | 'absent' (no such message stored).
 */
export async function moveMetaStatus(
  deps: Deps,
  tx: Transaction<Database>,
  channelId: string,
  s: MetaStatus,
  /** More statuses of the same message to take with it, read only when the message is there. */
  more?: () => Promise<MetaStatus[]>,
): Promise<'moved' | 'not-moved' | 'absent'> {
  // Locked: Meta's statuses of one message often come in separate POSTs milliseconds apart.
  const facts = await lockedStepFacts(deps.db, tx, s.id);
  if (!facts) return 'absent';
  if (facts.channel_id !== channelId || facts.direction !== 'outbound') return 'not-moved';
  const now = deps.clock.now().getTime();
  const statuses = more ? [s, ...(await more())] : [s];
  const sorted = statuses.sort((a, b) => (ORDER[a.status] ?? 0) - (ORDER[b.status] ?? 0) || a.atMs - b.atMs);
  const moves = await withPlayedOnce(deps, tx, facts, sorted.map((s) => toMove(s, now)));
  // A message sent through Meta has no status plan; whatever it has is kept as it is.
  const taken = await advanceStatus(deps, tx, facts, moves, { steps: facts.status_plan, dueAt: facts.status_due_at });
  return taken > 0 ? 'moved' : 'not-moved';
}

/**
 * The moves without a `played` the channel's webhook must not get again. played is not stored
 * (the row stays read: messaging/statuses.ts), so the forward-only status that keeps a repeated
 * sent/delivered/read from going twice does not stop it: Meta's retry of the notification (or a
 * second played of the same voice note) would find the message read again and tell it again. So
 * the first played that goes is written down as the changes passed on as they came are
 * (forwarded-changes.ts, remembered for Meta's 7 days of retries), keyed by the channel and the
 * wamid, in this transaction: any later one is dropped. Also dropped: a played of an On-Premise
 * channel (its statuses have no played, reference §5.2, as the sandbox leaves it out), and more
 * than one in these moves. A played before the message is read cannot be taken (canMove) and is
 * not written down: a later delivery, after the read, may still take it.
 */
async function withPlayedOnce(deps: Deps, tx: Transaction<Database>, facts: StepFacts, moves: StatusMove[]): Promise<StatusMove[]> {
  if (!moves.some((m) => m.status === 'played')) return moves;
  const out: StatusMove[] = [];
  let status = facts.status;
  let played = false;
  for (const m of moves) {
    if (m.status !== 'played') {
      if (canMove(status, m.status)) status = m.status;
      out.push(m);
      continue;
    }
    if (played || facts.hosting_type === 'onpremise' || !canMove(status, 'played')) continue;
    played = true;
    // Written down only when it goes (a webhook to go to): without one, a later retry may still take it.
    if (facts.webhook_url && facts.partner_id && !(await firstForwarding(deps, tx, { target: facts.channel_id, change: { field: 'statuses', value: { id: facts.id, status: 'played' } } }))) continue;
    out.push(m);
  }
  return out;
}

/** Whether a status of a message we do not have should wait for it (see the top of this file). */
export function mayBeEarly(deps: Deps, s: MetaStatus): boolean {
  return deps.clock.now().getTime() - s.atMs < RECENT_MS;
}

/** Keeps a status of a message not stored yet; it is applied once the message is (see above). */
export async function keepEarlyStatus(deps: Deps, tx: Transaction<Database>, channelId: string, s: MetaStatus): Promise<void> {
  const now = deps.clock.now().getTime();
  const payload: EarlyStatus = { channel_id: channelId, status: s, first_seen_ms: now, tries: 0 };
  await enqueueJob(deps, tx, { kind: EARLY_STATUS_JOB, refId: s.id, at: new Date(now + RETRY_MS[0]!), payload });
}

function readPayload(raw: unknown): EarlyStatus | undefined {
  const p = raw as Partial<EarlyStatus> | null;
  if (!p || typeof p !== 'object' || typeof p.channel_id !== 'string' || !p.status || typeof p.status.id !== 'string' || typeof p.first_seen_ms !== 'number') return undefined;
  return { channel_id: p.channel_id, status: p.status, first_seen_ms: p.first_seen_ms, tries: typeof p.tries === 'number' ? p.tries : 0 };
}

/**
 * The statuses of a message still waiting for it (their jobs; `except`: the job asking), so that
 * statuses kept apart, or a kept one and the one arriving now, are applied together and in order:
 * applied alone, a `delivered` first would make the `sent` after it a move back, and the channel's
 * webhook would never get it. Their own jobs then find nothing left to move and end.
 */
export async function waitingStatuses(tx: Transaction<Database>, messageId: string, channelId: string, except?: string): Promise<MetaStatus[]> {
  let q = tx.selectFrom('jobs').select(['id', 'payload']).where('kind', '=', EARLY_STATUS_JOB).where('ref_id', '=', messageId);
  if (except) q = q.where('id', '!=', except);
  const out: MetaStatus[] = [];
  for (const r of await q.execute()) {
    let p: EarlyStatus | undefined;
    try {
      p = readPayload(JSON.parse(r.payload));
    } catch {
      p = undefined;
    }
    if (p && p.channel_id === channelId && p.status.id === messageId) out.push(p.status);
  }
  return out;
}

registerJobHandler(EARLY_STATUS_JOB, async (deps, tx, job, raw) => {
  const p = readPayload(raw);
  if (!p) return { done: true }; // written by us; unreadable means nothing left to do
  const found = await moveMetaStatus(deps, tx, p.channel_id, p.status, () => waitingStatuses(tx, job.ref_id, p.channel_id, job.id));
  if (found !== 'absent') return { done: true };
  const now = deps.clock.now().getTime();
  if (now - p.first_seen_ms >= EARLY_STATUS_WAIT_MS) return { done: true };
  const wait = RETRY_MS[Math.min(p.tries + 1, RETRY_MS.length - 1)]!;
  return { again: new Date(now + wait), payload: { ...p, tries: p.tries + 1 } };
});
