import type { Kysely } from 'kysely';

// Four small things Meta's Graph API keeps that openwaba only acknowledged before:
// - channel_two_step_pins: a sandbox number's two-step verification PIN (POST /{phone-number-id}
//   {pin}, or the first POST /register), as a SHA-256 hash only; its presence is the phone number
//   node's is_pin_enabled (messaging/phone-number-update.ts).
// - channel_name_requests: a sandbox number's display name change request (POST /{phone-number-id}
//   {new_display_name}) and its review outcome (new_name_status; messaging/display-name-review.ts).
// - waba_product_catalogs: the catalog connected to a WABA (GET/POST /{waba-id}/product_catalogs).
// - waba_assigned_users: the users (system users) assigned to a WABA with their tasks
//   (GET/POST/DELETE /{waba-id}/assigned_users).
// No foreign keys, as commerce_settings and conversational_automation have none: rows are keyed by
// the channel's or WABA's id and read only through it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('channel_two_step_pins')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('pin_hash', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('channel_name_requests')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('new_display_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .execute();
  await db.schema
    .createTable('waba_product_catalogs')
    .addColumn('waba_account_id', 'text', (c) => c.primaryKey())
    .addColumn('catalog_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('waba_assigned_users')
    .addColumn('waba_account_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('tasks', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('waba_assigned_users_pk', ['waba_account_id', 'user_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['waba_assigned_users', 'waba_product_catalogs', 'channel_name_requests', 'channel_two_step_pins']) await db.schema.dropTable(t).execute();
}
