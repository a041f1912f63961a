// WAL checkpoints of the server's SQLite database, off the event loop. better-sqlite3 is
// synchronous: a checkpoint run by the serving connection (SQLite's default, every 1,000 pages)
// stops every request for its two fsyncs (10-30 ms on a VM disk), about once per hundred sends.
// A worker thread with its own connection checkpoints instead, every 100 ms (PASSIVE: it never
// blocks writers). The WAL starts over from its beginning when a write finds it fully
// checkpointed, which any pause in writing allows; only a write load that never pauses lets it
// grow to the serving connection's own autocheckpoint, kept as a safety net at 40,000 pages
// (~160 MB): that connection then checkpoints once (a stall, as before, but 40 times rarer), and
// the file is cut back to 64 MB. If the worker stops, the serving connection checkpoints as usual.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/** The serving connection's own autocheckpoint (pages) while the worker runs. */
const SAFETY_AUTOCHECKPOINT = 40_000;
/** The WAL file is cut back to this size when it starts over. */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;
const DEFAULT_AUTOCHECKPOINT = 1_000;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
let stopped = false;
function tick() {
  if (stopped) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // The serving connection takes checkpoints back when this thread ends.
    try { db.close(); } catch {}
    process.exit(1);
  }
  setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (m) => {
  if (m === 'stop') {
    stopped = true;
    try { db.close(); } catch {}
    process.exit(0);
  }
});
tick();`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(sqlite: SqliteDatabase.Database, file: string, intervalMs = 100): Checkpointer {
  const worker = new Worker(WORKER, { eval: true, workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file, intervalMs } });
  worker.unref();
  let stopping = false;
  sqlite.pragma(`wal_autocheckpoint = ${SAFETY_AUTOCHECKPOINT}`);
  sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  const fallBack = () => {
    if (!stopping && sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
  };
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  // Listened for from the start: a worker that has already ended (it could not open the file,
  // a checkpoint failed) must not leave stop() waiting for an exit that happened before.
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      // Held while it stops: an unreferenced worker lets the process end before its exit (with
      // exit code 13, the awaited promise never settling), e.g. when the server could not listen.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
