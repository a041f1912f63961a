// Claims on SQLite: held in memory, not written. A SQLite database has one dispatching process
// (the rule, enforced below), so the lease that lets PostgreSQL instances share the
// outbox only costs there: a claim that writes dirties every claimed row and its index entries
// and commits, which measured as much as the rest of a delivery's bookkeeping (bench:webhooks).
//
// - The events this process holds (waiting, in flight, or with their outcome not yet written)
//   are a set shared by every dispatcher on the same Db, and a claim leaves them out. An event
//   leaves the set once its outcome is written (delivered, failed, or due again later), or when
//   it is handed back. Nothing is written to claim it: its row stays `pending` and due.
// - A crash loses nothing and delays nothing: the rows were never marked, so a restart finds
//   them due at once (at-least-once delivery, duplicates with the same webhook-id, as before).
// - One process per database dispatches: it holds a lock row in instance_settings (process id,
//   host, and a lease renewed while it runs). Another process finds it held and stands by,
//   claiming nothing; it takes over when the lease runs out, at once if the holder's process
//   has died on this host (a restart after SIGKILL does not wait out the lease).
import fs from 'node:fs';
import os from 'node:os';
import type { Db } from '../db/index.ts';
import { recordId } from '../ids.ts';
import type { ClaimedEvent, ClaimRequest } from './claims.ts';

/** The lock row's key in instance_settings. */
export const LOCK_KEY = 'webhook_dispatcher_sqlite';
/** This process, as told apart from an earlier one that had the same pid (a restarted container's pid 1). */
const PROCESS_ID = recordId('proc');
/** A claimed event's "lease" on SQLite: held until its outcome is written, however long. */
const HELD_UNTIL = '9999-12-31T23:59:59.999Z';

interface ProcessClaims {
  /** Ids claimed by this process and not yet settled. */
  held: Set<string>;
  /** This process's lock token, and until when (ms since epoch, real time) it holds the lock. */
  token: string;
  until: number;
  /** Dispatchers started on this Db in this process (the lock is released when the last stops). */
  started: number;
  /** Where the next claim starts looking (see Cursor). */
  cursor?: Cursor;
}

// Per database file (several Db objects of one process may open the same file), or per Db for
// an in-memory database.
const byFile = new Map<string, ProcessClaims>();
const realPaths = new Map<string, string>();

/** The file's real path (one state for a file reached through a symlink and directly). */
function realFile(file: string): string {
  if (file === ':memory:') return file;
  let real = realPaths.get(file);
  if (real === undefined) {
    try {
      real = fs.realpathSync(file);
    } catch {
      real = file;
    }
    realPaths.set(file, real);
  }
  return real;
}
const inMemory = new WeakMap<Db, ProcessClaims>();

function stateOf(db: Db): ProcessClaims {
  const file = realFile(db.sqlite!.file);
  let s = file === ':memory:' ? inMemory.get(db) : byFile.get(file);
  if (!s) {
    s = { held: new Set(), token: recordId('lock'), until: 0, started: 0 };
    if (file === ':memory:') inMemory.set(db, s);
    else byFile.set(file, s);
  }
  return s;
}

/** The lock row's value (JSON). */
export interface LockValue {
  token: string;
  proc?: string;
  pid: number;
  host: string;
  until: number;
}

/** Whether a process of this host is running (restore.ts asks too, before replacing a database). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type LockState = { held: true } | { held: false; by: { pid: number; host: string; until: string } };

/**
 * Takes or renews this process's dispatching lock on the database (a write only when the lease
 * is past half its time). Real time, not the injected clock: the lease is about processes.
 */
export async function holdSqliteLock(db: Db, leaseMs: number): Promise<LockState> {
  const s = stateOf(db);
  const now = Date.now();
  if (s.until - now > leaseMs / 2) return { held: true };
  return db.sqlite!.run((prepare, transaction) =>
    transaction((): LockState => {
      const raw = prepare('select value from instance_settings where key = ?').pluck().get(LOCK_KEY) as string | undefined;
      let other: LockValue | undefined;
      try {
        other = raw ? (JSON.parse(raw) as LockValue) : undefined;
      } catch {
        other = undefined; // unreadable: treat as free
      }
      const here = other?.host === os.hostname();
      const free =
        !other ||
        other.token === s.token ||
        other.until <= now ||
        // On this host: a holder whose process is gone. Our own pid under another process id
        // is an earlier process (a restarted container gets the same pid again).
        (here && other.pid === process.pid && other.proc !== PROCESS_ID) ||
        (here && other.pid !== process.pid && !processAlive(other.pid));
      if (!free) return { held: false, by: { pid: other!.pid, host: other!.host, until: new Date(other!.until).toISOString() } };
      const until = now + leaseMs;
      const value = JSON.stringify({ token: s.token, proc: PROCESS_ID, pid: process.pid, host: os.hostname(), until } satisfies LockValue);
      prepare('insert into instance_settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value').run(LOCK_KEY, value);
      s.until = until;
      return { held: true };
    }),
  );
}

export function sqliteDispatcherStarted(db: Db): void {
  stateOf(db).started++;
}

/** A dispatcher stopped: the last one on this Db in this process gives the lock up. */
export async function sqliteDispatcherStopped(db: Db): Promise<void> {
  const s = stateOf(db);
  s.started = Math.max(0, s.started - 1);
  if (s.started > 0 || s.until === 0) return;
  s.until = 0;
  await db.sqlite!.run((prepare) => {
    prepare("delete from instance_settings where key = ? and json_extract(value, '$.token') = ?").run(LOCK_KEY, s.token);
  });
}

// Due events oldest first (index webhook_events_due covers these columns: no table reads),
// from a position on: (available_at, id) after the cursor's.
const CANDIDATES = `
  select id, target_id, available_at from webhook_events
  where status in ('pending', 'delivering') and available_at <= @now
    and (available_at, id) > (@after_at, @after_id)
    and target_id not in (select value from json_each(@excluded))
  order by available_at, id`;

const BY_IDS = `select id, target_type, target_id, body, attempts, created_at, expires_at from webhook_events where id in (select value from json_each(@ids))`;

/** The cursor is dropped at least this often (real time), so that nothing waits behind it for long. */
const CURSOR_MAX_AGE_MS = 1_000;
/** A claim stops looking after this many events in a row that it may not take (their targets are full). */
const SKIP_RUN = 16;

/**
 * Where the next claim starts looking. Every due event before it is held by this process (a
 * claim moves it over events it holds or takes, and stops at the first it leaves): a claim
 * then reads the events it may take, not again the ones held, which under a backlog are most
 * of what it would read. An event can come to lie before it without being held (a claim handed
 * back, an outcome that could not be written, a clock set back): a claim that does not fill up
 * from the cursor looks from the start as well, a hand-back drops the cursor, and so does age.
 */
interface Cursor {
  at: string;
  id: string;
  /** Real time it was set from the start (Date.now()). */
  since: number;
}
const START = { at: '', id: '' };

/**
 * Looks at the `scan` oldest due events this process does not hold and takes, per target, at
 * most its cap. Their available_at comes back as HELD_UNTIL: held until settled.
 */
export async function claimSqlite(db: Db, r: ClaimRequest): Promise<ClaimedEvent[]> {
  const s = stateOf(db);
  return db.sqlite!.run((prepare) => {
    const candidates = prepare(CANDIDATES).raw();
    const excluded = JSON.stringify(r.exclude);
    const now = r.now.toISOString();
    const taken = new Map<string, number>();
    /** The events taken, in the order they fell due. */
    const picked = new Set<string>();
    let cursor = s.cursor;
    if (cursor && Date.now() - cursor.since > CURSOR_MAX_AGE_MS) cursor = undefined;
    /** Walks due events from `from`; returns whether it saw the end of them. */
    const walk = (from: { at: string; id: string }, seen: number): { end: boolean; seen: number; last?: { at: string; id: string } } => {
      // The cursor moves only over events held or taken, and not in a sweep (which does not see the excluded targets).
      let contiguous = r.exclude.length === 0;
      let last: { at: string; id: string } | undefined;
      let skippedInARow = 0;
      for (const row of candidates.iterate({ now, after_at: from.at, after_id: from.id, excluded }) as IterableIterator<[string, string, string]>) {
        const [id, target, at] = row;
        if (s.held.has(id) || picked.has(id)) {
          if (contiguous) last = { at, id };
          continue;
        }
        const n = taken.get(target) ?? 0;
        seen++;
        if (n < (r.caps.get(target) ?? r.perTarget)) {
          taken.set(target, n + 1);
          picked.add(id);
          if (contiguous) last = { at, id };
          skippedInARow = 0;
        } else {
          contiguous = false;
          // A run of events of targets that are full: most likely one target's backlog; the
          // rest of the window would be more of it. Other targets' events behind it are what
          // sweeps (which leave full targets out) are for.
          if (++skippedInARow >= SKIP_RUN) return { end: false, seen, last };
        }
        // Leaving the loop ends the statement's iteration.
        if (picked.size >= r.limit || seen >= r.scan) return { end: false, seen, last };
      }
      return { end: true, seen, last };
    };
    let seen = 0;
    if (cursor) {
      const w = walk(cursor, 0);
      seen = w.seen;
      if (w.last) s.cursor = { ...w.last, since: cursor.since };
      // It did not fill up: look from the start too (an event may lie before the cursor).
      if (w.end) cursor = undefined;
    }
    if (!cursor) {
      const since = Date.now();
      const w = walk(START, seen);
      s.cursor = w.last && { ...w.last, since };
    }
    if (picked.size === 0) return [];
    const rows = prepare(BY_IDS).all({ ids: JSON.stringify([...picked]) }) as ClaimedEvent[];
    for (const row of rows) {
      s.held.add(row.id);
      row.available_at = HELD_UNTIL;
    }
    return rows;
  });
}

/** The events' outcomes are written (or they were handed back): claimable again if due. */
export function settleSqlite(db: Db, ids: Iterable<string>): void {
  const held = stateOf(db).held;
  for (const id of ids) held.delete(id);
}

/** Claimed events given back unattempted: due where they were, which may be before the cursor. */
export function handBackSqlite(db: Db, ids: Iterable<string>): void {
  settleSqlite(db, ids);
  stateOf(db).cursor = undefined;
}
