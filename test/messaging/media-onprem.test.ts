// On-Premise media API: POST /v1/media (raw body), GET and DELETE /v1/media/{id}.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, download, sha256, uploadOnPrem } from './media-fixtures.ts';

const DAY = 86_400_000;

describeEachDb('media (On-Premise)', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  const clock = new ManualClock(new Date('2026-03-01T12:00:00.000Z'));
  const keyA = () => ({ 'D360-API-KEY': a.channel_api_key });

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(async () => {
    await t.close();
  });

  it('uploads each kind as a raw body → 201 {media:[{id}], meta}; downloads the same bytes', async () => {
    for (const s of SAMPLES) {
      const up = await uploadOnPrem(t, a.channel_api_key, s.data, s.mime);
      expect(up.status, s.name).toBe(201);
      expect(up.body).toEqual({ media: [{ id: expect.stringMatching(/^\d{16}$/) }], meta: { api_status: 'stable', version: expect.any(String) } });
      const id = up.body.media[0].id;
      const file = await download(t, `/v1/media/${id}`, a.channel_api_key);
      expect(file.status).toBe(200);
      expect(file.headers['content-type']).toBe(s.mime);
      expect(file.headers['content-length']).toBe(String(s.data.length));
      expect(file.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="${id}\\.\\w+"$`));
      expect(sha256(file.body)).toBe(sha256(s.data));
      // The same media through the Cloud metadata route.
      expect((await t.get(`/${id}`, { headers: keyA() })).body).toMatchObject({ id, mime_type: s.mime, sha256: sha256(s.data), file_size: s.data.length });
    }
  });

  it('400 without a Content-Type, or with one WhatsApp does not accept (named, even JSON)', async () => {
    const none = await uploadOnPrem(t, a.channel_api_key, Buffer.from('abc'));
    expect(none.status).toBe(400);
    expect(none.body.errors[0]).toMatchObject({ code: 1008, details: expect.stringMatching(/^Content-Type is required/) });
    for (const type of ['image/gif', 'application/json', 'application/zip']) {
      const res = await uploadOnPrem(t, a.channel_api_key, Buffer.from('{"a":1}'), type);
      expect(res.status, type).toBe(400);
      expect(res.body.errors[0].details).toContain(`media type "${type}" is not supported`);
      expect(res.body.meta).toMatchObject({ api_status: 'stable' });
    }
    const empty = await uploadOnPrem(t, a.channel_api_key, Buffer.alloc(0), 'application/pdf');
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0].details).toBe('file: the file is empty');
  });

  it('401 in 360 format without a valid key', async () => {
    const res = await uploadOnPrem(t, 'nope', SAMPLES[0]!.data, 'image/jpeg');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
  });

  it("another channel's key gets 404 in On-Premise format; delete → 404 after", async () => {
    const id = (await uploadOnPrem(t, a.channel_api_key, SAMPLES[5]!.data, 'application/pdf')).body.media[0].id;
    const other = await t.get(`/v1/media/${id}`, { headers: { 'D360-API-KEY': b.channel_api_key } });
    expect(other.status).toBe(404);
    expect(other.body.errors[0]).toMatchObject({ code: 1006, title: 'Resource not found', details: expect.stringContaining(`Object with ID '${id}' does not exist`) });
    expect((await t.delete(`/v1/media/${id}`, { headers: { 'D360-API-KEY': b.channel_api_key } })).status).toBe(404);

    const del = await t.delete(`/v1/media/${id}`, { headers: keyA() });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ meta: { api_status: 'stable', version: expect.any(String) } });
    expect((await t.get(`/v1/media/${id}`, { headers: keyA() })).status).toBe(404);
    expect((await t.delete(`/v1/media/${id}`, { headers: keyA() })).status).toBe(404);
  });

  it('On-Premise uploads are kept 14 days', async () => {
    const id = (await uploadOnPrem(t, a.channel_api_key, SAMPLES[1]!.data, 'image/png')).body.media[0].id;
    clock.advance(14 * DAY - 60_000);
    expect((await t.get(`/v1/media/${id}`, { headers: keyA() })).status).toBe(200);
    clock.advance(60_000);
    const gone = await t.get(`/v1/media/${id}`, { headers: keyA() });
    expect(gone.status).toBe(404);
    expect(gone.body.errors[0].code).toBe(1006);
  });
});
