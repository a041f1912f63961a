import type { Kysely } from 'kysely';

// What this simulated user does when the business calls them (POST /sandbox/v1/users/{wa_id}
// {"calls": …}; messaging/sandbox-call-answer.ts): "answer", "decline" (each optionally with a
// delay, "answer=2s"), or "ignore". Null: OPENWABA_SANDBOX_CALL_ANSWER decides, as before.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sandbox_users').addColumn('call_answer', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sandbox_users').dropColumn('call_answer').execute();
}
