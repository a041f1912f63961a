// Making a directory and its missing parents, without Node's `mkdir(…, { recursive: true })`.
// That one retries for ever when a directory refuses a new entry with ENOENT although it exists
// (procfs and sysfs do: `OPENWABA_DATA_DIR=/proc/x` hung the start, on Node 20, 22 and 24 alike).
// Here each missing level is made once, from the first existing ancestor down, and the first
// refusal is thrown as it came.
import fs from 'node:fs';
import path from 'node:path';

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Makes `dir` and its missing parents; an existing directory is fine, anything else throws. */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(cur);
    } catch (err) {
      if (code(err) !== 'ENOENT') throw err;
    }
    if (stat) {
      if (!stat.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${missing.at(-1) ?? cur}'`), { code: 'ENOTDIR', path: cur });
      break;
    }
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break; // the root itself is missing: mkdir says why
    cur = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      // Made meanwhile by someone else: fine if it is a directory (the next level, or the caller, finds out otherwise).
      if (code(err) !== 'EEXIST') throw err;
    }
  }
}
