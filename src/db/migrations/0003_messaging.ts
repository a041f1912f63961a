import { sql, type Kysely } from 'kysely';

// The Messaging API: channel webhook settings, messages, the sandbox's simulated users,
// durable jobs (scheduled statuses, template reviews), media and templates.

export async function up(db: Kysely<any>): Promise<void> {
  for (const col of ['webhook_url', 'webhook_headers', 'profile_address', 'profile_websites', 'profile_picture_url']) {
    await db.schema.alterTable('channels').addColumn(col, 'text').execute();
  }
  await db.schema.alterTable('channels').addColumn('throughput_mps', 'integer').execute();

  await db.schema
    .createTable('sandbox_users')
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('last_inbound_at', 'text')
    .addColumn('unreachable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_users_pk', ['channel_id', 'wa_id'])
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey()) // wamid.…
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull()) // outbound | inbound
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull()) // JSON of the message as sent / received
    .addColumn('status', 'text', (c) => c.notNull()) // accepted | sent | delivered | read | failed | received
    .addColumn('error_code', 'integer')
    .addColumn('error_title', 'text')
    .addColumn('category', 'text') // service | marketing | utility | authentication
    .addColumn('initiated_by', 'text', (c) => c.notNull()) // business | user
    .addColumn('template_name', 'text')
    .addColumn('context_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('delivered_at', 'text')
    .addColumn('read_at', 'text')
    .addColumn('failed_at', 'text')
    .execute();
  await db.schema.createIndex('messages_channel_created').on('messages').columns(['channel_id', 'created_at']).execute();
  await db.schema.createIndex('messages_channel_wa').on('messages').columns(['channel_id', 'wa_id', 'created_at']).execute();
  await db.schema.createIndex('messages_client_created').on('messages').columns(['partner_id', 'client_id', 'created_at']).execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ref_id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // pending | running | done
    // pending: when due; running: when the lease expires.
    .addColumn('available_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('jobs_due')
    .on('jobs')
    .column('available_at')
    .where(sql.ref('status'), 'in', ['pending', 'running'])
    .execute();
  await db.schema.createIndex('jobs_ref').on('jobs').columns(['ref_id']).execute();

  await db.schema
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('file_size', 'integer', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .execute();
  await db.schema.createIndex('media_channel').on('media').columns(['channel_id', 'created_at']).execute();
  await db.schema.createIndex('media_expires').on('media').column('expires_at').execute();

  await db.schema
    .createTable('templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('waba_account_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // PENDING | APPROVED | REJECTED | PAUSED | DISABLED
    .addColumn('components', 'text', (c) => c.notNull()) // JSON
    .addColumn('rejected_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('templates_waba_name_lang').on('templates').columns(['waba_account_id', 'name', 'language']).unique().execute();
  await db.schema.createIndex('templates_partner').on('templates').columns(['partner_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['templates', 'media', 'jobs', 'messages', 'sandbox_users']) await db.schema.dropTable(t).execute();
  for (const col of ['throughput_mps', 'profile_picture_url', 'profile_websites', 'profile_address', 'webhook_headers', 'webhook_url']) {
    await db.schema.alterTable('channels').dropColumn(col).execute();
  }
}
