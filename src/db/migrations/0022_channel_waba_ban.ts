import type { Kysely } from 'kysely';

// Since when the channel's WABA is banned: Meta's account_update DISABLED_UPDATE with
// ban_info.waba_ban_state DISABLE (raised in the sandbox, or heard from Meta for numbers on Meta's
// network), as ISO-8601 UTC, written on every channel of the WABA together (as waba_restrictions,
// migration 0021) so that a send reads it from the channel row it already has. A REINSTATE sets it
// back to null. Null: not banned (every channel stored before). See messaging/account-update.ts.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').addColumn('waba_banned_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').dropColumn('waba_banned_at').execute();
}
