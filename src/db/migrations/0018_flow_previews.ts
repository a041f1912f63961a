import type { Kysely } from 'kysely';

// A flow's preview links (Meta's `preview` field of a flow: GET …/flows/{id}?fields=preview.invalidate(false)).
// The link's token is a random secret shown only in the link; only its SHA-256 is kept here, with
// the link's expiry (30 days), so a lookup by the hash of a presented token is an index probe.
// `invalidate(true)` removes the flow's links and makes a new one (messaging/flows/preview.ts).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('flow_previews')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('waba_account_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('flow_previews_flow').on('flow_previews').columns(['flow_id', 'expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('flow_previews').execute();
}
