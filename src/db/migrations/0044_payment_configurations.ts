import type { Kysely } from 'kysely';

// waba_payment_configurations: a WABA's payment configurations for Meta's Payments API India
// (GET /{waba-id}/payment_configurations, POST/DELETE /{waba-id}/payment_configuration, …;
// messaging/payments/configurations.ts). One row per (WABA, configuration_name): Meta's names are
// unique within a WABA. oauth_token_hash is the SHA-256 of the sandbox's single-use OAuth link
// token (cleared when the link is opened or a new one is made), oauth_expires_at its expiry.
// No foreign key, as waba_product_catalogs has none: rows are read only through the key's WABA.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('waba_payment_configurations')
    .addColumn('waba_account_id', 'text', (c) => c.notNull())
    .addColumn('configuration_name', 'text', (c) => c.notNull())
    .addColumn('provider_name', 'text', (c) => c.notNull())
    .addColumn('merchant_vpa', 'text')
    .addColumn('provider_mid', 'text')
    .addColumn('purpose_code', 'text', (c) => c.notNull())
    .addColumn('merchant_category_code', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('redirect_url', 'text')
    .addColumn('data_endpoint_url', 'text')
    .addColumn('oauth_token_hash', 'text')
    .addColumn('oauth_expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('waba_payment_configurations_pk', ['waba_account_id', 'configuration_name'])
    .execute();
  await db.schema.createIndex('waba_payment_configurations_oauth_token').on('waba_payment_configurations').column('oauth_token_hash').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('waba_payment_configurations').execute();
}
