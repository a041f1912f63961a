import type { Kysely } from 'kysely';

// Partner change requests (PCR, reference §1.3/§1.4): a client of one partner, whole or some of its
// channels ("selective"), asks to move to another partner of this instance; the receiving partner
// approves (or has auto-approval on). Owned by services/partner-change-requests.ts.
//
// Plain text/integer columns only (booleans 0/1, times ISO text, channel ids a JSON array), so the
// same statements run on SQLite and PostgreSQL.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('partner_change_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('is_full_migration', 'integer', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('new_client_id', 'text')
    .addColumn('old_partner_id', 'text', (c) => c.notNull())
    .addColumn('new_partner_id', 'text', (c) => c.notNull())
    .addColumn('channel_ids', 'text', (c) => c.notNull())
    .addColumn('auto_approved', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failure_reason', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  // The receiving partner's list (its default order, newest first, pages read backwards) and the
  // "one open request per client" check.
  await db.schema.createIndex('pcr_new_partner_created').on('partner_change_requests').columns(['new_partner_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('pcr_client_status').on('partner_change_requests').columns(['client_id', 'status']).execute();

  await db.schema
    .createTable('partner_change_request_settings')
    .addColumn('partner_id', 'text', (c) => c.primaryKey())
    .addColumn('auto_approve', 'integer', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('partner_change_request_settings').execute();
  await db.schema.dropTable('partner_change_requests').execute();
}
