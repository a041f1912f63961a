import { sql, type Kysely } from 'kysely';

// The claim's index of due events covers what a claim reads (available_at, id, target_id), in
// the order it reads them (available_at, then id): SQLite's claims walk it from a cursor
// (webhooks/sqlite-claims.ts) without reading the table, and PostgreSQL's claim can read it alone.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_events_due').execute();
  await db.schema
    .createIndex('webhook_events_due')
    .on('webhook_events')
    .columns(['available_at', 'id', 'target_id'])
    .where(sql.ref('status'), 'in', ['pending', 'delivering'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_events_due').execute();
  await db.schema
    .createIndex('webhook_events_due')
    .on('webhook_events')
    .columns(['available_at'])
    .where(sql.ref('status'), 'in', ['pending', 'delivering'])
    .execute();
}
