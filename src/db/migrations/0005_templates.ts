import type { Kysely } from 'kysely';

// Templates: who created and last changed each one (the partner template object's created_by /
// modified_by, JSON `{user_id, user_name}`; null for the platform's own, e.g. hello_world).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('templates').addColumn('created_by', 'text').execute();
  await db.schema.alterTable('templates').addColumn('modified_by', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('templates').dropColumn('modified_by').execute();
  await db.schema.alterTable('templates').dropColumn('created_by').execute();
}
