import type { Kysely } from 'kysely';

// meta_forwarded_changes (network/meta/forwarded-changes.ts): the changes of Meta's webhooks that
// openwaba passes on as they came (a number's calls and group fields, a WABA's template and account
// fields), one row per change passed on, so that Meta's retry of a notification (our 200 lost after
// the commit) does not pass one on twice. `key` is a hash of the change as Meta sent it and of
// where it went; the row is inserted with ON CONFLICT DO NOTHING in the notification's transaction,
// so of two deliveries at once (two instances) exactly one passes it on. Maintenance deletes rows
// older than Meta's 7 days of retries.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('meta_forwarded_changes')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('meta_forwarded_changes_created').on('meta_forwarded_changes').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('meta_forwarded_changes').execute();
}
