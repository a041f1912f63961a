// `openwaba backup <dir>`: a consistent copy of an installation on SQLite, taken while the server
// runs (nothing stops, nothing waits for it).
//
// - The database: `VACUUM INTO` from its own read-only connection. It reads one snapshot (WAL: the
//   server keeps writing meanwhile and is never blocked) and writes a compact copy, so the copy is
//   what the database was at one instant, whatever was committed during the backup. SQLite's online
//   backup API was not taken: it starts over whenever another connection writes, which a busy
//   server does all the time. The copy is written as `openwaba.db.part` and renamed when it is whole
//   and has passed `PRAGMA integrity_check` and the media below is copied too, so a cut-off
//   backup is never taken for a complete one.
// - The media (`<dataDir>/media`: uploaded media and resumable upload sessions), copied after the
//   database, so every file a row of the copy names was already there (media is written before its
//   row). Files removed meanwhile (expired or deleted) are simply missing from the copy, as their rows
//   soon are. Temporary files of uploads in progress (`*.part`) are left out.
//
// Not in the backup: OPENWABA_SECRET_KEY (it is configuration, not data; without it the copy's sealed
// Meta access tokens cannot be opened), and the server's logs.
// Restore: stop the server, put `openwaba.db` where DATABASE_URL points (removing any `-wal` and `-shm`
// files beside the old one) and `media/` as `<dataDir>/media`, then start it with the same
// OPENWABA_SECRET_KEY.
// On PostgreSQL the command refuses: pg_dump takes a consistent copy of the database there.
import { cp, mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { ConfigError, sqliteFile, type Config } from '../config.ts';

export interface BackupResult {
  database: string;
  database_bytes: number;
  /** The newest migration in the copy: the schema version it needs. */
  schema: string | undefined;
  media_files: number;
  media_bytes: number;
  took_ms: number;
}

/** The backup directory: new, or empty (a backup never overwrites anything). */
async function prepareTarget(dir: string): Promise<void> {
  const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    if (err.code === 'ENOTDIR') throw new ConfigError(`${dir} exists and is not a directory`);
    throw err;
  });
  if (existing && existing.length > 0) throw new ConfigError(`${dir} is not empty: a backup goes into a new or empty directory`);
  await mkdir(dir, { recursive: true });
}

/** Copies the database as one snapshot into `<target>.part`, checks the copy, and answers its newest migration. */
function copyDatabase(source: string, target: string): string | undefined {
  const part = `${target}.part`;
  const db = new SqliteDatabase(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('VACUUM INTO ?').run(part);
  } finally {
    db.close();
  }
  const copy = new SqliteDatabase(part, { readonly: true, fileMustExist: true });
  let schema: string | undefined;
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`the copy failed SQLite's integrity check: ${String(check)}`);
    const hasMigrations = copy.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
    if (hasMigrations) schema = (copy.prepare('select max(name) as name from kysely_migration').get() as { name: string | null }).name ?? undefined;
  } finally {
    copy.close();
  }
  return schema;
}

/** Copies `<dataDir>/media` without the temporary files of uploads in progress; its file count and bytes. */
async function copyMedia(from: string, to: string): Promise<{ files: number; bytes: number }> {
  const exists = await stat(from).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!exists) return { files: 0, bytes: 0 };
  let files = 0;
  let bytes = 0;
  await cp(from, to, {
    recursive: true,
    errorOnExist: true,
    force: false,
    filter: async (src) => {
      if (src.endsWith('.part')) return false;
      const s = await stat(src).catch(() => undefined);
      // Removed since it was listed (expired or deleted media): left out.
      if (!s) return false;
      if (s.isFile()) {
        files += 1;
        bytes += s.size;
      }
      return true;
    },
  });
  return { files, bytes };
}

/** The path with symlinks resolved, as far as it exists (a path still to be made resolves as given). */
export async function realOrSelf(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(await realOrSelf(parent), path.basename(abs));
  }
}

/** Whether `p` is `dir` or below it (both real paths). */
export const within = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);

/** `openwaba backup <dir>` (see the head of this file). */
export async function backup(config: Config, dir: string): Promise<BackupResult> {
  const started = Date.now();
  const file = sqliteFile(config.databaseUrl);
  if (file === undefined) {
    throw new ConfigError(
      `openwaba backup copies a SQLite installation; this one is on PostgreSQL: back it up with pg_dump (e.g. pg_dump --format=custom "$DATABASE_URL" > openwaba.dump), and copy ${path.join(config.dataDir, 'media')} with it`,
    );
  }
  if (file === ':memory:') throw new ConfigError('DATABASE_URL names an in-memory database: there is nothing to back up');
  await stat(file).catch(() => {
    throw new ConfigError(`there is no database at ${file} (DATABASE_URL)`);
  });
  const target = path.resolve(dir);
  const liveMedia = path.join(config.dataDir, 'media');
  // A backup inside the media it copies would copy itself (and is no backup if the disk goes).
  if (within(await realOrSelf(target), await realOrSelf(liveMedia))) throw new ConfigError(`${target} is inside the media directory ${liveMedia}: write the backup elsewhere`);
  await prepareTarget(target);
  const dbCopy = path.join(target, 'openwaba.db');
  let schema: string | undefined;
  let media: { files: number; bytes: number };
  try {
    schema = copyDatabase(file, dbCopy);
    media = await copyMedia(liveMedia, path.join(target, 'media'));
    // Named last: a backup with an openwaba.db is a whole one (database and media).
    await rename(`${dbCopy}.part`, dbCopy);
  } catch (err) {
    await rm(`${dbCopy}.part`, { force: true });
    await rm(path.join(target, 'media'), { recursive: true, force: true });
    throw err;
  }
  return {
    database: dbCopy,
    database_bytes: (await stat(dbCopy)).size,
    schema,
    media_files: media.files,
    media_bytes: media.bytes,
    took_ms: Date.now() - started,
  };
}
