// 360dialog's block of GET /{media_id} (reference §4.4): after 20 error answers within 60 minutes
// the number's GET /{media_id} is blocked for 30 minutes, answering 403 "The endpoint is blocked"
// in 360's body; successes do not count, uploads (and deletes, downloads) go on, other numbers are
// not touched. OPENWABA_MEDIA_GET_ERROR_BLOCK sets it: on by default in production only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, download, uploadCloud } from './media-fixtures.ts';

const MIN = 60_000;
const BLOCKED = { meta: { success: false, http_code: 403, developer_message: 'The endpoint is blocked' } };
const png = SAMPLES.find((s) => s.name === 'chart.png')!;

describe('OPENWABA_MEDIA_GET_ERROR_BLOCK', () => {
  const documented = { errors: 20, windowMs: 60 * MIN, blockMs: 30 * MIN };
  it('unset: on (20/60m/30m) with NODE_ENV=production, off otherwise', () => {
    expect(loadConfig({}).mediaGetErrorBlock).toBeNull();
    expect(loadConfig({ NODE_ENV: 'development' }).mediaGetErrorBlock).toBeNull();
    expect(loadConfig({ NODE_ENV: 'production' }).mediaGetErrorBlock).toEqual(documented);
  });
  it('off, on, or errors/window/block', () => {
    expect(loadConfig({ NODE_ENV: 'production', OPENWABA_MEDIA_GET_ERROR_BLOCK: 'off' }).mediaGetErrorBlock).toBeNull();
    expect(loadConfig({ OPENWABA_MEDIA_GET_ERROR_BLOCK: 'on' }).mediaGetErrorBlock).toEqual(documented);
    expect(loadConfig({ OPENWABA_MEDIA_GET_ERROR_BLOCK: '20/60m/30m' }).mediaGetErrorBlock).toEqual(documented);
    expect(loadConfig({ OPENWABA_MEDIA_GET_ERROR_BLOCK: ' 5 / 2s / 500ms ' }).mediaGetErrorBlock).toEqual({ errors: 5, windowMs: 2000, blockMs: 500 });
  });
  it('anything else is refused at start, naming the setting', () => {
    for (const bad of ['yes', '20', '20/60m', '0/60m/30m', '20/0s/30m', '20/60m/0ms', '20/an hour/30m', '-1/1m/1m', '20/60m/30m/1']) {
      expect(() => loadConfig({ OPENWABA_MEDIA_GET_ERROR_BLOCK: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ OPENWABA_MEDIA_GET_ERROR_BLOCK: bad }), bad).toThrow(/OPENWABA_MEDIA_GET_ERROR_BLOCK/);
    }
  });
});

describeEachDb('GET /{media_id} blocked after repeated errors', (kind) => {
  let t: TestApp;
  const clock = new ManualClock(new Date('2026-06-01T09:00:00.000Z'));
  const key = (p: BootstrapResult) => ({ 'D360-API-KEY': p.channel_api_key });
  const upload = async (p: BootstrapResult) => {
    clock.advance(1000);
    const up = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: png.mime, file: { data: png.data, name: 'chart.png' } });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    return up.body.id as string;
  };
  /** n GETs of unknown ids, each answered with Meta's 400. */
  const fail = async (p: BootstrapResult, n: number) => {
    for (let i = 0; i < n; i++) {
      const res = await t.get(`/${9_000_000_000_000 + i}`, { headers: key(p) });
      expect(res.status, `error ${i + 1}: ${res.text}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    }
  };
  const expectBlocked = async (p: BootstrapResult, path: string, retryAfter: number) => {
    const res = await t.get(path, { headers: key(p) });
    expect(res.status, res.text).toBe(403);
    expect(res.body).toEqual(BLOCKED);
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    expect(res.headers['retry-after']).toBe(String(retryAfter));
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_MEDIA_GET_ERROR_BLOCK: '20/60m/30m' } });
  });
  afterAll(() => t?.close());

  it('20 errors block the number for 30 minutes; successes between them do not count; the 20th is still the error itself', async () => {
    const p = await t.tenant();
    const other = await t.tenant();
    const id = await upload(p);
    const theirs = await upload(other);
    for (let round = 0; round < 19; round++) {
      await fail(p, 1);
      // A success after every error: neither counted nor forgiving.
      expect((await t.get(`/${id}`, { headers: key(p) })).status).toBe(200);
    }
    const twentieth = await t.get('/1111111111111111', { headers: key(p) });
    expect(twentieth.status).toBe(400);
    expect(twentieth.body.error.type).toBe('GraphMethodException');

    // Now blocked: the number's own media too, and unknown ids; Retry-After counts down from 30 minutes.
    await expectBlocked(p, `/${id}`, 1800);
    await expectBlocked(p, '/1234567890123456', 1800);
    clock.advance(10 * MIN);
    await expectBlocked(p, `/${id}`, 1200);

    // Another number is not affected (its errors and successes are its own).
    expect((await t.get(`/${theirs}`, { headers: key(other) })).status).toBe(200);
    expect((await t.get('/1234567890123456', { headers: key(other) })).status).toBe(400);
  });

  it('while blocked, uploads, deletes and the download URL go on; after 30 minutes GET answers again', async () => {
    const p = await t.tenant();
    const id = await upload(p);
    const url = (await t.get(`/${id}`, { headers: key(p) })).body.url as string;
    await fail(p, 20);
    await expectBlocked(p, `/${id}`, 1800);

    // POST /media is not blocked.
    clock.advance(1000);
    const up = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: png.mime, file: { data: png.data, name: 'again.png' } });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    // The download URL got before the block still downloads (valid 5 minutes).
    const file = await download(t, url, p.channel_api_key);
    expect(file.status).toBe(200);
    expect(file.body.equals(png.data)).toBe(true);
    // DELETE /{media_id} is not blocked.
    expect((await t.delete(`/${up.body.id}`, { headers: key(p) })).status).toBe(200);
    expect((await t.delete(`/${up.body.id}`, { headers: key(p) })).status).toBe(400);

    clock.advance(30 * MIN - 1000 - 1000);
    await expectBlocked(p, `/${id}`, 1);
    clock.advance(1000);
    const back = await t.get(`/${id}`, { headers: key(p) });
    expect(back.status, back.text).toBe(200);
    expect(back.body.id).toBe(id);
  });

  it('the block forgets the errors before it, and its own 403s do not count: after it, 20 new errors are needed', async () => {
    const p = await t.tenant();
    await fail(p, 20);
    // Polling through the block: 30 answers of 403, none counted.
    for (let i = 0; i < 30; i++) expect((await t.get('/1234567890123456', { headers: key(p) })).status).toBe(403);
    clock.advance(30 * MIN);
    await fail(p, 19);
    expect((await t.get('/1234567890123456', { headers: key(p) })).status).toBe(400);
    await expectBlocked(p, '/1234567890123456', 1800);
  });

  it('errors count within a sliding 60 minutes: errors over an hour old drop out, the 20th within the hour blocks', async () => {
    const p = await t.tenant();
    await fail(p, 10);
    clock.advance(30 * MIN);
    await fail(p, 9);
    clock.advance(30 * MIN + 1000);
    // The first 10 are now over an hour old and out of the window; the 9 (30 minutes old) are in:
    // 9 + 10 more = 19, no block yet.
    await fail(p, 10);
    // One more is the 20th within 60 minutes: still answered 400, then the block.
    await fail(p, 1);
    await expectBlocked(p, '/1234567890123456', 1800);
  });
});

describeEachDb('GET /{media_id} without the block (the default outside production)', (kind) => {
  let t: TestApp;
  afterAll(() => t?.close());
  it('25 errors in a row are 25 errors, then a success', async () => {
    const clock = new ManualClock(new Date('2026-06-01T09:00:00.000Z'));
    t = await startTestApp(kind, { clock });
    expect(t.deps.config.mediaGetErrorBlock).toBeNull();
    const p = await t.tenant();
    for (let i = 0; i < 25; i++) expect((await t.get(`/${1_000_000_000_000 + i}`, { headers: { 'D360-API-KEY': p.channel_api_key } })).status).toBe(400);
    const up = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: png.mime, file: { data: png.data, name: 'chart.png' } });
    expect((await t.get(`/${up.body.id}`, { headers: { 'D360-API-KEY': p.channel_api_key } })).status).toBe(200);
  });
});
