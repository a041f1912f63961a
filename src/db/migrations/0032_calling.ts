import type { Kysely } from 'kysely';

// The WhatsApp Business Calling API (messaging/calling-settings.ts, call-lifecycle.ts, messaging/routes/calling.ts):
// - calling_settings: a sandbox number's `calling` settings object (Meta's POST /{phone-number-id}/settings),
//   as JSON, one row per number that changed them; no row means Meta's defaults (calling DISABLED).
// - call_permissions: a user's current permission for the business to call them, as the user's last
//   call_permission_reply (or a call of theirs, with callback permission on) left it.
// - calls: every call of a number, both directions, with its state; looked up by (channel_id, id).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('calling_settings')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('call_permissions')
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('is_permanent', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_permissions_pk', ['channel_id', 'wa_id'])
    .execute();
  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('biz_opaque_callback_data', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text')
    .addColumn('end_time', 'text')
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('calls_channel_user').on('calls').columns(['channel_id', 'wa_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('calls').execute();
  await db.schema.dropTable('call_permissions').execute();
  await db.schema.dropTable('calling_settings').execute();
}
