import type { Kysely } from 'kysely';

// A number put on Meta's Cloud API through Embedded Signup (web/onboarding) is registered by
// openwaba (`POST {phone_number_id}/register`) with a two-step verification PIN openwaba chose. The
// PIN is kept, sealed like the access token (AES-256-GCM under OPENWABA_SECRET_KEY, bound to the
// channel), so that the number can be registered again later (Meta asks for it after a
// deregistration or a migration) without resetting the PIN in WhatsApp Manager. Null for numbers
// attached by the operator, whose PIN is the business's own.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('meta_channels').addColumn('pin_sealed', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('meta_channels').dropColumn('pin_sealed').execute();
}
