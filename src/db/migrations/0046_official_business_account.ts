import type { Kysely } from 'kysely';

// channel_oba_requests: a sandbox number's Official Business Account request (POST
// /{phone-number-id}/official_business_account) and its review outcome (oba_status PENDING, then
// APPROVED or REJECTED; messaging/official-business-account.ts). One row per number: a newer request
// replaces the older one. `request` is the checked body as JSON text; `status_message` the
// sandbox's reason for a rejection. No foreign key, as channel_name_requests has none: rows are
// keyed by the channel's id and read only through it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('channel_oba_requests')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('channel_oba_requests').execute();
}
