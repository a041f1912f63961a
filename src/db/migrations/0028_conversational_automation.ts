import type { Kysely } from 'kysely';

// A sandbox number's conversational components (Meta's /{phone-number-id}/conversational_automation;
// messaging/conversational-automation.ts): one row per number that set them. No row: none set
// (welcome message off, no ice breakers, no commands). prompts and commands are JSON text
// (a list of strings; a list of {command_name, command_description}). A number on Meta's network
// keeps them at Meta.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('conversational_automation')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('enable_welcome_message', 'integer', (c) => c.notNull())
    .addColumn('prompts', 'text', (c) => c.notNull())
    .addColumn('commands', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('conversational_automation').execute();
}
