import type { Kysely } from 'kysely';

// The Conversions API for Business Messaging in the sandbox (routes/conversion-events.ts,
// messaging/conversion-events.ts):
// - waba_conversion_datasets: a WABA's one dataset (GET/POST /{waba-id}/dataset), its id a Graph-like
//   numeric string, unique across WABAs.
// - conversion_events: the events posted to a dataset (POST /{dataset-id}/events), kept for the
//   developer to read back (GET /sandbox/v1/conversion_events); only the last CONVERSION_EVENTS_KEPT
//   of a dataset are kept (older ones are deleted as new ones arrive). `id` sorts by arrival
//   (ids.ts sortableRecordId); `event` is the event as received (JSON text).
// No foreign keys, as waba_product_catalogs has none: rows are read only through the key's WABA.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('waba_conversion_datasets')
    .addColumn('waba_account_id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('conversion_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('event_name', 'text', (c) => c.notNull())
    .addColumn('event_time', 'integer', (c) => c.notNull())
    .addColumn('ctwa_clid', 'text', (c) => c.notNull())
    .addColumn('test_event_code', 'text')
    .addColumn('partner_agent', 'text')
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('conversion_events_dataset').on('conversion_events').columns(['dataset_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['conversion_events', 'waba_conversion_datasets']) await db.schema.dropTable(t).execute();
}
