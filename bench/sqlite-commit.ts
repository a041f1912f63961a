// Benchmark: what a SQLite commit costs per dirty page on this machine's disk, against the same
// work on a memory file system (/dev/shm) in the same run. bench:send's commits write 20-60 pages
// each (a batch of sends dirties one leaf page per channel in each per-channel index), so this
// per-page figure is the floor under its storage cost.
//
//   npm run bench:sqlite-commit                          # database under os.tmpdir()
//   BENCH_DIR=./data npm run bench:sqlite-commit         # on the disk the server will use
//
// The settings are the server's (WAL, synchronous=NORMAL). Each transaction updates k rows on k
// distinct pages of a 200,000-row table and commits; a PASSIVE checkpoint runs every
// BENCH_CHECKPOINT_EVERY commits (default 50: the server's checkpointer runs every 100 ms, about
// 50-60 commits under bench:send's load), so the WAL holds some thousands of frames, as there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const ROWS = 200_000;
const COMMITS = Number(process.env.BENCH_COMMITS ?? 400);
const CHECKPOINT_EVERY = Number(process.env.BENCH_CHECKPOINT_EVERY ?? 50);
const PAGES = [1, 5, 20, 50];

interface Figures {
  /** Mean commit time (µs) per k. */
  commitUs: Map<number, number>;
}

function run(dir: string): Figures {
  const file = path.join(fs.mkdtempSync(path.join(dir, 'openwaba-commit-')), 'bench.db');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('create table t (id integer primary key, pad text not null)');
    const insert = db.prepare('insert into t (id, pad) values (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(i, 'x'.repeat(200));
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const update = db.prepare('update t set pad = ? where id = ?');
    const begin = db.prepare('begin immediate');
    const commit = db.prepare('commit');
    const commitUs = new Map<number, number>();
    let pad = 0;
    for (const k of PAGES) {
      let ns = 0n;
      for (let c = 0; c < COMMITS; c++) {
        begin.run();
        // ~18 rows a page: rows this far apart are on distinct pages.
        const start = Math.floor(Math.random() * (ROWS - k * 40));
        pad = (pad + 1) % 26;
        for (let j = 0; j < k; j++) update.run(String.fromCharCode(97 + pad).repeat(200), start + j * 40);
        const t0 = process.hrtime.bigint();
        commit.run();
        ns += process.hrtime.bigint() - t0;
        if (c % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) db.pragma('wal_checkpoint(PASSIVE)');
      }
      commitUs.set(k, Number(ns) / COMMITS / 1e3);
    }
    return { commitUs };
  } finally {
    db.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

const diskDir = path.resolve(process.env.BENCH_DIR ?? os.tmpdir());
const memDir = '/dev/shm';
if (!fs.existsSync(memDir)) {
  console.error('bench:sqlite-commit needs /dev/shm (a memory file system) for its baseline');
  process.exit(2);
}
// Alternate, twice each, and keep each side's better figure: the machine's speed varies.
const disk: Figures[] = [];
const mem: Figures[] = [];
for (let round = 0; round < 2; round++) {
  mem.push(run(memDir));
  disk.push(run(diskDir));
}
const best = (fs_: Figures[], k: number) => Math.min(...fs_.map((f) => f.commitUs.get(k)!));
console.log(`\nnode ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}; disk: ${diskDir}; baseline: ${memDir}`);
console.log(`${COMMITS} commits per size, a PASSIVE checkpoint every ${CHECKPOINT_EVERY}; best of 2 alternating runs\n`);
console.log(`${'pages/commit'.padEnd(14)}${'disk µs'.padStart(10)}${'µs/page'.padStart(10)}${'memory µs'.padStart(12)}${'µs/page'.padStart(10)}${'ratio'.padStart(8)}`);
for (const k of PAGES) {
  const d = best(disk, k);
  const m = best(mem, k);
  console.log(`${String(k).padEnd(14)}${d.toFixed(1).padStart(10)}${(d / k).toFixed(1).padStart(10)}${m.toFixed(1).padStart(12)}${(m / k).toFixed(1).padStart(10)}${(d / m).toFixed(2).padStart(8)}`);
}
