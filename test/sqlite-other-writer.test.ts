// SQLite with another process writing to the same file (the CLI, as the README allows): the
// server's transactions take the write lock when they begin (BEGIN IMMEDIATE), so they wait for
// the other writer (busy_timeout) instead of failing with SQLITE_BUSY when a transaction that
// read first tries to write after the other process committed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { sqliteFile } from '../src/config.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

/** A child process that holds the file's write lock for `ms`, writing a row meanwhile; resolves once it holds it. */
async function holdWriteLock(file: string, ms: number): Promise<{ done: Promise<number | null> }> {
  const code = `
    const Database = require(${JSON.stringify(DRIVER)});
    const db = new Database(${JSON.stringify(file)});
    db.pragma('busy_timeout = 5000');
    db.prepare('begin immediate').run();
    db.prepare("insert into instance_settings (key, value) values ('other_writer_' || ?, '{}')").run(String(Date.now()));
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});
    db.prepare('commit').run();
    db.close();`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (c) => reject(new Error(`lock holder exited (${c}) before locking`)));
  });
  return { done: once(child, 'exit').then(([c]) => c as number | null) };
}

describe('SQLite: another process writing to the file', () => {
  let t: TestApp;
  let p: BootstrapResult;
  let file: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    p = await t.tenant();
    file = sqliteFile(t.deps.config.databaseUrl)!;
    // The user writes first: the sends below read the window, then write the message.
    expect((await t.post('/sandbox/v1/inbound', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { from: '4917600000301', text: { body: 'hi' } } })).status).toBe(200);
  });
  afterAll(() => t.close());

  it('sends made while it holds the write lock wait for it and succeed', async () => {
    for (let round = 0; round < 3; round++) {
      const holder = await holdWriteLock(file, 300);
      const sent = await t.post('/messages', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: '4917600000301', text: { body: `while locked ${round}` } } });
      expect(await holder.done).toBe(0);
      expect(sent.status, sent.text).toBe(200);
    }
    const rows = await t.deps.db.kysely.selectFrom('messages').select('id').where('direction', '=', 'outbound').execute();
    expect(rows).toHaveLength(3);
  });
});
