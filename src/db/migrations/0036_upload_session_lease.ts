import type { Kysely } from 'kysely';

// resumable_uploads.lease_token / lease_expires_at (messaging/media/upload-lease.ts): the writer
// that holds a session's file while one POST /upload:{session} appends to it, so that instances
// sharing a database and data directory never append to one file at once. Taken with a guarded
// UPDATE (no holder, or an expired lease), renewed while the body streams, cleared at its end.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('resumable_uploads').addColumn('lease_token', 'text').execute();
  await db.schema.alterTable('resumable_uploads').addColumn('lease_expires_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('resumable_uploads').dropColumn('lease_expires_at').execute();
  await db.schema.alterTable('resumable_uploads').dropColumn('lease_token').execute();
}
