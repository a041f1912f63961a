import type { Kysely } from 'kysely';

// Meta's Resumable Upload API (POST /uploads, GET and POST /upload:{session};
// messaging/routes/resumable-upload.ts): one row per upload session, owned by the channel that
// created it (every lookup names the channel). `file_offset` is the bytes received so far; the
// bytes themselves are a file under `<dataDir>/media/uploads/`. Once complete the row carries the
// handle it issued (unique: a template's example.header_handle is looked up by it), with the
// file's sha256. `expires_at`: a session's 7 days, then a handle's 30 (maintenance removes both).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('resumable_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('waba_account_id', 'text')
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('file_type', 'text', (c) => c.notNull())
    .addColumn('file_length', 'integer', (c) => c.notNull())
    .addColumn('file_offset', 'integer', (c) => c.notNull())
    .addColumn('handle', 'text', (c) => c.unique())
    .addColumn('sha256', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('resumable_uploads_expires').on('resumable_uploads').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('resumable_uploads').execute();
}
