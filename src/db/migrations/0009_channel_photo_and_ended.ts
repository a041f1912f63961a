import type { Kysely } from 'kysely';

// The On-Premise profile photo (POST /v1/settings/profile/photo): the channel names the media
// row that holds it (stored like any upload, kept until replaced or deleted).
// And terminated channels are non-operational: availability_status "error" (seed 001's channel
// statuses), as availabilityFor now says, also for channels terminated before this migration
// (they were stored as "setting_up" and PENDING).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').addColumn('profile_photo_media_id', 'text').execute();
  await db.updateTable('channels').set({ availability_status: 'error', meta_status: 'DISCONNECTED' }).where('status', '=', 'terminated').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').dropColumn('profile_photo_media_id').execute();
}
