import type { Kysely } from 'kysely';

// A WABA's Marketing Messages Lite API status, 360dialog's `settings.marketing_messages_lite_api_status`
// (Meta's `marketing_messages_onboarding_status`): INELIGIBLE, ELIGIBLE (the terms are not yet
// accepted) or ONBOARDED. Only an ONBOARDED WABA's sandbox numbers send through POST
// /marketing_messages (messaging/marketing-messages.ts); a number on Meta's network is Meta's to
// judge. Every WABA, those stored before included, starts ONBOARDED: 360dialog's MM Lite sandbox
// number comes onboarded, and a developer trying MM Lite locally has no terms to accept. The
// sandbox endpoint POST /sandbox/v1/marketing_messages_lite sets another status, to try the refusals.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('waba_accounts').addColumn('mm_lite_status', 'text', (c) => c.notNull().defaultTo('ONBOARDED')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('waba_accounts').dropColumn('mm_lite_status').execute();
}
