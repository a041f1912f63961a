import type { Kysely } from 'kysely';

// Coexistence (WhatsApp Business app numbers; messaging/coexistence.ts): the number's
// POST /smb_app_data synchronizations, one row per number and sync_type ("smb_app_state_sync" or
// "history"). Meta allows each once per onboarding, so the row is what refuses a second request.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('smb_app_syncs')
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('sync_type', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('smb_app_syncs_pk', ['channel_id', 'sync_type'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('smb_app_syncs').execute();
}
