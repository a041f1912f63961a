// `openwaba backup <dir>` and `openwaba restore <dir>` (src/cli/backup.ts, restore.ts) as an
// operator runs them: real processes on a real SQLite installation, the backup taken while the
// server keeps accepting messages; a second server started on the copy answers the same messages
// and media; restore refuses while a server runs, without --force, and a newer schema, and keeps
// what it replaces.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http, channelKey } from './helpers/app.ts';
import { killAll, runCli, startServerProcess, type ServerProcess } from './helpers/processes.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

afterAll(() => killAll());

describe('openwaba backup (SQLite)', () => {
  let root: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  let http: Http;
  let boot: BootstrapResult;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-backup-'));
    env = { DATABASE_URL: `sqlite:${path.join(root, 'live', 'openwaba.db')}`, OPENWABA_DATA_DIR: path.join(root, 'live'), OPENWABA_DEMO: 'false', OPENWABA_DEFAULT_THROUGHPUT_MPS: '1000' };
    server = await startServerProcess(env);
    http = new Http(server.url);
    const res = await runCli(['bootstrap', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    boot = JSON.parse(res.stdout);
  });
  afterAll(() => {
    server?.kill();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const send = (to: string) =>
    http.post('/messages', { headers: channelKey(boot.channel_api_key), json: { messaging_product: 'whatsapp', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } });

  async function upload(bytes: Buffer): Promise<string> {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', 'image/png');
    form.set('file', new Blob([bytes], { type: 'image/png' }), 'pixel.png');
    const res = await fetch(`${server.url}/media`, { method: 'POST', headers: channelKey(boot.channel_api_key), body: form });
    const body = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body.id;
  }

  it('copies the database as one consistent snapshot while sends go on, and the media; a server started on the copy answers them', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(300, 7)]);
    const mediaId = await upload(png);
    const before: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await send(`49151000${String(i).padStart(4, '0')}`);
      expect(res.status, res.text).toBe(200);
      before.push(res.body.messages[0].id);
    }

    // Sends keep coming while the backup runs: none of them fails, and the copy is whole.
    let sending = true;
    let during = 0;
    const load = (async () => {
      for (let i = 0; sending; i++) {
        const res = await send(`49152000${String(i % 10_000).padStart(4, '0')}`);
        expect(res.status, res.text).toBe(200);
        during += 1;
      }
    })();
    const dir = path.join(root, 'backup-1');
    const res = await runCli(['backup', dir, '--json'], env).finally(() => (sending = false));
    await load;
    expect(res.code, res.stderr).toBe(0);
    expect(during).toBeGreaterThan(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ database: path.join(dir, 'openwaba.db'), schema: expect.stringMatching(/^\d{4}_/) });
    expect(out.database_bytes).toBe(fs.statSync(path.join(dir, 'openwaba.db')).size);
    expect(out.media_files).toBeGreaterThanOrEqual(1);
    expect(fs.readdirSync(dir).sort()).toEqual(['media', 'openwaba.db']);

    const copy = new SqliteDatabase(path.join(dir, 'openwaba.db'), { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      // The copy is one instant: every message before the backup is there, with its channel.
      const ids = new Set((copy.prepare('select id from messages').all() as { id: string }[]).map((r) => r.id));
      for (const id of before) expect(ids.has(id), id).toBe(true);
      const orphans = copy.prepare('select count(*) as n from messages m where not exists (select 1 from channels c where c.id = m.channel_id)').get() as { n: number };
      expect(orphans.n).toBe(0);
      expect(copy.prepare('select id from media where id = ?').get(mediaId)).toBeDefined();
    } finally {
      copy.close();
    }

    // Restored: a server on the copy (and its media) knows the key, the messages and the media's bytes.
    const restored = await startServerProcess({ DATABASE_URL: `sqlite:${path.join(dir, 'openwaba.db')}`, OPENWABA_DATA_DIR: dir, OPENWABA_DEMO: 'false' });
    try {
      const r = new Http(restored.url);
      const meta = await r.get(`/${mediaId}`, { headers: channelKey(boot.channel_api_key) });
      expect(meta.status, meta.text).toBe(200);
      const bytes = await fetch(meta.body.url, { headers: channelKey(boot.channel_api_key) });
      expect(bytes.status).toBe(200);
      expect(Buffer.from(await bytes.arrayBuffer()).equals(png)).toBe(true);
      const msgs = await r.get('/sandbox/v1/messages', { headers: channelKey(boot.channel_api_key), query: { wa_id: '491510000000' } });
      expect(msgs.status, msgs.text).toBe(200);
      expect(msgs.body.messages.map((m: { id: string }) => m.id)).toContain(before[0]);
    } finally {
      restored.kill();
    }
  });

  it('refuses a directory that is not empty, and PostgreSQL (pg_dump is the tool there), with exit code 2 and a message', async () => {
    const full = path.join(root, 'full');
    fs.mkdirSync(full);
    fs.writeFileSync(path.join(full, 'keep.txt'), 'x');
    const res = await runCli(['backup', full], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/is not empty: a backup goes into a new or empty directory/);
    expect(fs.readdirSync(full)).toEqual(['keep.txt']);

    const pg = await runCli(['backup', path.join(root, 'pg')], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(pg.code).toBe(2);
    expect(pg.stderr).toMatch(/on PostgreSQL: back it up with pg_dump/);
    expect(fs.existsSync(path.join(root, 'pg'))).toBe(false);
  });

  it('refuses a backup directory inside the media it would copy', async () => {
    const inside = path.join(root, 'live', 'media', 'backup');
    const res = await runCli(['backup', inside], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/is inside the media directory/);
    expect(fs.existsSync(inside)).toBe(false);
  });

  it('prints a line for people without --json', async () => {
    const res = await runCli(['backup', path.join(root, 'backup-2')], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^backup written: .*openwaba\.db \(\d+ bytes, schema \d{4}_\w+\), \d+ media files \(\d+ bytes\), in \d+ ms\n$/);
  });
});

describe('openwaba restore (SQLite)', () => {
  let root: string;
  let env: Record<string, string>;
  let boot: BootstrapResult;
  let backupDir: string;
  let before: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-restore-'));
    env = { DATABASE_URL: `sqlite:${path.join(root, 'live', 'openwaba.db')}`, OPENWABA_DATA_DIR: path.join(root, 'live'), OPENWABA_DEMO: 'false' };
    const server = await startServerProcess(env);
    try {
      const res = await runCli(['bootstrap', '--json'], env);
      expect(res.code, res.stderr).toBe(0);
      boot = JSON.parse(res.stdout);
      const http = new Http(server.url);
      const sent = await http.post('/messages', { headers: channelKey(boot.channel_api_key), json: { messaging_product: 'whatsapp', to: '4915100001111', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } });
      expect(sent.status, sent.text).toBe(200);
      before = sent.body.messages[0].id;
      backupDir = path.join(root, 'backup');
      const b = await runCli(['backup', backupDir], env);
      expect(b.code, b.stderr).toBe(0);

      // While the server runs, restore is refused (even with --force), and nothing moves.
      const refused = await runCli(['restore', backupDir, '--force'], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/a server is using .*openwaba\.db \(process \d+ on .*\): stop it, then restore/);
      expect(fs.readdirSync(path.join(root, 'live')).filter((f) => f.includes('replaced'))).toEqual([]);

      // A message after the backup: the restore takes the database back to before it.
      const after = await http.post('/messages', { headers: channelKey(boot.channel_api_key), json: { messaging_product: 'whatsapp', to: '4915100002222', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } });
      expect(after.status, after.text).toBe(200);
    } finally {
      server.kill();
      await server.exited();
    }
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('refuses to replace an existing database without --force; with it, keeps the old one aside and puts the backup in place', async () => {
    const plain = await runCli(['restore', backupDir], env);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/exists: pass --force to replace it/);

    const res = await runCli(['restore', backupDir, '--force', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.database).toBe(path.join(root, 'live', 'openwaba.db'));
    expect(out.schema).toMatch(/^\d{4}_/);
    expect(out.media_files).toBe(0);
    // The replaced database is kept (with its -wal, which may hold its last commits).
    expect(out.replaced.some((p: string) => /openwaba\.db\.replaced-/.test(p))).toBe(true);
    for (const p of out.replaced) expect(fs.existsSync(p), p).toBe(true);

    const server = await startServerProcess(env);
    try {
      const http = new Http(server.url);
      const one = await http.get('/sandbox/v1/messages', { headers: channelKey(boot.channel_api_key), query: { wa_id: '4915100001111' } });
      expect(one.status, one.text).toBe(200);
      expect(one.body.messages.map((m: { id: string }) => m.id)).toEqual([before]);
      const two = await http.get('/sandbox/v1/messages', { headers: channelKey(boot.channel_api_key), query: { wa_id: '4915100002222' } });
      expect(two.body.messages).toEqual([]);
    } finally {
      server.kill();
      await server.exited();
    }
  });

  it("refuses to restore the installation's own data directory onto itself, and replaces the file a symlinked DATABASE_URL points at", async () => {
    const self = await runCli(['restore', path.join(root, 'live'), '--force'], env);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/is the installation's own data/);

    const real = path.join(root, 'volume');
    fs.mkdirSync(real);
    fs.copyFileSync(path.join(backupDir, 'openwaba.db'), path.join(real, 'openwaba.db'));
    fs.mkdirSync(path.join(root, 'linked'));
    fs.symlinkSync(path.join(real, 'openwaba.db'), path.join(root, 'linked', 'openwaba.db'));
    const linked = { DATABASE_URL: `sqlite:${path.join(root, 'linked', 'openwaba.db')}`, OPENWABA_DATA_DIR: path.join(root, 'linked') };
    const res = await runCli(['restore', backupDir, '--force', '--json'], linked);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).database).toBe(fs.realpathSync(path.join(real, 'openwaba.db')));
    expect(fs.lstatSync(path.join(root, 'linked', 'openwaba.db')).isSymbolicLink()).toBe(true);
    expect(fs.readdirSync(real).some((f) => f.startsWith('openwaba.db.replaced-'))).toBe(true);
  });

  it('restores into a new location without --force, and refuses a backup made by a newer version or that is no backup', async () => {
    const fresh = { DATABASE_URL: `sqlite:${path.join(root, 'fresh', 'openwaba.db')}`, OPENWABA_DATA_DIR: path.join(root, 'fresh') };
    fs.mkdirSync(path.join(root, 'fresh'));
    const res = await runCli(['restore', backupDir], fresh);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^restored: .*openwaba\.db \(schema \d{4}_\w+\), 0 media files\n$/);

    const newer = path.join(root, 'newer');
    fs.mkdirSync(newer);
    fs.copyFileSync(path.join(backupDir, 'openwaba.db'), path.join(newer, 'openwaba.db'));
    const db = new SqliteDatabase(path.join(newer, 'openwaba.db'));
    db.prepare("insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01T00:00:00.000Z')").run();
    db.close();
    const refused = await runCli(['restore', newer, '--force'], fresh);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/migrations this openwaba does not know \(9999_from_the_future\): it was made by a newer version/);

    const none = await runCli(['restore', path.join(root, 'nothing-here')], fresh);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/there is no openwaba\.db in .*: not a backup made by openwaba backup/);
  });
});
