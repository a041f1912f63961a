import { PostgresAdapter, sql, type Kysely } from 'kysely';

// A participant's message to one of the number's groups (Groups API) names its group in a column,
// so that a group's page reads its messages by index instead of a LIKE over every inbound message
// of the channel (messaging/groups.ts groupMessages). Null for every other message: the column is
// not in the hot send path's INSERT (messaging/messages.ts sets it only for group messages).
// Existing group messages are backfilled from their content JSON (`group_id`); one UPDATE over
// the rows whose content names one.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('group_id', 'text').execute();
  await backfillGroupIds(db);
  await db.schema
    .createIndex('messages_channel_group')
    .on('messages')
    .columns(['channel_id', 'group_id', 'created_at'])
    .where(sql.ref('group_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_channel_group').execute();
  await db.schema.alterTable('messages').dropColumn('group_id').execute();
}

/** Sets group_id of the stored group messages that have none, from their content (exported for its test). */
export async function backfillGroupIds(db: Kysely<any>): Promise<void> {
  // PostgreSQL: read by pattern, not a ::jsonb cast, so that no stored content can fail the migration
  // (group ids are base64url: no quote or escape in their JSON string).
  const fromContent =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? sql`substring(content from '"group_id":"([^"]*)"')`
      : sql`case when json_valid(content) then json_extract(content, '$.group_id') end`;
  await sql`update messages set group_id = ${fromContent} where group_id is null and direction = 'inbound' and content like '%"group_id":%'`.execute(db);
}
