import type { Kysely } from 'kysely';

// Meta's Groups API on sandbox numbers (messaging/groups.ts): a number's groups, keyed by the
// group id (Meta-shaped, unique across numbers) and scoped to the channel; their members and
// open join requests (a row each, state 'member' or 'requested'; join_request_id set for a request).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('join_approval_mode', 'text', (c) => c.notNull())
    .addColumn('invite_code', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('groups_channel_created').on('groups').columns(['channel_id', 'created_at', 'id']).execute();
  await db.schema
    .createTable('group_participants')
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('join_request_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_participants_pk', ['group_id', 'wa_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('group_participants').execute();
  await db.schema.dropTable('groups').execute();
}
