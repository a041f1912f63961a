import type { Kysely } from 'kysely';

// A number's webhook app secret (messaging/webhook-app-secret.ts; PUT/POST /configs/app_secret):
// when set, the number's webhooks are signed as Meta signs its own (X-Hub-Signature-256:
// sha256=<hex HMAC-SHA256 of the raw body>), for clients written for Meta's Cloud API that verify
// every webhook. One row per number that set one; no row: unsigned, as 360dialog sends them.
// A table of its own rather than a column on channels, so that the secret is not in every
// channel row the app reads (the key check loads the whole row on every request). The secret
// is stored as it is (it must be held to sign with, as partners.webhook_secret is) and never
// shown again after it is set.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('channel_webhook_app_secrets')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('app_secret', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('channel_webhook_app_secrets').execute();
}
