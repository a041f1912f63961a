import type { Kysely } from 'kysely';

// Meta's QR codes and short links (POST/GET/DELETE /message_qrdls, messaging/routes/qr-codes.ts) of
// sandbox numbers: one row per code. `code` is Meta-shaped (14 characters, e.g. 4O4YGZEG3RIVE1) and
// unique across all numbers, as wa.me/message/{code} is global; every lookup also names the
// channel, so another number's code is not found. Numbers on Meta's network keep theirs at Meta.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('qr_codes')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('prefilled_message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('qr_codes_channel_idx').on('qr_codes').columns(['channel_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('qr_codes').execute();
}
