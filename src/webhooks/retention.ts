// Retention of the outbox: delivered and failed events older than OPENWABA_WEBHOOK_RETENTION_DAYS
// are deleted with their attempts, in batches (run by the hourly maintenance, not the dispatcher).
import type { Deps } from '../deps.ts';

/** Deletes delivered and failed events (and their attempts) older than the retention. */
export async function pruneWebhookEvents(deps: Deps): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.config.webhookRetentionDays * 86400_000).toISOString();
  let total = 0;
  for (;;) {
    const ids = (
      await deps.db.kysely
        .selectFrom('webhook_events')
        .select('id')
        .where('status', 'in', ['delivered', 'failed'])
        .where('created_at', '<', cutoff)
        .limit(500)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return total;
    await deps.db.kysely.transaction().execute(async (tx) => {
      await tx.deleteFrom('webhook_attempts').where('event_id', 'in', ids).execute();
      await tx.deleteFrom('webhook_events').where('id', 'in', ids).execute();
    });
    total += ids.length;
  }
}
