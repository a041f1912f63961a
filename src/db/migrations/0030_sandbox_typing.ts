import type { Kysely } from 'kysely';

// The sandbox number is "typing…" to this user until this instant (ISO text): set by a mark-as-read
// with typing_indicator (messaging/typing-indicator.ts), cleared by the number's next message to
// the user (network/sandbox.ts). Null: not typing. A past instant: the 25 seconds ran out.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sandbox_users').addColumn('typing_until', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sandbox_users').dropColumn('typing_until').execute();
}
