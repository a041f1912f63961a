// BENCH_SQLITE_STATS: where a server child's SQLite time goes, and what it writes. Installed
// before the server opens its database; prints at exit (to stderr):
// - each statement's calls, total and mean time (better-sqlite3 is synchronous: the time of a
//   call is the serving thread's time, the kernel's writes at commit included);
// - the process's write syscalls and bytes from /proc/self/io (WAL frames, checkpoints and the
//   sockets' answers alike), in all and per message inserted.
// A diagnostic only: it wraps better-sqlite3's prepare(), which costs a little time per call.
import fs from 'node:fs';
import { createRequire } from 'node:module';

type Stmt = Record<string, (...args: unknown[]) => unknown>;

function procIo(): Map<string, number> {
  try {
    return new Map(
      fs
        .readFileSync('/proc/self/io', 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(':') as [string, string])
        .map(([k, v]) => [k, Number(v)]),
    );
  } catch {
    return new Map(); // not Linux
  }
}

export function installSqliteStats(): void {
  const Database = createRequire(import.meta.url)('better-sqlite3') as { prototype: { prepare: (sql: string) => Stmt } };
  const stats = new Map<string, { n: number; ns: bigint }>();
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: unknown, sql: string): Stmt {
    const stmt = prepare.call(this, sql);
    const key = sql.replace(/\s+/g, ' ').trim().slice(0, 100);
    for (const m of ['run', 'all', 'get', 'iterate']) {
      const f = stmt[m]!;
      stmt[m] = function (this: unknown, ...args: unknown[]) {
        const t0 = process.hrtime.bigint();
        try {
          return f.apply(this, args);
        } finally {
          const s = stats.get(key) ?? { n: 0, ns: 0n };
          s.n++;
          s.ns += process.hrtime.bigint() - t0;
          stats.set(key, s);
        }
      };
    }
    return stmt;
  };
  const io0 = procIo();
  process.on('exit', () => {
    const io = procIo();
    const d = (k: string) => (io.get(k) ?? 0) - (io0.get(k) ?? 0);
    const inserted = [...stats].filter(([k]) => /^insert into "messages"/i.test(k)).reduce((a, [, s]) => a + s.n, 0);
    const per = (x: number) => (inserted ? ` (${(x / inserted).toFixed(1)} per message)` : '');
    let total = 0n;
    for (const s of stats.values()) total += s.ns;
    console.error(`server SQLite: ${(Number(total) / 1e6).toFixed(0)} ms in statements, ${inserted} messages inserted`);
    for (const [k, s] of [...stats].sort((a, b) => Number(b[1].ns - a[1].ns)).slice(0, 12)) {
      console.error(`  ${(Number(s.ns) / 1e6).toFixed(0).padStart(6)} ms ${String(s.n).padStart(8)} × ${(Number(s.ns) / 1e3 / s.n).toFixed(1).padStart(7)} µs  ${k}`);
    }
    if (io.size) {
      const kib = (x: number) => `${(x / 1e6).toFixed(0)} MB${inserted ? ` (${(x / inserted / 1024).toFixed(1)} KiB per message)` : ''}`;
      console.error(`server I/O: ${d('syscw')} write syscalls${per(d('syscw'))}, ${kib(d('wchar'))} written; ${d('syscr')} read syscalls${per(d('syscr'))}, ${kib(d('rchar'))} read`);
    }
  });
}
