import type { Kysely } from 'kysely';

// 360dialog's block of GET /{media_id} after 20 errors within 60 minutes (reference §4.4),
// shared by every instance on the database (messaging/media/get-error-block.ts):
// - media_get_errors: one row per counted error (a 4xx answer of GET /{media_id}), so the window
//   slides exactly as 360's "20 errors within 60 min" reads: the count is of the rows newer than
//   the window. Rows of several instances for one channel add up; inserts never conflict.
//   A block deletes the channel's rows (the block forgets the errors before it); maintenance
//   deletes rows older than the window.
// - media_get_blocks: a channel's block, until when (ISO-8601 UTC). Every instance reads the
//   blocks still running every few seconds; maintenance deletes the ended ones.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('media_get_errors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('errored_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('media_get_errors_channel').on('media_get_errors').columns(['channel_id', 'errored_at']).execute();
  await db.schema
    .createTable('media_get_blocks')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('blocked_until', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('media_get_blocks_until').on('media_get_blocks').column('blocked_until').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('media_get_blocks').execute();
  await db.schema.dropTable('media_get_errors').execute();
}
