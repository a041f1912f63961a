import type { Kysely } from 'kysely';

// A WABA's alternate callback URL (Meta's webhook override at the WABA level: POST
// /{waba-id}/subscribed_apps with override_callback_uri; messaging/routes/subscribed-apps.ts).
// Inbound messages and statuses of a number of the WABA whose own webhook URL
// (channels.webhook_url) is empty go there (messaging/channel-webhook.ts CHANNEL_WEBHOOK_URL).
// Null: no override (every WABA stored before). A WABA of a number on Meta's network keeps its
// override at Meta.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('waba_accounts').addColumn('override_callback_uri', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('waba_accounts').dropColumn('override_callback_uri').execute();
}
