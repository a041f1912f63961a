// A delivery attempt keeps up to 1 KB of what the receiver answered (response_excerpt), shown in
// the events API to tell why a delivery failed. A receiver may echo what it was sent (a message's
// text, a contact's name), so the excerpts leave with the content they might repeat: attempts
// started before the content retention's cutoff lose their excerpt (the outcome, status code and
// times stay). The walk goes up the started_at index from where the last run stopped (kept in
// instance_settings), so an hourly run reads only the attempts that passed the cutoff since.
import type { Deps } from '../deps.ts';
import { raiseSetting, readSetting } from '../services/instance-settings.ts';
import { turn } from './body-retention.ts';

/** instance_settings key: attempts started before this (ISO) have had their excerpts removed. */
export const EXCERPTS_PROGRESS_KEY = 'webhook_attempt_excerpts_removed_before';

/** Removes the response excerpts of attempts started before `before`, in batches; how many it changed. */
export async function removeResponseExcerptsBefore(deps: Deps, before: string, batchSize = 500): Promise<number> {
  const db = deps.db.kysely;
  let from = (await readSetting(db, EXCERPTS_PROGRESS_KEY)) ?? '';
  if (from >= before) return 0;
  let total = 0;
  for (;;) {
    const rows = await db
      .selectFrom('webhook_attempts')
      .select(['id', 'started_at'])
      .where('started_at', '>=', from)
      .where('started_at', '<', before)
      .where('response_excerpt', 'is not', null)
      .orderBy('started_at')
      .limit(batchSize)
      .execute();
    if (rows.length > 0) {
      const r = await db.updateTable('webhook_attempts').set({ response_excerpt: null }).where('id', 'in', rows.map((x) => x.id)).executeTakeFirst();
      total += Number(r.numUpdatedRows);
    }
    if (rows.length < batchSize) break;
    // The next batch starts at the last one's instant (those done are skipped by the null test).
    from = rows[rows.length - 1]!.started_at;
    await turn();
  }
  await raiseSetting(db, EXCERPTS_PROGRESS_KEY, before);
  return total;
}
