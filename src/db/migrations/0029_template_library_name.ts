import type { Kysely } from 'kysely';

// The library template a template was created from (Meta's `library_template_name`; messaging/
// templates/library.ts). Null: a template written by its business (every template stored before).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('templates').addColumn('library_template_name', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('templates').dropColumn('library_template_name').execute();
}
