import type { Kysely } from 'kysely';

// 360dialog's multiple webhooks per number (GET/POST/PUT/PATCH /multi_webhook): up to three
// extra destinations besides the channel's main webhook (channels.webhook_url), each a name, a
// URL and custom headers, and a switch that turns the copies on and off.
//
// Two tables of the feature's own rather than a column on channels: the switch and the list
// change together (POST sets both in one transaction, and its row is what PUT and PATCH lock so
// that concurrent changes of one number's list cannot go past three), and the channel row stays
// as it is — it is kept in memory as every key's principal (messaging/auth.ts), so a write to it
// would drop those copies, and nothing on the send or status paths needs the switch.
//
// channel_multi_webhooks: one row per channel that ever called POST /multi_webhook (no row:
// disabled, no destinations).
// channel_webhook_destinations: the destinations, in the order given (position); a name is
// unique per channel (360dialog: names are case-sensitive and act as ids). A destination's id
// is the target of the outbox events that carry its copies (webhooks/targets.ts), so it is kept
// while the name stays (POST replacing the list, PATCH): pending retries follow a changed URL.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('channel_multi_webhooks')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('channel_webhook_destinations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('headers', 'text') // JSON object of custom headers; null: none
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('channel_webhook_destinations_name').on('channel_webhook_destinations').columns(['channel_id', 'name']).unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('channel_webhook_destinations').execute();
  await db.schema.dropTable('channel_multi_webhooks').execute();
}
