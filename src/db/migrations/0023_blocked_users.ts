import type { Kysely } from 'kysely';

// Meta's Block Users API for sandbox numbers (messaging/blocklist.ts): the WhatsApp users a number
// has blocked (POST /block_users), one row each, keyed (channel_id, wa_id); `input` is what the
// client named the user by (a phone number as written, or the wa_id), which the list shows.
// channels.blocked_user_count is the number of rows a channel has here, written in the same
// transaction: a send reads it from the channel row it already has, so a number that never blocked
// anyone costs no query per send (as channels.waba_restrictions, migration 0021).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('blocked_users')
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blocked_users_pk', ['channel_id', 'wa_id'])
    .execute();
  await db.schema.alterTable('channels').addColumn('blocked_user_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').dropColumn('blocked_user_count').execute();
  await db.schema.dropTable('blocked_users').execute();
}
