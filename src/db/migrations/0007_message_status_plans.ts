import { sql, type Kysely } from 'kysely';

// A sandbox message's scheduled statuses live on its own row (status_plan: the steps still to
// come; status_due_at: when the next one is due) instead of in a job row of their own. A send
// then writes one row, not two, and each status step updates that one row instead of the
// message and its job (bench:send: the job's random-key index entries cost more than the rest).
// Jobs of kind message_status written before this migration still run.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('status_plan', 'text').execute();
  await db.schema.alterTable('messages').addColumn('status_due_at', 'text').execute();
  await db.schema
    .createIndex('messages_status_due')
    .on('messages')
    .column('status_due_at')
    .where(sql.ref('status_due_at'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_status_due').execute();
  await db.schema.alterTable('messages').dropColumn('status_due_at').execute();
  await db.schema.alterTable('messages').dropColumn('status_plan').execute();
}
