import type { Kysely } from 'kysely';

// Browser sessions of the Partner Hub and the Integrated Onboarding pages. The cookie carries a
// random id; the table holds only its hash.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('web_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull()) // hub | onboarding
    .addColumn('subject', 'text', (c) => c.notNull()) // JSON: who (hub user, or onboarding client)
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('web_sessions_expires').on('web_sessions').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('web_sessions').execute();
}
