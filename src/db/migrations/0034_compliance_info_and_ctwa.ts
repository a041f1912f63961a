import type { Kysely } from 'kysely';

// Two per-channel settings:
// - business_compliance_info: a sandbox number's India commerce compliance details
//   (messaging/compliance-info.ts), one row per number that gave them; `info` is the checked
//   record as JSON text. A number on Meta's network keeps them at Meta.
// - channels.ctwa_enabled: the Partner API's Click-to-WhatsApp tracking switch
//   (POST …/channels/{id}/enable_ctwa | disable_ctwa; partner-api/routes/ctwa.ts); 0 until enabled.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('business_compliance_info')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('info', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('channels').addColumn('ctwa_enabled', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').dropColumn('ctwa_enabled').execute();
  await db.schema.dropTable('business_compliance_info').execute();
}
