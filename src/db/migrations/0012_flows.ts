import type { Kysely } from 'kysely';

// WhatsApp Flows (messaging/flows): a WABA's flows with their Flow JSON asset, and each number's
// business public key (POST /whatsapp_business_encryption), which flows with an endpoint need.
//
// A flow's id is Meta's kind of id (16 digits). Its name is unique within its WABA (Meta: "Flow
// name is not unique"); that index also serves the list of a WABA's flows and the lookup by name
// of a flow send. The asset is kept in the row (flow_json, at most 10 MB as at Meta): a WABA has
// a handful of flows, the list never reads the column, and it is the row's last (see below).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('waba_account_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull()) // JSON array
    .addColumn('status', 'text', (c) => c.notNull()) // DRAFT | PUBLISHED | DEPRECATED | BLOCKED | THROTTLED
    .addColumn('endpoint_uri', 'text')
    .addColumn('json_version', 'text')
    .addColumn('data_api_version', 'text')
    .addColumn('asset_name', 'text')
    .addColumn('validation_errors', 'text', (c) => c.notNull()) // JSON array
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    // Last: SQLite reads a row's columns in order, so a column after a 10 MB asset would walk the
    // asset's overflow pages on every list and lookup (~7.5 ms a row, measured).
    .addColumn('flow_json', 'text')
    .execute();
  await db.schema.createIndex('flows_waba_name').on('flows').columns(['waba_account_id', 'name']).unique().execute();

  await db.schema
    .createTable('business_public_keys')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull()) // PEM, as uploaded
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('business_public_keys').execute();
  await db.schema.dropTable('flows').execute();
}
