// `openwaba doctor [--json]`: checks an installation as an operator would before or after deploying.
// Each check is cheap and bounded (the database gets a few seconds, not the server's 10 s connect
// and 60 s query timeouts), reads only (the one write is a temporary file in the data directory),
// and never prints a secret: not the database password, not OPENWABA_SECRET_KEY, not a sealed token.
// Exit code (main.ts): 0 when nothing failed, 1 when a check failed; warnings do not fail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { ConfigError, loadConfig, sqliteFile, type Config } from '../config.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
}

/** How long the database may take to connect and to answer one query. */
const DB_TIMEOUT_MS = 3_000;
/** A WAL above this means checkpoints are not keeping up (a reader that never ends, a stuck server). */
const WAL_WARN_BYTES = 1024 ** 3;

/** The few queries the checks need, on either database. */
interface Probe {
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  hasTable(name: string): Promise<boolean>;
  close(): Promise<void>;
}

function sqliteProbe(file: string): Probe {
  // Read-only: the doctor never changes the database (WAL lets it read while a server writes).
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true, timeout: DB_TIMEOUT_MS });
  return {
    rows: async <T>(sql: string, params: unknown[] = []) => db.prepare(sql).all(...params) as T[],
    hasTable: async (name) => db.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(name) !== undefined,
    close: async () => void db.close(),
  };
}

async function pgProbe(url: string): Promise<Probe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: DB_TIMEOUT_MS, query_timeout: DB_TIMEOUT_MS, statement_timeout: DB_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return {
    rows: async <T>(sql: string, params: unknown[] = []) => (await client.query(numbered(sql), params)).rows as T[],
    hasTable: async (name) => ((await client.query('select to_regclass($1) is not null as present', [name])).rows[0] as { present: boolean }).present,
    close: () => client.end().catch(() => {}),
  };
}

/** `?` placeholders (SQLite's) as PostgreSQL's `$1`, `$2`… (the queries here have no other `?`). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/** A promise that rejects after ms (the checks' outer bound, whatever the driver does). */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** PostgreSQL's address as an operator names it: host, port, database and user, never the password. */
function describePg(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || new URLSearchParams(u.search).get('host') || 'localhost';
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default database)';
    const user = u.username ? ` as ${decodeURIComponent(u.username)}` : '';
    return `PostgreSQL ${host}:${u.port || '5432'}/${db}${user}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL is not a parseable URL)';
  }
}

const mib = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MiB`;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)) || String((err as { code?: unknown })?.code ?? 'error');

/** Whether the URL's host is this machine (an http URL is then fine for local use). */
function loopback(u: URL): boolean {
  const h = u.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\./.test(h);
}

/** The data directory: there and writable (a file written and removed), or makeable by `openwaba start`. */
function checkDataDir(dir: string): CheckResult {
  const check = 'data-dir';
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return { check, status: 'fail', detail: `${dir}: ${errorText(err)}` };
  }
  if (!st) {
    // Missing: `openwaba start` makes it, if its nearest existing ancestor takes new entries.
    let up = path.dirname(dir);
    while (!fs.existsSync(up) && path.dirname(up) !== up) up = path.dirname(up);
    try {
      fs.accessSync(up, fs.constants.W_OK);
      return { check, status: 'warn', detail: `${dir} does not exist yet (openwaba start creates it)` };
    } catch {
      return { check, status: 'fail', detail: `${dir} does not exist and ${up} is not writable: openwaba start cannot create it` };
    }
  }
  if (!st.isDirectory()) return { check, status: 'fail', detail: `${dir} is not a directory` };
  const probe = path.join(dir, `.openwaba-doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(probe, 'openwaba doctor\n', { flag: 'wx' });
    fs.rmSync(probe, { force: true });
  } catch (err) {
    fs.rmSync(probe, { force: true });
    return { check, status: 'fail', detail: `${dir} is not writable: ${errorText(err)}` };
  }
  return { check, status: 'ok', detail: `${dir} (writable)` };
}

/** SQLite: whether a server holds the webhook dispatcher's lock (informational). */
async function checkServer(probe: Probe): Promise<CheckResult> {
  const { LOCK_KEY, processAlive } = await import('../webhooks/sqlite-claims.ts');
  type LockValue = import('../webhooks/sqlite-claims.ts').LockValue;
  const check = 'server';
  const raw = (await probe.hasTable('instance_settings'))
    ? (await probe.rows<{ value: string }>('select value from instance_settings where key = ?', [LOCK_KEY]))[0]?.value
    : undefined;
  let lock: LockValue | undefined;
  try {
    lock = raw ? (JSON.parse(raw) as LockValue) : undefined;
  } catch {
    lock = undefined;
  }
  // The same test as restore.ts: a live lease, held by a live process when it is of this host.
  if (lock && lock.until > Date.now() && (lock.host !== os.hostname() || processAlive(lock.pid))) {
    return { check, status: 'ok', detail: `running: pid ${lock.pid} on ${lock.host} (holds the webhook dispatcher lock)` };
  }
  return { check, status: 'ok', detail: 'no server running (none holds the webhook dispatcher lock)' };
}

async function checkMigrations(probe: Probe): Promise<CheckResult> {
  const { knownMigrations } = await import('../db/migrate.ts');
  const check = 'migrations';
  const known = knownMigrations();
  const applied = (await probe.hasTable('kysely_migration')) ? (await probe.rows<{ name: string }>('select name from kysely_migration order by name')).map((r) => r.name) : [];
  const knownSet = new Set(known);
  const appliedSet = new Set(applied);
  const unknown = applied.filter((n) => !knownSet.has(n));
  const pending = known.filter((n) => !appliedSet.has(n));
  if (unknown.length > 0) {
    return {
      check,
      status: 'fail',
      detail: `the database has migrations this openwaba does not know (${unknown.join(', ')}): it is newer than this version; run the version that made it`,
    };
  }
  if (pending.length > 0) {
    const names = pending.length > 3 ? `${pending.slice(0, 3).join(', ')}, …` : pending.join(', ');
    return { check, status: 'warn', detail: `${applied.length} of ${known.length} applied, ${pending.length} pending (${names}): openwaba start (or openwaba migrate) applies them` };
  }
  return { check, status: 'ok', detail: `all ${known.length} applied (latest ${known.at(-1)})` };
}

/** OPENWABA_SECRET_KEY: set or not, and whether it opens the stored Meta tokens. Never printed. */
async function checkSecretKey(config: Config, probe: Probe | undefined): Promise<CheckResult> {
  const check = 'secret-key';
  let meta: { channel_id: string; access_token_sealed: string }[] = [];
  if (probe && (await probe.hasTable('meta_channels'))) {
    meta = await probe.rows('select channel_id, access_token_sealed from meta_channels order by channel_id');
  }
  const numbers = `${meta.length} number${meta.length === 1 ? '' : 's'} on Meta's Cloud API`;
  if (!config.secretKey) {
    if (meta.length > 0) return { check, status: 'warn', detail: `OPENWABA_SECRET_KEY is not set, but there ${meta.length === 1 ? 'is' : 'are'} ${numbers}: their sealed access tokens cannot be opened, they cannot be used` };
    return { check, status: 'ok', detail: `OPENWABA_SECRET_KEY is not set (needed only for numbers on Meta's Cloud API; ${probe ? 'none in the database' : 'the database was not read'})` };
  }
  if (meta.length > 0) {
    // One token opened (and dropped) to tell the key is the one they were sealed with.
    const { openSecret } = await import('../network/meta/secret-box.ts');
    const first = meta[0]!;
    try {
      openSecret(config.secretKey, first.access_token_sealed, first.channel_id);
    } catch {
      return { check, status: 'fail', detail: `OPENWABA_SECRET_KEY is set but does not open the access token of channel ${first.channel_id}: it is not the key the ${numbers} were sealed with` };
    }
  }
  return { check, status: 'ok', detail: `OPENWABA_SECRET_KEY is set (${probe ? numbers : 'the database was not read'})` };
}

function checkUrlPolicy(config: Config): CheckResult {
  const check = 'webhook-url-policy';
  if (config.webhookUrlPolicy === 'local' && config.production) {
    return { check, status: 'warn', detail: 'local while NODE_ENV=production: channel webhook URLs may be plain http, carry ports and name loopback or private hosts (set OPENWABA_WEBHOOK_URL_POLICY=strict)' };
  }
  return { check, status: 'ok', detail: config.webhookUrlPolicy === 'strict' ? 'strict' : 'local (NODE_ENV is not production)' };
}

function checkPublicUrl(config: Config): CheckResult {
  const check = 'public-url';
  const u = new URL(config.publicUrl);
  if (u.protocol === 'https:') return { check, status: 'ok', detail: config.publicUrl };
  // Plain http on this machine is fine for local use; anywhere else the keys' `address` and the
  // media URLs handed out would send clients' API keys in clear text.
  if (loopback(u) && !config.production) return { check, status: 'ok', detail: `${config.publicUrl} (not https: local use only)` };
  return { check, status: 'warn', detail: `${config.publicUrl} is not https: set OPENWABA_PUBLIC_URL to the https address clients reach openwaba at` };
}

/** Runs every check; a check that throws is a fail with its error, never a crash of the command. */
export async function doctor(env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [{ check: 'config', status: 'fail', detail: err.message }];
  }
  results.push({ check: 'config', status: 'ok', detail: 'loaded' });

  const file = sqliteFile(config.databaseUrl);
  let probe: Probe | undefined;
  if (file === ':memory:') {
    results.push({ check: 'database', status: 'warn', detail: 'SQLite in memory: nothing is kept when the server stops' });
  } else if (file !== undefined && !fs.existsSync(file)) {
    results.push({ check: 'database', status: 'warn', detail: `SQLite ${file} does not exist yet (openwaba start creates it)` });
  } else {
    const kind = file !== undefined ? `SQLite ${file}` : describePg(config.databaseUrl);
    try {
      const opened = bounded(file !== undefined ? Promise.resolve().then(() => sqliteProbe(file)) : pgProbe(config.databaseUrl), DB_TIMEOUT_MS + 1_000, 'the database');
      const p = await opened;
      probe = p;
      await bounded(p.rows('select 1 as one'), DB_TIMEOUT_MS + 1_000, 'the database');
      let extra = '';
      if (file !== undefined) extra = ` (${mib(fs.statSync(file).size)})`;
      else {
        const v = (await p.rows<{ v: string }>("select current_setting('server_version') as v"))[0]?.v;
        if (v) extra = ` (server ${v})`;
      }
      results.push({ check: 'database', status: 'ok', detail: `${kind}${extra} answers` });
    } catch (err) {
      results.push({ check: 'database', status: 'fail', detail: `${kind}: ${errorText(err)}` });
      await probe?.close();
      probe = undefined;
    }
  }

  const run = async (name: string, fn: () => Promise<CheckResult> | CheckResult) => {
    try {
      results.push(await bounded(Promise.resolve().then(fn), DB_TIMEOUT_MS + 2_000, name));
    } catch (err) {
      results.push({ check: name, status: 'fail', detail: errorText(err) });
    }
  };
  try {
    if (probe) await run('migrations', () => checkMigrations(probe!));
    await run('data-dir', () => checkDataDir(config.dataDir));
    if (file !== undefined && file !== ':memory:') {
      await run('sqlite-wal', () => {
        const wal = `${file}-wal`;
        const size = fs.existsSync(wal) ? fs.statSync(wal).size : undefined;
        if (size === undefined) return { check: 'sqlite-wal', status: 'ok', detail: 'no WAL file' };
        if (size > WAL_WARN_BYTES) return { check: 'sqlite-wal', status: 'warn', detail: `${wal} is ${mib(size)}: checkpoints are not keeping up (a reader that never ends?)` };
        return { check: 'sqlite-wal', status: 'ok', detail: mib(size) };
      });
      if (probe) await run('server', () => checkServer(probe!));
    }
    await run('webhook-url-policy', () => checkUrlPolicy(config));
    await run('secret-key', () => checkSecretKey(config, probe));
    await run('public-url', () => checkPublicUrl(config));
  } finally {
    await probe?.close();
  }
  return redact(results, config);
}

/** Belt and braces: no detail carries the database password or the secret key, whatever an error said. */
function redact(results: CheckResult[], config: Config): CheckResult[] {
  const secrets: string[] = [];
  try {
    const u = new URL(config.databaseUrl);
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
  } catch {
    // not a URL: nothing to take from it
  }
  if (config.secretKey) secrets.push(config.secretKey.toString('hex'), config.secretKey.toString('base64'), config.secretKey.toString('base64url'));
  if (config.adminToken) secrets.push(config.adminToken);
  const hide = (s: string) => secrets.filter((x) => x.length >= 3).reduce((acc, x) => acc.split(x).join('***'), s);
  return results.map((r) => ({ ...r, detail: hide(r.detail) }));
}

/** `ok    name: detail`, one line each. */
export function formatChecks(results: CheckResult[]): string {
  return results.map((r) => `${r.status.padEnd(4)}  ${r.check}: ${r.detail}\n`).join('');
}
