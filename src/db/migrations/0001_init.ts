import type { Kysely } from 'kysely';

// One set of migrations for SQLite and PostgreSQL: only portable types (text, integer),
// booleans as 0/1, timestamps as ISO-8601 text.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('partners')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_name', 'text', (c) => c.notNull())
    .addColumn('logo_url', 'text')
    .addColumn('webhook_url', 'text')
    .addColumn('partner_redirect_url', 'text')
    .addColumn('country', 'text')
    .addColumn('allow_client_to_add_phone_no', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('settings', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('hub_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('hub_users_partner').on('hub_users').column('partner_id').execute();

  await db.schema
    .createTable('partner_api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('partner_api_keys_partner').on('partner_api_keys').columns(['partner_id', 'created_at']).execute();

  let clients = db.schema
    .createTable('clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('max_channels', 'integer', (c) => c.notNull())
    .addColumn('organisation', 'text')
    .addColumn('partner_payload', 'text');
  for (const col of [
    'meta_business_vertical', 'meta_timezone', 'meta_about', 'meta_business_description', 'meta_use_case',
    'contact_webpage_url', 'contact_phone', 'contact_language', 'contact_country', 'contact_street_name',
    'contact_city', 'contact_email', 'contact_full_name', 'contact_zip_code',
    'contact_user_phone', 'contact_user_email', 'contact_user_name',
  ]) {
    clients = clients.addColumn(col, 'text');
  }
  await clients
    .addColumn('suspicious', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .addColumn('modified_by', 'text', (c) => c.notNull())
    .execute();
  // As for channels below: filter indexes end in the list's default order (created_at, id).
  for (const col of ['name', 'status', 'contact_email', 'partner_payload']) {
    await db.schema.createIndex(`clients_partner_${col}`).on('clients').columns(['partner_id', col, 'created_at', 'id']).execute();
  }
  for (const col of ['created_at', 'modified_at']) {
    await db.schema.createIndex(`clients_partner_${col}`).on('clients').columns(['partner_id', col, 'id']).execute();
  }

  await db.schema
    .createTable('waba_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('timezone_id', 'text', (c) => c.notNull())
    .addColumn('fb_business_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('fb_account_status', 'text', (c) => c.notNull())
    .addColumn('obo_business_id', 'text')
    .addColumn('obo_business_name', 'text')
    .addColumn('obo_status', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('waba_accounts_partner_client').on('waba_accounts').columns(['partner_id', 'client_id']).execute();
  await db.schema.createIndex('waba_accounts_external').on('waba_accounts').column('external_id').execute();

  await db.schema
    .createTable('channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('waba_account_id', 'text', (c) => c.notNull().references('waba_accounts.id'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('hosting_type', 'text', (c) => c.notNull())
    .addColumn('account_mode', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('availability_status', 'text', (c) => c.notNull())
    .addColumn('meta_status', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('is_migrated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('current_limit', 'text', (c) => c.notNull())
    .addColumn('current_quality_rating', 'text', (c) => c.notNull())
    .addColumn('phone_number', 'text', (c) => c.notNull())
    .addColumn('phone_name', 'text', (c) => c.notNull())
    .addColumn('was_in_use', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ivr', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('verification_method', 'text', (c) => c.notNull())
    .addColumn('default_language', 'text', (c) => c.notNull())
    .addColumn('profile_about_text', 'text')
    .addColumn('profile_business_vertical', 'text')
    .addColumn('profile_business_description', 'text')
    .addColumn('profile_contact_email', 'text')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('cancellation_requested_at', 'text')
    .addColumn('terminated_at', 'text')
    .addColumn('billing_started_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
  // The list filters and sorts on these. (partner_id, x, created_at, id) serves "this partner's
  // channels where x = …" already in the list's default order (created_at, then the tie-breaker
  // id): without the order in the index, SQLite (which has no statistics unless ANALYZE runs)
  // prefers walking (partner_id, created_at) to skip the sort, reading every channel of the
  // partner to find a few. test/list-index.test.ts checks the plans.
  for (const col of ['client_id', 'phone_number', 'status', 'availability_status', 'waba_account_id', 'external_id']) {
    await db.schema.createIndex(`channels_partner_${col}`).on('channels').columns(['partner_id', col, 'created_at', 'id']).execute();
  }
  for (const col of ['created_at', 'modified_at']) {
    await db.schema.createIndex(`channels_partner_${col}`).on('channels').columns(['partner_id', col, 'id']).execute();
  }
  await db.schema.createIndex('channels_client').on('channels').column('client_id').execute();

  await db.schema
    .createTable('channel_api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id'))
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('channel_api_keys_channel').on('channel_api_keys').columns(['channel_id', 'created_at']).execute();

  await db.schema
    .createTable('auth_throttle')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('instance_settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['instance_settings', 'auth_throttle', 'channel_api_keys', 'channels', 'waba_accounts', 'clients', 'partner_api_keys', 'hub_users', 'partners']) {
    await db.schema.dropTable(t).execute();
  }
}
