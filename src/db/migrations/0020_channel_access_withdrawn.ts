import type { Kysely } from 'kysely';

// When the client withdrew the partner's access to a channel during Integrated Onboarding (the
// redirect's `revoked=[…]`). A withdrawn channel also has a pending cancellation
// (cancellation_requested_at, the partner's cancellation_request event), but unlike a cancellation
// the partner requested itself, the partner cannot revoke it, gets no new D360-API-KEY for it,
// and its keys no longer reach the Messaging API (services/channel-lifecycle.ts withdrawChannel,
// services/channel-api-keys.ts, messaging/auth.ts). Null: not withdrawn (every channel stored before).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').addColumn('access_withdrawn_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channels').dropColumn('access_withdrawn_at').execute();
}
