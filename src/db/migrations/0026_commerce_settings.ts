import type { Kysely } from 'kysely';

// A sandbox number's commerce settings (Meta's /{phone-number-id}/whatsapp_commerce_settings;
// messaging/routes/phone-settings.ts): one row per number that changed them. No row means Meta's
// defaults: "By default, the shopping cart is enabled and the storefront icon is hidden" (Meta's
// Set Commerce Settings guide). A number on Meta's network keeps them at Meta.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('commerce_settings')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('is_cart_enabled', 'integer', (c) => c.notNull())
    .addColumn('is_catalog_visible', 'integer', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('commerce_settings').execute();
}
