// Cloud media API: POST /media, GET /{media_id}, the download URL, DELETE /{media_id}.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, download, filesUnder, sha256, uploadCloud } from './media-fixtures.ts';

describeEachDb('media (Cloud)', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  const clock = new ManualClock(new Date());
  const keyA = () => ({ 'D360-API-KEY': a.channel_api_key });
  const keyB = () => ({ 'D360-API-KEY': b.channel_api_key });
  const mediaFiles = () => filesUnder(path.join(t.dataDir, 'media', 'files'));

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
  });
  // Uploads are limited to 25 per second per number: let a second pass between tests.
  beforeEach(() => clock.advance(1000));
  afterAll(async () => {
    await t.close();
  });

  describe('each kind: upload → metadata → download', () => {
    for (const s of SAMPLES) {
      it(`${s.kind} ${s.name} (${s.mime})`, async () => {
        const up = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: s.mime, file: { data: s.data, type: s.mime, name: s.name }, fileFirst: true });
        expect(up.status, JSON.stringify(up.body)).toBe(200);
        expect(Object.keys(up.body)).toEqual(['id']);
        expect(up.body.id).toMatch(/^\d{16}$/);

        const info = await t.get(`/${up.body.id}`, { headers: keyA() });
        expect(info.status).toBe(200);
        expect(info.body).toEqual({
          messaging_product: 'whatsapp',
          url: expect.stringMatching(new RegExp(`^${t.baseUrl}/whatsapp_business/attachments/\\?mid=${up.body.id}&ext=\\d+&hash=[\\w-]+$`)),
          mime_type: s.mime,
          sha256: sha256(s.data),
          file_size: s.data.length,
          id: up.body.id,
        });

        const file = await download(t, info.body.url, a.channel_api_key);
        expect(file.status).toBe(200);
        expect(file.headers['content-type']).toBe(s.mime);
        expect(file.headers['content-length']).toBe(String(s.data.length));
        expect(file.headers['content-disposition']).toBe(`attachment; filename="${s.name}"`);
        expect(file.body.equals(s.data)).toBe(true);
      });
    }
  });

  describe('the type: the type field, the file part Content-Type, or both when they agree', () => {
    const data = SAMPLES[0]!.data;
    it('the file part type alone, with the fields after the file (Meta curl order)', async () => {
      const up = await uploadCloud(t, a.channel_api_key, { fileFirst: true, file: { data, type: 'image/jpeg' }, messaging_product: 'whatsapp' });
      expect(up.status).toBe(200);
      expect((await t.get(`/${up.body.id}`, { headers: keyA() })).body.mime_type).toBe('image/jpeg');
    });
    it('the type field with a generic file part (application/octet-stream); aliases are normalised', async () => {
      const up = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/jpg', file: { data, type: 'application/octet-stream' } });
      expect(up.status).toBe(200);
      expect((await t.get(`/${up.body.id}`, { headers: keyA() })).body.mime_type).toBe('image/jpeg');
    });
    it('audio/x-m4a (what browsers call .m4a) is stored as audio/mp4', async () => {
      const up = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', file: { data, type: 'audio/x-m4a' } });
      expect(up.status).toBe(200);
      expect((await t.get(`/${up.body.id}`, { headers: keyA() })).body.mime_type).toBe('audio/mp4');
    });
    it('audio/ogg with codecs=opus is accepted, with another codec it is refused', async () => {
      const ogg = SAMPLES.find((s) => s.mime === 'audio/ogg')!.data;
      expect((await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'audio/ogg; codecs=opus', file: { data: ogg, type: 'audio/ogg' } })).status).toBe(200);
      const vorbis = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'audio/ogg; codecs=vorbis', file: { data: ogg } });
      expect(vorbis.status).toBe(400);
      expect(vorbis.body.error.error_data.details).toContain('Opus');
    });
    it('400 when the type field and the file part disagree', async () => {
      const up = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/png', file: { data, type: 'image/jpeg' } });
      expect(up.status).toBe(400);
      expect(up.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
      expect(up.body.error.error_data.details).toContain('does not match');
    });
    it('400 naming an unsupported type, and listing the accepted ones', async () => {
      const gif = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/gif', file: { data: Buffer.from('GIF89a'), type: 'image/gif' } });
      expect(gif.status).toBe(400);
      expect(gif.body.error.error_data.details).toMatch(/^type: media type "image\/gif" is not supported; accepted types: image\/jpeg, image\/png/);
      const exe = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', file: { data, type: 'application/x-msdownload' } });
      expect(exe.status).toBe(400);
      expect(exe.body.error.error_data.details).toContain('"application/x-msdownload" is not supported');
    });
    it('400 without any type', async () => {
      const up = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', file: { data } });
      expect(up.status).toBe(400);
      expect(up.body.error.error_data.details).toMatch(/^type is required/);
    });
  });

  describe('bad uploads', () => {
    const data = SAMPLES[0]!.data;
    it('400 without messaging_product, or with another product', async () => {
      const none = await uploadCloud(t, a.channel_api_key, { type: 'image/jpeg', file: { data } });
      expect(none.status).toBe(400);
      expect(none.body.error.error_data.details).toMatch(/^messaging_product is required/);
      const other = await uploadCloud(t, a.channel_api_key, { messaging_product: 'instagram', type: 'image/jpeg', file: { data } });
      expect(other.status).toBe(400);
      expect(other.body.error.error_data.details).toContain('"instagram"');
    });
    it('400 without a file, with an empty file, with a file under another name, with two files', async () => {
      expect((await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/jpeg' })).body.error.error_data.details).toMatch(/^file is required/);
      const empty = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/jpeg', file: { data: Buffer.alloc(0) } });
      expect(empty.status).toBe(400);
      expect(empty.body.error.error_data.details).toBe('file: the file is empty');
      const fd = new FormData();
      fd.append('messaging_product', 'whatsapp');
      fd.append('image', new Blob([data], { type: 'image/jpeg' }), 'x.jpg');
      const misnamed = await uploadCloud(t, a.channel_api_key, fd);
      expect(misnamed.status).toBe(400);
      expect(misnamed.body.error.error_data.details).toContain('the media goes in the field "file"');
      const two = new FormData();
      two.append('messaging_product', 'whatsapp');
      two.append('file', new Blob([data], { type: 'image/jpeg' }), 'x.jpg');
      two.append('file', new Blob([data], { type: 'image/jpeg' }), 'y.jpg');
      const res = await uploadCloud(t, a.channel_api_key, two);
      expect(res.status).toBe(400);
      expect(res.body.error.error_data.details).toBe('file: upload one file per request');
    });
    it('400 when the body is not multipart', async () => {
      const res = await t.post('/media', { headers: keyA(), json: { messaging_product: 'whatsapp', file: 'abc' } });
      expect(res.status).toBe(400);
      expect(res.body.error.error_data.details).toMatch(/^Content-Type must be multipart\/form-data/);
    });
    it('400 for a sticker that is not a WebP image', async () => {
      const res = await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/webp', file: { data } });
      expect(res.status).toBe(400);
      expect(res.body.error.error_data.details).toBe('file: a sticker (image/webp) must be a WebP image');
    });
    it('401 without a valid key, in 360 format; nothing stored', async () => {
      const before = mediaFiles().length;
      const res = await uploadCloud(t, 'wrong-key', { messaging_product: 'whatsapp', type: 'image/jpeg', file: { data } });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
      expect(mediaFiles().length).toBe(before);
    });
    it('none of the refused uploads left a file behind', () => {
      expect(filesUnder(path.join(t.dataDir, 'media', 'tmp'))).toEqual([]);
    });
  });

  describe('ownership, download URL, delete', () => {
    const data = SAMPLES[1]!.data;
    let id: string;
    beforeAll(async () => {
      id = (await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: 'image/png', file: { data, name: 'chart.png' } })).body.id;
    });

    it("another channel's key gets Meta's 400 (Graph's unknown object) for the metadata and the delete, the CDN's 404 for the download", async () => {
      const info = await t.get(`/${id}`, { headers: keyB() });
      expect(info.status).toBe(400);
      expect(info.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException', fbtrace_id: expect.any(String) });
      expect(info.body.error.message).toContain(`Unsupported get request. Object with ID '${id}' does not exist`);
      const url = (await t.get(`/${id}`, { headers: keyA() })).body.url;
      expect((await download(t, url, b.channel_api_key)).status).toBe(404);
      const del = await t.delete(`/${id}`, { headers: keyB() });
      expect(del.status).toBe(400);
      expect(del.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
      expect(del.body.error.message).toContain(`Unsupported delete request. Object with ID '${id}' does not exist`);
      expect((await t.get(`/${id}`, { headers: keyA() })).status).toBe(200);
    });

    it('the download URL needs the key, the right hash, and expires after 5 minutes', async () => {
      const url = new URL((await t.get(`/${id}`, { headers: keyA() })).body.url);
      expect((await download(t, url.toString())).status).toBe(401);
      const forged = new URL(url);
      forged.searchParams.set('ext', String(Number(url.searchParams.get('ext')) + 3600));
      const bad = await download(t, forged.toString(), a.channel_api_key);
      expect(bad.status).toBe(404);
      expect(bad.json().error.error_data.details).toContain('hash');
      const noHash = await download(t, `/whatsapp_business/attachments/?mid=${id}`, a.channel_api_key);
      expect(noHash.status).toBe(400);
      clock.advance(299_000);
      expect((await download(t, url.toString(), a.channel_api_key)).status).toBe(200);
      clock.advance(2_000);
      const expired = await download(t, url.toString(), a.channel_api_key);
      expect(expired.status).toBe(404);
      expect(expired.json().error.error_data.details).toContain('expired');
      const fresh = (await t.get(`/${id}`, { headers: keyA() })).body.url;
      expect((await download(t, fresh, a.channel_api_key)).body.equals(data)).toBe(true);
    });

    it('delete: {"success":true}, then Meta\'s 400 for GET and DELETE, 404 for the download, and the file is gone from disk', async () => {
      const url = (await t.get(`/${id}`, { headers: keyA() })).body.url;
      const files = mediaFiles().filter((f) => path.basename(f).startsWith(`${id}-`));
      expect(files).toHaveLength(1);
      const del = await t.delete(`/${id}`, { headers: keyA() });
      expect(del.status).toBe(200);
      expect(del.body).toEqual({ success: true });
      expect(fs.existsSync(files[0]!)).toBe(false);
      expect((await t.get(`/${id}`, { headers: keyA() })).status).toBe(400);
      expect((await download(t, url, a.channel_api_key)).status).toBe(404);
      expect((await t.delete(`/${id}`, { headers: keyA() })).status).toBe(400);
    });

    it("unknown and malformed ids are Meta's 400 (code 100, subcode 33)", async () => {
      for (const bad of ['1234567890123456', 'not-a-media-id', 'x'.repeat(150)]) {
        const res = await t.get(`/${bad}`, { headers: keyA() });
        expect(res.status, bad).toBe(400);
        expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
      }
    });
  });
});

