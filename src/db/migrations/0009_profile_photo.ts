import type { Kysely } from 'kysely';

// The On-Premise profile photo (POST /v1/settings/profile/photo): the channel names the media
// row that holds it (stored like any upload, kept until replaced or deleted).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').addColumn('profile_photo_media_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').dropColumn('profile_photo_media_id').execute();
}
