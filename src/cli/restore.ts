// `openwaba restore <dir>`: puts a backup made by `openwaba backup` (backup.ts) in place of a SQLite
// installation, with the checks an operator would otherwise have to remember:
//
// - The backup must be whole (`PRAGMA integrity_check`) and of a schema this openwaba knows (a copy
//   made by a newer version is refused; an older one is brought up to date when the server starts,
//   as any database is).
// - No server may be using the database: a running server holds the webhook dispatcher's lock row
//   (webhooks/sqlite-claims.ts); while its lease is live (and, on this host, its process alive) the
//   restore is refused. (A server started without a dispatcher holds no lock: stop it first.)
// - An existing database is replaced only with --force, and never deleted: it is renamed, with its
//   `-wal` and `-shm` files (which may hold its last commits), to `<file>.replaced-<time>`; an
//   existing media directory likewise to `media.replaced-<time>`.
// - The copy is written beside the database and renamed into place, so a restore cut off midway
//   leaves either the old database or the new one, never half of one.
// On PostgreSQL the command refuses: pg_restore is the tool there.
import os from 'node:os';
import path from 'node:path';
import { copyFile, cp, readdir, rename, rm, stat } from 'node:fs/promises';
import SqliteDatabase from 'better-sqlite3';
import { ConfigError, sqliteFile, type Config } from '../config.ts';
import { realOrSelf, within } from './backup.ts';
import { knownMigrations } from '../db/migrate.ts';
import { LOCK_KEY, processAlive, type LockValue } from '../webhooks/sqlite-claims.ts';

export interface RestoreResult {
  database: string;
  /** The newest migration in the restored copy. */
  schema: string | undefined;
  media_files: number;
  /** What was moved aside (the database, its -wal and -shm, the media directory). */
  replaced: string[];
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** The backup's newest migration, after checking the copy is whole and of a schema this version knows. */
function checkBackup(file: string): string | undefined {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new ConfigError(`${file} fails SQLite's integrity check (${String(check)}): not restored`);
    const hasMigrations = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
    if (!hasMigrations) return undefined;
    const names = (db.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name);
    const known = new Set(knownMigrations());
    const unknown = names.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new ConfigError(`the backup's schema has migrations this openwaba does not know (${unknown.join(', ')}): it was made by a newer version; restore it with that version`);
    }
    return names.at(-1);
  } finally {
    db.close();
  }
}

/** Refuses while a server holds the dispatcher's lock on the database (a live lease, a live process on this host). */
function refuseWhileServed(file: string): void {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  let raw: string | undefined;
  try {
    db.pragma('busy_timeout = 5000');
    const table = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'instance_settings'").get();
    raw = table ? (db.prepare('select value from instance_settings where key = ?').pluck().get(LOCK_KEY) as string | undefined) : undefined;
  } finally {
    db.close();
  }
  if (!raw) return;
  let lock: LockValue;
  try {
    lock = JSON.parse(raw) as LockValue;
  } catch {
    return;
  }
  const live = lock.until > Date.now() && (lock.host !== os.hostname() || processAlive(lock.pid));
  if (live) throw new ConfigError(`a server is using ${file} (process ${lock.pid} on ${lock.host}): stop it, then restore`);
}

/** Moves `p` aside to `<p>.replaced-<stamp>` if it exists; the new name, or undefined. */
async function moveAside(p: string, stamp: string): Promise<string | undefined> {
  if (!(await exists(p))) return undefined;
  const to = `${p}.replaced-${stamp}`;
  await rename(p, to);
  return to;
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += 1;
  return n;
}

/** `openwaba restore <dir> [--force]` (see the head of this file). */
export async function restore(config: Config, dir: string, opts: { force?: boolean } = {}): Promise<RestoreResult> {
  const named = sqliteFile(config.databaseUrl);
  if (named === undefined) throw new ConfigError('openwaba restore puts back a SQLite backup; this installation is on PostgreSQL: restore a pg_dump with pg_restore');
  if (named === ':memory:') throw new ConfigError('DATABASE_URL names an in-memory database: there is nothing to restore into');
  // The database itself where DATABASE_URL names it through a symlink (the link stays, the file it
  // points at is replaced).
  const file = await realOrSelf(named);
  const backupDir = await realOrSelf(dir);
  const source = path.join(backupDir, 'openwaba.db');
  if (!(await exists(source))) throw new ConfigError(`there is no openwaba.db in ${path.resolve(dir)}: not a backup made by openwaba backup`);
  const media = await realOrSelf(path.join(config.dataDir, 'media'));
  const backupMedia = path.join(backupDir, 'media');
  // The backup must be somewhere else than what it replaces (the data directory is no backup of itself).
  if (source === file || within(backupMedia, media) || within(media, backupMedia) || within(file, backupDir)) {
    throw new ConfigError(`${path.resolve(dir)} is the installation's own data (its database or media): restore from a backup made elsewhere`);
  }
  const schema = checkBackup(source);

  const present = await exists(file);
  if (present) {
    refuseWhileServed(file);
    if (!opts.force) throw new ConfigError(`${file} exists: pass --force to replace it (it is kept, renamed to ${path.basename(file)}.replaced-<time>)`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const incoming = `${file}.restoring`;
  await rm(incoming, { force: true });
  await copyFile(source, incoming);
  const replaced: string[] = [];
  try {
    for (const p of [file, `${file}-wal`, `${file}-shm`]) {
      const to = await moveAside(p, stamp);
      if (to) replaced.push(to);
    }
    await rename(incoming, file);
  } catch (err) {
    await rm(incoming, { force: true });
    throw err;
  }

  let mediaFiles = 0;
  if (await exists(backupMedia)) {
    const to = await moveAside(media, stamp);
    try {
      await cp(backupMedia, media, { recursive: true, errorOnExist: true, force: false });
    } catch (err) {
      // The media as it was, rather than half of the backup's.
      await rm(media, { recursive: true, force: true });
      if (to) await rename(to, media);
      throw err;
    }
    if (to) replaced.push(to);
    mediaFiles = await countFiles(media);
  }
  return { database: file, schema, media_files: mediaFiles, replaced };
}
