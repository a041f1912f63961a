// Retention of message content. A message's content (the text, caption, location, contact cards,
// template parameters, reaction… it was sent or received with) is personal data and is kept no
// longer than OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS (Meta's Cloud API keeps it at most 30 days).
// The row itself stays: usage statistics count rows (type, direction, category, status) and the
// status history lives in its timestamps. Run by the hourly maintenance.
//
// The content column is NOT NULL and every reader expects JSON `{type, <type>: …}`, so removed
// content becomes a marker of the same outer shape, without the `<type>` part:
//
//   {"type":"text","removed":{"at":"2026-07-01T12:00:00.000Z","retention_days":30}}
//
// A reader that looks up `content[type]` finds nothing instead of failing; one that knows the
// marker says "content removed after 30 days" (the retention in force when it was removed, which a
// later change of the setting does not rewrite). Media ids, links and reply contexts go with the
// rest, so a removed message never points at a media file that has expired since; the row's own
// context_id (which message it answered) stays, as ids do.
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';

export interface ContentRemoval {
  /** When the content was removed (ISO). */
  at: string;
  /** The retention (days) that removed it. */
  retentionDays: number;
}

const DAY_MS = 86_400_000;

/** Rows per transaction: a large backlog is worked off in short transactions, not one long one. */
export const REMOVAL_BATCH = 500;

/** The marker that stands for a message's removed content (see the top of this file). */
export function removedContent(type: string, removal: ContentRemoval): string {
  return JSON.stringify({ type, removed: { at: removal.at, retention_days: removal.retentionDays } });
}

/** The removal a stored content (raw JSON text, or already parsed) records, or undefined for kept content. */
export function removalOf(content: unknown): ContentRemoval | undefined {
  let c = content;
  if (typeof c === 'string') {
    // Only a marker is of interest: skip parsing kept content, which begins {"type":…,"<type>".
    if (!c.includes('"removed"')) return undefined;
    try {
      c = JSON.parse(c) as unknown;
    } catch {
      return undefined;
    }
  }
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return undefined;
  const r = (c as { removed?: unknown }).removed;
  if (r === null || typeof r !== 'object') return undefined;
  const { at, retention_days: days } = r as { at?: unknown; retention_days?: unknown };
  return typeof at === 'string' && typeof days === 'number' ? { at, retentionDays: days } : undefined;
}

/** "content removed after 30 days", for the pages that show messages. */
export function removalText(r: ContentRemoval): string {
  return `content removed after ${r.retentionDays} ${r.retentionDays === 1 ? 'day' : 'days'}`;
}

/**
 * The next messages whose content is due for removal, oldest first. `content_removed_at is null`
 * names the partial index messages_content_kept (migration 0010) to the planner, so the query
 * reads only rows that still have content, never the history already done.
 */
export function dueForRemoval(db: Executor, cutoff: string, limit: number) {
  return db
    .selectFrom('messages')
    .select(['id', 'type'])
    .where('content_removed_at', 'is', null)
    .where('created_at', '<', cutoff)
    .orderBy('created_at')
    .limit(limit);
}

/**
 * Removes the content of at most `limit` messages created before `cutoff`, in one transaction.
 * `due`: how many it found (fewer than `limit`: nothing more is due); `removed`: how many it removed.
 */
export async function removeContentBatch(deps: Deps, cutoff: string, removal: ContentRemoval, limit = REMOVAL_BATCH): Promise<{ due: number; removed: number }> {
  const due = await dueForRemoval(deps.db.kysely, cutoff, limit).execute();
  if (due.length === 0) return { due: 0, removed: 0 };
  const byType = new Map<string, string[]>();
  for (const m of due) {
    const ids = byType.get(m.type);
    if (ids) ids.push(m.id);
    else byType.set(m.type, [m.id]);
  }
  let removed = 0;
  await deps.db.kysely.transaction().execute(async (tx) => {
    // One marker per type (a handful per batch). modified_at stays: it dates the last status
    // change, and removing content is none. `content_removed_at is null` again: another instance
    // running the same hour may have removed some of these since they were read.
    for (const [type, ids] of byType) {
      const r = await tx
        .updateTable('messages')
        .set({ content: removedContent(type, removal), content_removed_at: removal.at })
        .where('id', 'in', ids)
        .where('content_removed_at', 'is', null)
        .executeTakeFirst();
      removed += Number(r.numUpdatedRows);
    }
  });
  return { due: due.length, removed };
}

/**
 * Removes the content of every message older than the retention, batch by batch; returns how many.
 * Between batches the event loop gets a turn (better-sqlite3 runs each statement synchronously, so
 * back-to-back batches would keep requests waiting) and SQLite's write lock is free for others.
 */
export async function removeOldMessageContent(deps: Deps, batchSize = REMOVAL_BATCH): Promise<number> {
  const days = deps.config.messageContentRetentionDays;
  if (days === null) return 0;
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - days * DAY_MS).toISOString();
  const removal: ContentRemoval = { at: now.toISOString(), retentionDays: days };
  let total = 0;
  for (;;) {
    const batch = await removeContentBatch(deps, cutoff, removal, batchSize);
    total += batch.removed;
    if (batch.due < batchSize) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
