import { sql, type Kysely } from 'kysely';
import { PostgresAdapter } from 'kysely';

// PostgreSQL only: every write to a table whose rows instances keep (a key's principal, a
// template, a channel's facts and Meta credentials: db/kept-rows.ts) sends NOTIFY openwaba_changes
// '<table>' with its commit, whoever makes it (an instance, the CLI, psql), so that every instance
// forgets what it kept of that table (db/pg-change-tracker.ts). Statement-level triggers: one per
// statement, folded by PostgreSQL into one notification per table and transaction.
// channel_api_keys notifies on every change but a key's last-use time (written once a minute per
// key in use, shown by no kept row): a trigger on every column but that one.
// SQLite needs none: its tracker sees the file's data_version.

export const CHANGE_NOTIFY_TABLES = ['channels', 'channel_api_keys', 'templates', 'waba_accounts', 'meta_channels'] as const;
const API_KEY_COLUMNS_BUT_LAST_USED = ['id', 'channel_id', 'partner_id', 'key_hash', 'prefix', 'created_at', 'revoked_at'];

const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter;

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`
    create or replace function openwaba_notify_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('openwaba_changes', tg_table_name);
      return null;
    end $$`.execute(db);
  for (const table of CHANGE_NOTIFY_TABLES) {
    const events = table === 'channel_api_keys' ? sql.raw(`insert or delete or truncate or update of ${API_KEY_COLUMNS_BUT_LAST_USED.join(', ')}`) : sql.raw('insert or update or delete or truncate');
    await sql`create trigger ${sql.raw(`openwaba_notify_${table}`)} after ${events} on ${sql.table(table)} for each statement execute function openwaba_notify_change()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  for (const table of CHANGE_NOTIFY_TABLES) await sql`drop trigger if exists ${sql.raw(`openwaba_notify_${table}`)} on ${sql.table(table)}`.execute(db);
  await sql`drop function if exists openwaba_notify_change()`.execute(db);
}
