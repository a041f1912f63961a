import { sql, type Kysely } from 'kysely';

// The webhook outbox: every notification is a row written in the transaction that causes it,
// and every delivery attempt is kept.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('partners').addColumn('webhook_secret', 'text').execute();
  await db.schema.alterTable('partners').addColumn('webhook_headers', 'text').execute();
  // Whether the channel may send template messages (template_messaging_enabled / _disabled).
  await db.schema.alterTable('channels').addColumn('template_messaging', 'integer', (c) => c.notNull().defaultTo(1)).execute();

  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull()) // 'partner' | 'channel'
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // pending | delivering | delivered | failed
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // pending: when the next attempt is due; delivering: when the lease expires.
    .addColumn('available_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_attempt_at', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'text')
    .addColumn('failed_at', 'text')
    .execute();
  // The dispatcher's claim: due rows among the undelivered, oldest first.
  await db.schema
    .createIndex('webhook_events_due')
    .on('webhook_events')
    .columns(['available_at'])
    .where(sql.ref('status'), 'in', ['pending', 'delivering'])
    .execute();
  await db.schema.createIndex('webhook_events_partner_created').on('webhook_events').columns(['partner_id', 'created_at']).execute();
  await db.schema.createIndex('webhook_events_partner_status').on('webhook_events').columns(['partner_id', 'status', 'created_at']).execute();
  await db.schema.createIndex('webhook_events_partner_type').on('webhook_events').columns(['partner_id', 'event_type', 'created_at']).execute();
  await db.schema.createIndex('webhook_events_target').on('webhook_events').columns(['target_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('response_excerpt', 'text')
    .addColumn('slow', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('webhook_attempts_event').on('webhook_attempts').columns(['event_id', 'attempt']).execute();
  await db.schema.createIndex('webhook_attempts_started').on('webhook_attempts').column('started_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_attempts').execute();
  await db.schema.dropTable('webhook_events').execute();
  await db.schema.alterTable('channels').dropColumn('template_messaging').execute();
  await db.schema.alterTable('partners').dropColumn('webhook_headers').execute();
  await db.schema.alterTable('partners').dropColumn('webhook_secret').execute();
}
