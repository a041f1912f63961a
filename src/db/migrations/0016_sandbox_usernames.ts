import type { Kysely } from 'kysely';

// A simulated user may adopt a WhatsApp username and hide their number, as WhatsApp users may
// since usernames (network/bsuid.ts; POST /sandbox/v1/users/{wa_id}). Both nullable: every user
// stored before has neither, and null reads as "no username" and "number shown". The user's
// number stays their key (wa_id): it is hidden on the wire only (messaging/inbound.ts).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sandbox_users').addColumn('username', 'text').execute();
  await db.schema.alterTable('sandbox_users').addColumn('hide_number', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sandbox_users').dropColumn('hide_number').execute();
  await db.schema.alterTable('sandbox_users').dropColumn('username').execute();
}
