import type { Kysely } from 'kysely';

// Channels on Meta's WhatsApp Cloud API (network/meta): the credentials a channel sends with.
// The channel's own row says network = 'meta' and keeps Meta's phone_number_id as external_id
// (webhook payloads name it); this table holds what only the Meta network needs. The access
// token is sealed (AES-256-GCM under OPENWABA_SECRET_KEY, network/meta/secret-box.ts): unlike
// our own keys it must be sent to Meta, so it cannot be kept as a hash.
// phone_number_id is unique: Meta's webhooks name a number by it, and exactly one channel may
// receive what they carry.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('meta_channels')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('phone_number_id', 'text', (c) => c.notNull())
    .addColumn('waba_id', 'text', (c) => c.notNull())
    .addColumn('access_token_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('meta_channels_phone_number_id').on('meta_channels').column('phone_number_id').unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('meta_channels').execute();
}
