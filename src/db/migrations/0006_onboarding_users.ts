import type { Kysely } from 'kysely';

// Integrated Onboarding: the people who sign up (or log in) on a partner's onboarding pages.
// A user belongs to one partner; its client is created when it first grants the partner access.
// Emails are stored lower-cased and are unique per partner; passwords only as scrypt hashes.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('onboarding_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('client_id', 'text', (c) => c.references('clients.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('plan', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('onboarding_users_partner_email').on('onboarding_users').columns(['partner_id', 'email']).unique().execute();
  await db.schema.createIndex('onboarding_users_client').on('onboarding_users').column('client_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('onboarding_users').execute();
}
