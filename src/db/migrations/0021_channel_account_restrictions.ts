import type { Kysely } from 'kysely';

// The WABA restrictions a sandbox account_update (ACCOUNT_RESTRICTION) put on a channel: a JSON
// array of {restriction_type, expiration} (expiration as ISO-8601 UTC), written on every channel
// of the WABA so that a send reads it from the channel row it already has (no query on the send
// path while nothing is restricted). Null: no restriction. See messaging/account-update.ts.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').addColumn('waba_restrictions', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').dropColumn('waba_restrictions').execute();
}
