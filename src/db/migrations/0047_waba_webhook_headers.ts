import type { Kysely } from 'kysely';

// The custom headers of a WABA's webhook (POST /waba_webhook {url, headers}; messaging/routes/
// waba-webhook.ts), sent with every delivery that goes to the WABA's URL
// (waba_accounts.override_callback_uri, migration 0027) because a number has no URL of its own
// (messaging/channel-webhook.ts). JSON text of an object of header names to values, checked by
// the channel webhook's header rules; null: none (every WABA stored before).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('waba_accounts').addColumn('override_headers', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('waba_accounts').dropColumn('override_headers').execute();
}
