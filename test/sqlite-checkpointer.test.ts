// The SQLite checkpointer's worker thread (src/db/sqlite-checkpointer.ts) is unreferenced while it
// runs, so that it never keeps a process alive; closing the database must still wait for it to
// end, and the process must go on. Before, a process whose only remaining work was that close
// ended at once with exit code 13 ("unsettled top-level await"): `openwaba start` on a port in use
// exited silently instead of printing why.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/processes.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-ckpt-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('a process that opens the database with background checkpoints and closes it goes on after the close', async () => {
  const script = path.join(dir, 'close.mjs');
  fs.writeFileSync(
    script,
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};
register();
const { openDb } = await import(${JSON.stringify(path.join(REPO_ROOT, 'src/db/index.ts'))});
const db = openDb(${JSON.stringify(`sqlite:${path.join(dir, 'x.db')}`)}, { backgroundCheckpoints: true });
await db.close();
process.stdout.write('closed\\n');
`,
  );
  const child = spawn(process.execPath, [script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(err).toBe('');
  expect(out).toBe('closed\n');
  expect(code).toBe(0);
});
