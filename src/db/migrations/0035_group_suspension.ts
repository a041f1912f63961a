import type { Kysely } from 'kysely';

// groups.suspended (Meta's Groups API on sandbox numbers, messaging/group-inbound.ts): 1 while the
// group is suspended (Meta's group_status_update group_suspend; POST /sandbox/v1/group_status
// simulates it), 0 otherwise; GET /groups/{id} shows it as `suspended`.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('groups').addColumn('suspended', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('groups').dropColumn('suspended').execute();
}
