// Media size limits: enforced per kind while the bytes stream, answered before the upload ends,
// and nothing left on disk; uploads are not held to the 1 MiB JSON body limit.
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { bytes, filesUnder, sha256, uploadCloud, uploadOnPrem, webp } from './media-fixtures.ts';

const MB = 1024 * 1024;
const KB = 1024;

/** A body that keeps coming (64 KB at a time) until `stop()`; `sent` counts what was produced. */
function endlessBody(prefix: Buffer) {
  const state = { sent: 0, stopped: false };
  const chunk = Buffer.alloc(64 * KB, 0xab);
  async function* gen() {
    yield prefix;
    while (!state.stopped && state.sent < 200 * MB) {
      state.sent += chunk.length;
      yield chunk;
      await new Promise((r) => setImmediate(r));
    }
  }
  return { state, body: Readable.from(gen()), stop: () => (state.stopped = true) };
}

/** Sends only the headers (declaring `length` bytes) and a few bytes; resolves with the answer. */
function declareOnly(url: string, headers: Record<string, string>, length: number): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(length) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        resolve({ status: res.statusCode!, body: JSON.parse(text) });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.write(Buffer.alloc(1024));
  });
}

describeEachDb('media size limits', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  const stored = () => filesUnder(path.join(t.dataDir, 'media'));
  const details = (body: any) => body.error?.error_data?.details ?? body.errors?.[0]?.details;

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
  });
  afterAll(async () => {
    await t.close();
  });

  it('uploads far above the 1 MiB request body limit are accepted (Cloud and On-Premise)', async () => {
    const pdf = bytes('%PDF-1.7\n', 3 * MB + 17);
    const cloud = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: 'application/pdf', file: { data: pdf } });
    expect(cloud.status).toBe(200);
    expect((await t.get(`/${cloud.body.id}`, { headers: { 'D360-API-KEY': p.channel_api_key } })).body).toMatchObject({ sha256: sha256(pdf), file_size: pdf.length });
    const onprem = await uploadOnPrem(t, p.channel_api_key, pdf, 'application/pdf');
    expect(onprem.status).toBe(201);
  });

  it('an image of exactly 5 MB is accepted; one byte more is a 413 with code 131053 naming the limit', async () => {
    const exact = bytes('\xff\xd8\xff', 5 * MB);
    expect((await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: 'image/jpeg', file: { data: exact, type: 'image/jpeg' } })).status).toBe(200);
    const before = stored().length;
    const over = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: 'image/jpeg', file: { data: bytes('\xff\xd8\xff', 5 * MB + 1), type: 'image/jpeg' } });
    expect(over.status).toBe(413);
    expect(over.body.error).toMatchObject({ code: 131053, message: '(#131053) Media upload error', error_data: { details: 'file: image files may be at most 5 MB (5242880 bytes)' } });
    const onprem = await uploadOnPrem(t, p.channel_api_key, bytes('\x89PNG', 5 * MB + 1), 'image/png');
    expect(onprem.status).toBe(413);
    expect(onprem.body.errors[0]).toMatchObject({ code: 131053, details: 'file: image files may be at most 5 MB (5242880 bytes)' });
    expect(stored().length).toBe(before);
  });

  it('stickers: static WebP up to 100 KB, animated WebP up to 500 KB', async () => {
    const up = (data: Buffer) => uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: 'image/webp', file: { data, type: 'image/webp' } });
    expect((await up(webp(100 * KB, false))).status).toBe(200);
    const staticOver = await up(webp(100 * KB + 1, false));
    expect(staticOver.status).toBe(413);
    expect(details(staticOver.body)).toBe('file: static sticker files may be at most 100 KB (102400 bytes)');
    expect((await up(webp(500 * KB, true))).status).toBe(200);
    const animatedOver = await up(webp(500 * KB + 1, true));
    expect(animatedOver.status).toBe(413);
    expect(details(animatedOver.body)).toBe('file: animated sticker files may be at most 500 KB (512000 bytes)');
    const onprem = await uploadOnPrem(t, p.channel_api_key, webp(200 * KB, false), 'image/webp');
    expect(onprem.status).toBe(413);
    expect(details(onprem.body)).toContain('static sticker');
  });

  it('Cloud: an endless upload is refused as soon as it passes the limit, and nothing is kept', async () => {
    const boundary = 'openwabaTestBoundary';
    const prefix = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="messaging_product"\r\n\r\nwhatsapp\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
    );
    const before = stored().length;
    const upload = endlessBody(prefix);
    const res = await request(`${t.baseUrl}/media`, {
      method: 'POST',
      body: upload.body,
      headers: { 'D360-API-KEY': p.channel_api_key, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    const body = JSON.parse(await res.body.text());
    const sentWhenAnswered = upload.state.sent;
    upload.stop();
    expect(res.statusCode).toBe(413);
    expect(body.error.error_data.details).toBe('file: video files may be at most 16 MB (16777216 bytes)');
    // Answered while the client was still sending: a little past the limit, not at the end.
    expect(sentWhenAnswered).toBeGreaterThan(16 * MB);
    expect(sentWhenAnswered).toBeLessThan(40 * MB);
    expect(stored().length).toBe(before);
  });

  it('On-Premise: an endless upload is refused as soon as it passes the limit, and nothing is kept', async () => {
    const before = stored().length;
    const upload = endlessBody(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'));
    const res = await request(`${t.baseUrl}/v1/media`, { method: 'POST', body: upload.body, headers: { 'D360-API-KEY': p.channel_api_key, 'content-type': 'image/png' } });
    const body = JSON.parse(await res.body.text());
    const sentWhenAnswered = upload.state.sent;
    upload.stop();
    expect(res.statusCode).toBe(413);
    expect(body.errors[0].code).toBe(131053);
    expect(sentWhenAnswered).toBeGreaterThan(5 * MB);
    expect(sentWhenAnswered).toBeLessThan(25 * MB);
    expect(stored().length).toBe(before);
  });

  it('a declared Content-Length beyond the limit is refused before the body is read', async () => {
    const key = { 'D360-API-KEY': p.channel_api_key };
    const onprem = await declareOnly(`${t.baseUrl}/v1/media`, { ...key, 'content-type': 'audio/mpeg' }, 16 * MB + 1);
    expect(onprem.status).toBe(413);
    expect(onprem.body.errors[0].details).toBe('file: audio files may be at most 16 MB (16777216 bytes)');
    const cloud = await declareOnly(`${t.baseUrl}/media`, { ...key, 'content-type': 'multipart/form-data; boundary=x' }, 500 * MB);
    expect(cloud.status).toBe(413);
    expect(cloud.body.error.error_data.details).toBe('file: media files may be at most 100 MB (104857600 bytes)');
  });

  it('the type field after a generic file part: the limit of the final type is checked once the form is read', async () => {
    const before = stored().length;
    const res = await uploadCloud(t, p.channel_api_key, {
      fileFirst: true,
      file: { data: bytes('\xff\xd8\xff', 6 * MB), type: 'application/octet-stream' },
      messaging_product: 'whatsapp',
      type: 'image/jpeg',
    });
    expect(res.status).toBe(413);
    expect(res.body.error.error_data.details).toBe('file: image files may be at most 5 MB (5242880 bytes)');
    expect(stored().length).toBe(before);
  });

  it('the server keeps answering on the same app after the refusals', async () => {
    const ok = await uploadOnPrem(t, p.channel_api_key, bytes('\x89PNG', 10 * KB), 'image/png');
    expect(ok.status).toBe(201);
    // Refused uploads remove their temp files as their streams close, which may be just after.
    await expect.poll(() => filesUnder(path.join(t.dataDir, 'media', 'tmp')), { timeout: 5000 }).toEqual([]);
  });
});
