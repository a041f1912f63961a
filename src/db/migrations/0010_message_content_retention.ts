import { sql, type Kysely } from 'kysely';

// Message content retention (messaging/content-retention.ts): a message's content is replaced by
// a small marker after OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS, and content_removed_at says when.
// The hourly removal looks for "content still there, created before the cutoff": a partial index
// on created_at over the rows that still have their content serves exactly that, and only that
// (no other query names content_removed_at, so no other plan changes). Rows leave the index when
// their content goes, so it holds about the retention period's messages, not the whole history,
// and finding the next batch never walks rows done in earlier hours. A send adds one entry at the
// index's end (created_at only grows), the cheapest kind of index write.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('content_removed_at', 'text').execute();
  await db.schema
    .createIndex('messages_content_kept')
    .on('messages')
    .column('created_at')
    .where(sql.ref('content_removed_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_content_kept').execute();
  await db.schema.alterTable('messages').dropColumn('content_removed_at').execute();
}
