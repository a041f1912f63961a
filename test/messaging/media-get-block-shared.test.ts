// 360dialog's block of GET /{media_id} (reference §4.4), shared by every instance on the database:
// errors answered by several instances add up to the 20 that block the number, a block one
// instance sets is honoured by the others within BLOCKS_RELOAD_MS (5 s, the app's clock), and a
// new instance (a restart) knows the counts and blocks from before. The successful GET writes
// nothing, and reads the running blocks at most once per 5 seconds per instance.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { buildApp } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { openDb, type Db } from '../../src/db/index.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { runMaintenance } from '../../src/maintenance.ts';
import { BLOCKS_RELOAD_MS, DOCUMENTED_MEDIA_GET_ERROR_BLOCK, MediaGetErrorBlock } from '../../src/messaging/media/get-error-block.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, uploadCloud } from './media-fixtures.ts';

const MIN = 60_000;
const BLOCKED = { meta: { success: false, http_code: 403, developer_message: 'The endpoint is blocked' } };
const png = SAMPLES.find((s) => s.name === 'chart.png')!;

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: any;
}

describeEachDb('GET /{media_id} block shared by instances on one database', (kind) => {
  let a: TestApp;
  /** Further instances: the same configuration, database and clock, each with its own connection. */
  const others: { app: FastifyInstance; db: Db }[] = [];
  const clock = new ManualClock(new Date('2026-06-01T09:00:00.000Z'));
  const key = (p: BootstrapResult) => ({ 'D360-API-KEY': p.channel_api_key });

  const startInstance = async (): Promise<FastifyInstance> => {
    const db = openDb(a.deps.config.databaseUrl);
    const app = await buildApp({ config: a.deps.config, db, clock }, { logStream: new Writable({ write: (_c, _e, cb) => cb() }) });
    others.push({ app, db });
    return app;
  };
  const stopInstance = async (app: FastifyInstance) => {
    const i = others.findIndex((o) => o.app === app);
    const [o] = others.splice(i, 1);
    await o!.app.close();
    await o!.db.close();
  };
  /** GET on instance A (real HTTP) or another instance (inject). */
  const get = async (via: TestApp | FastifyInstance, url: string, p: BootstrapResult): Promise<Answer> => {
    if (via === a) {
      const res = await a.get(url, { headers: key(p) });
      return { status: res.status, headers: res.headers, body: res.body };
    }
    const res = await (via as FastifyInstance).inject({ method: 'GET', url, headers: key(p) });
    return { status: res.statusCode, headers: res.headers, body: res.json() };
  };
  let unknown = 9_000_000_000_000;
  /** n GETs of unknown ids on one instance, each answered with Graph's 400. */
  const fail = async (via: TestApp | FastifyInstance, p: BootstrapResult, n: number) => {
    for (let i = 0; i < n; i++) {
      const res = await get(via, `/${unknown++}`, p);
      expect(res.status, `error ${i + 1}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    }
  };
  const expectBlocked = async (via: TestApp | FastifyInstance, url: string, p: BootstrapResult, retryAfter: number) => {
    const res = await get(via, url, p);
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body).toEqual(BLOCKED);
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    expect(res.headers['retry-after']).toBe(String(retryAfter));
  };
  const upload = async (p: BootstrapResult) => {
    const up = await uploadCloud(a, p.channel_api_key, { messaging_product: 'whatsapp', type: png.mime, file: { data: png.data, name: 'chart.png' } });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    return up.body.id as string;
  };
  const rows = async (table: 'media_get_errors' | 'media_get_blocks', p: BootstrapResult) =>
    (await a.deps.db.kysely.selectFrom(table).selectAll().where('channel_id', '=', p.channel_id).execute()).length;

  beforeAll(async () => {
    a = await startTestApp(kind, { clock, env: { OPENWABA_MEDIA_GET_ERROR_BLOCK: '20/60m/30m' } });
  });
  afterAll(async () => {
    for (const o of [...others]) await stopInstance(o.app);
    await a?.close();
  });

  it('errors split across two instances block at the 20th in total; the block is honoured by the other within 5 s', async () => {
    const b = await startInstance();
    const p = await a.tenant();
    const id = await upload(p);
    await fail(a, p, 10);
    await fail(b, p, 9);
    // 19 in total: neither instance blocks; successes on both go on.
    expect((await get(a, `/${id}`, p)).status).toBe(200);
    expect((await get(b, `/${id}`, p)).status).toBe(200);
    clock.advance(BLOCKS_RELOAD_MS);
    expect((await get(a, `/${id}`, p)).status).toBe(200);
    expect((await get(b, `/${id}`, p)).status).toBe(200);

    // The 20th, on B, is still the error itself; B blocks at once.
    await fail(b, p, 1);
    await expectBlocked(b, `/${id}`, p, 1800);
    // A honours B's block once its copy of the blocks is 5 s old (the documented delay).
    clock.advance(BLOCKS_RELOAD_MS);
    await expectBlocked(a, `/${id}`, p, 1795);
    await expectBlocked(b, '/1234567890123456', p, 1795);
    // The block forgot the errors before it.
    expect(await rows('media_get_errors', p)).toBe(0);

    // After 30 minutes both answer again.
    clock.advance(30 * MIN - BLOCKS_RELOAD_MS);
    expect((await get(a, `/${id}`, p)).status).toBe(200);
    expect((await get(b, `/${id}`, p)).status).toBe(200);
    await stopInstance(b);
  });

  it('errors answered at once by two instances count exactly: 19 do not block, 21 do', async () => {
    const b = await startInstance();
    const p = await a.tenant();
    const id = await upload(p);
    const burst = await Promise.all(Array.from({ length: 19 }, (_, i) => get(i % 2 ? a : b, `/${unknown++}`, p)));
    expect(burst.map((r) => r.status)).toEqual(Array(19).fill(400));
    expect(await rows('media_get_errors', p)).toBe(19);
    clock.advance(BLOCKS_RELOAD_MS);
    expect((await get(a, `/${id}`, p)).status).toBe(200);
    expect((await get(b, `/${id}`, p)).status).toBe(200);
    // Two more at once: whichever counts the 20th writes the block (both, if both count 20 or
    // more: the same block); within 5 s both instances honour it.
    const last = await Promise.all([get(a, `/${unknown++}`, p), get(b, `/${unknown++}`, p)]);
    expect(last.map((r) => r.status)).toEqual([400, 400]);
    expect(await rows('media_get_blocks', p)).toBe(1);
    clock.advance(BLOCKS_RELOAD_MS);
    await expectBlocked(a, `/${id}`, p, 1795);
    await expectBlocked(b, `/${id}`, p, 1795);
    await stopInstance(b);
  });

  it('a restart keeps the count and the block: a new instance on the same database knows both', async () => {
    const p = await a.tenant();
    const id = await upload(p);
    let b = await startInstance();
    await fail(b, p, 15);
    // "Restart": B goes, a new instance comes; the 15 errors are still counted there.
    await stopInstance(b);
    b = await startInstance();
    await fail(b, p, 5);
    await expectBlocked(b, `/${id}`, p, 1800);
    // Restarted again mid-block: the new instance refuses at once (its first GET loads the blocks).
    await stopInstance(b);
    clock.advance(10 * MIN);
    b = await startInstance();
    await expectBlocked(b, `/${id}`, p, 1200);
    await stopInstance(b);
  });

  it("another number's block leaves this one's successes and errors alone, on every instance", async () => {
    const b = await startInstance();
    const blocked = await a.tenant();
    const p = await a.tenant();
    const id = await upload(p);
    await fail(a, blocked, 20);
    clock.advance(BLOCKS_RELOAD_MS);
    await expectBlocked(b, '/1234567890123456', blocked, 1795);
    for (const via of [a, b]) {
      const res = await get(via, `/${id}`, p);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ messaging_product: 'whatsapp', id, mime_type: png.mime, file_size: png.data.length });
      expect((await get(via, '/1234567890123456', p)).status).toBe(400);
    }
    await stopInstance(b);
  });

  it('maintenance deletes errors out of the window and ended blocks', async () => {
    const old = await a.tenant();
    const recent = await a.tenant();
    const blocked = await a.tenant();
    await fail(a, old, 3);
    await fail(a, blocked, 20);
    clock.advance(31 * MIN);
    await fail(a, recent, 2);
    clock.advance(30 * MIN);
    await runMaintenance(a.deps);
    expect(await rows('media_get_errors', old)).toBe(0);
    expect(await rows('media_get_errors', recent)).toBe(2);
    expect(await rows('media_get_blocks', blocked)).toBe(0);
  });
});

describe('MediaGetErrorBlock on the successful path', () => {
  let dir: string;
  let db: Db;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-media-block-'));
    db = openDb(`sqlite:${path.join(dir, 'test.db')}`);
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes nothing and reads the running blocks at most once per 5 s, for all channels together', async () => {
    const block = new MediaGetErrorBlock(db, DOCUMENTED_MEDIA_GET_ERROR_BLOCK, { warn: () => {} });
    const reads = vi.spyOn(db.kysely, 'selectFrom');
    const inserts = vi.spyOn(db.kysely, 'insertInto');
    const updates = vi.spyOn(db.kysely, 'updateTable');
    const t0 = Date.parse('2026-06-01T09:00:00.000Z');
    for (let i = 0; i < 100; i++) await block.check(`ch_${i % 7}`, t0 + i * 10);
    expect(reads).toHaveBeenCalledTimes(1);
    await block.check('ch_0', t0 + BLOCKS_RELOAD_MS);
    expect(reads).toHaveBeenCalledTimes(2);
    // Successes (2xx) and 5xx are not recorded.
    await block.record('ch_0', 200, t0);
    await block.record('ch_0', 502, t0);
    expect(inserts).not.toHaveBeenCalled();
    expect(updates).not.toHaveBeenCalled();
    reads.mockRestore();
    inserts.mockRestore();
    updates.mockRestore();
  });
});
