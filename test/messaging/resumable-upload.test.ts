// Meta's Resumable Upload API on the Messaging API (360dialog's "Media Uploads"): POST /uploads
// creates a session, POST /upload:{session} sends bytes from file_offset, GET /upload:{session}
// tells where to resume; the completed file's handle is a template's header sample.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { waitUntil, sleep } from '../helpers/wait.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { MAX_FILE_LENGTH, MAX_KEPT_PER_CHANNEL, pruneResumableUploads } from '../../src/messaging/media/resumable.ts';
import { bytes, sha256 } from './media-fixtures.ts';
import { startMetaNumber } from '../helpers/meta-number.ts';

const DAY = 86_400_000;
const JPEG = bytes(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 3000);
// Over the app's 1 MiB body limit: a chunk is streamed, never read as a whole.
const MP4 = bytes(Buffer.from('\0\0\0\x18ftypmp42', 'latin1'), 2_500_000);

const template = (name: string, format: string, handle: string) => ({
  name,
  category: 'MARKETING',
  language: 'en_US',
  components: [
    { type: 'HEADER', format, example: { header_handle: [handle] } },
    { type: 'BODY', text: 'New arrivals are in.' },
  ],
});

describeEachDb('Resumable Upload API', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  const clock = new ManualClock(new Date('2026-03-01T12:00:00.000Z'));
  const keyA = () => channelKey(a.channel_api_key);

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t.close());

  const create = (key: string, query: Record<string, string>, path = '/uploads', headers: Record<string, string> = channelKey(key)) => t.post(path, { headers, query });
  const session = async (file: Buffer, type: string, key = a.channel_api_key): Promise<string> => {
    const res = await create(key, { file_name: 'sample', file_length: String(file.length), file_type: type });
    expect(res.status, res.text).toBe(200);
    return res.body.id as string;
  };
  const send = (id: string, chunk: Buffer, offset: number, headers: Record<string, string> = keyA()) =>
    t.post(`/${id}`, { headers: { 'content-type': 'application/octet-stream', ...headers, file_offset: String(offset) }, raw: chunk });
  const upload = async (file: Buffer, type: string): Promise<string> => {
    const res = await send(await session(file, type), file, 0);
    expect(res.status, res.text).toBe(200);
    return res.body.h as string;
  };
  const details = (res: { body: any }) => String(res.body?.error?.error_data?.details ?? res.body?.error?.message);

  /** A POST that sends the headers and the first `part` bytes of a longer body, then disconnects. */
  async function cutOffPost(id: string, offset: number, declared: number, part: Buffer): Promise<void> {
    const url = new URL(t.baseUrl);
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(
      `POST /${id} HTTP/1.1\r\nHost: ${url.host}\r\nD360-API-KEY: ${a.channel_api_key}\r\nfile_offset: ${offset}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    socket.write(part);
    await sleep(300);
    socket.destroy();
  }

  it('creates a session, takes the file in chunks (resuming after a cut-off POST via GET), answers the handle; an IMAGE template takes it', async () => {
    const id = await session(JPEG, 'image/jpeg');
    expect(id).toMatch(/^upload:[0-9A-Za-z]{32}$/);
    expect((await t.get(`/${id}`, { headers: keyA() })).body).toEqual({ id, file_offset: 0 });

    // First chunk: not complete yet, so the answer says where the next one starts.
    const first = await send(id, JPEG.subarray(0, 1000), 0);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ id, file_offset: 1000 });

    // A POST of the rest cut off after 700 bytes: what arrived is kept, and GET says so.
    await cutOffPost(id, 1000, JPEG.length - 1000, JPEG.subarray(1000, 1700));
    const resumed = await waitUntil('the cut-off bytes are counted', async () => {
      const r = await t.get(`/${id}`, { headers: keyA() });
      return r.body.file_offset > 1000 ? r : undefined;
    });
    expect(resumed.status).toBe(200);
    const offset = resumed.body.file_offset as number;
    expect(offset).toBeLessThanOrEqual(1700);

    // As curl --data-binary sends it: the content type does not matter.
    const last = await send(id, JPEG.subarray(offset), offset, { ...keyA(), 'content-type': 'application/x-www-form-urlencoded' });
    expect(last.status, last.text).toBe(200);
    expect(last.body).toEqual({ h: expect.stringMatching(/^4::aW1hZ2UvanBlZw==:[0-9A-Za-z]+$/) });
    expect((await t.get(`/${id}`, { headers: keyA() })).body).toEqual({ id, file_offset: JPEG.length });

    // The stored file is the file, byte for byte; the row has its hash and size.
    const row = await t.deps.db.kysely.selectFrom('resumable_uploads').selectAll().where('handle', '=', last.body.h).executeTakeFirstOrThrow();
    expect(row.sha256).toBe(sha256(JPEG));
    expect(Number(row.file_length)).toBe(JPEG.length);
    expect(sha256(fs.readFileSync(path.join(t.dataDir, 'media', 'uploads', id.slice('upload:'.length))))).toBe(sha256(JPEG));

    // A retried last POST (its answer lost) gets the same handle.
    expect((await send(id, Buffer.alloc(0), JPEG.length)).body).toEqual({ h: last.body.h });

    const created = await t.post('/message_templates', { headers: keyA(), json: template('spring_sale', 'IMAGE', last.body.h) });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toMatchObject({ id: expect.any(String), status: 'PENDING', category: 'MARKETING' });
  });

  it('refuses a file_offset other than the bytes received so far, naming the one to resume at', async () => {
    const id = await session(JPEG, 'image/jpeg');
    expect((await send(id, JPEG.subarray(0, 500), 0)).body).toEqual({ id, file_offset: 500 });
    for (const wrong of [0, 400, 600]) {
      const res = await send(id, JPEG.subarray(wrong, wrong + 100), wrong);
      expect(res.status, `file_offset ${wrong}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException', fbtrace_id: expect.any(String) });
      expect(details(res)).toMatch(/resume at file_offset 500\b/);
    }
    const text = await t.post(`/${id}`, { headers: { ...keyA(), file_offset: 'abc' }, raw: JPEG.subarray(500, 600) });
    expect(text.status).toBe(400);
    expect(details(text)).toMatch(/^file_offset: must be a non-negative integer/);
    // Nothing of the refused bodies was kept.
    expect((await t.get(`/${id}`, { headers: keyA() })).body).toEqual({ id, file_offset: 500 });
  });

  it('refuses a body that would exceed file_length, declared or streamed, and keeps the file as it was', async () => {
    const id = await session(JPEG, 'image/jpeg');
    expect((await send(id, JPEG.subarray(0, 1000), 0)).status).toBe(200);
    const declared = await send(id, Buffer.concat([JPEG.subarray(1000), Buffer.alloc(10)]), 1000);
    expect(declared.status).toBe(400);
    expect(details(declared)).toMatch(/exceed file_length 3000/);

    // Chunked (no Content-Length): refused when the bytes cross file_length, the file cut back.
    const streamed = await undiciRequest(`${t.baseUrl}/${id}`, {
      method: 'POST',
      headers: { ...keyA(), file_offset: '1000', 'content-type': 'application/octet-stream' },
      body: Readable.from([JPEG.subarray(1000, 2000), JPEG.subarray(2000), Buffer.alloc(500)]),
    });
    const body = (await streamed.body.json()) as { error: { error_data: { details: string } } };
    expect(streamed.statusCode).toBe(400);
    expect(body.error.error_data.details).toMatch(/exceed file_length 3000/);
    expect((await t.get(`/${id}`, { headers: keyA() })).body).toEqual({ id, file_offset: 1000 });
    // The right rest still completes it.
    expect((await send(id, JPEG.subarray(1000), 1000)).body).toEqual({ h: expect.stringMatching(/^4::/) });
  });

  it('refuses bad session parameters with a 400 naming the parameter', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ file_length: '0', file_type: 'image/jpeg' }, /^file_length: must be a positive integer/],
      [{ file_length: '-5', file_type: 'image/jpeg' }, /^file_length: must be a positive integer/],
      [{ file_length: '12.5', file_type: 'image/jpeg' }, /^file_length: must be a positive integer/],
      [{ file_length: 'many', file_type: 'image/jpeg' }, /^file_length: must be a positive integer/],
      [{ file_length: String(100 * 1024 * 1024 + 1), file_type: 'image/jpeg' }, /^file_length: must be at most 104857600 bytes/],
      [{ file_length: '100', file_type: 'image/gif' }, /^file_type: must be one of application\/pdf, image\/jpeg, image\/jpg, image\/png, video\/mp4/],
      [{ file_length: '100', file_type: 'text/plain' }, /^file_type: must be one of/],
    ];
    for (const [query, expected] of cases) {
      const res = await create(a.channel_api_key, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, error_data: { messaging_product: 'whatsapp' } });
      expect(details(res), JSON.stringify(query)).toMatch(expected);
    }
    // Every listed type is taken (image/jpg as Meta lists it).
    for (const type of ['application/pdf', 'image/jpeg', 'image/jpg', 'image/png', 'video/mp4']) {
      expect((await create(a.channel_api_key, { file_length: '100', file_type: type })).status, type).toBe(200);
    }
  });

  it("answers another channel's key exactly as an unknown session; a missing or wrong key is the usual 401", async () => {
    const id = await session(JPEG, 'image/jpeg');
    const unknown = 'upload:' + 'Z'.repeat(32);
    for (const method of ['GET', 'POST'] as const) {
      const other = await t.request(method, `/${id}`, { headers: { ...channelKey(b.channel_api_key), file_offset: '0' }, raw: method === 'POST' ? JPEG : undefined });
      const none = await t.request(method, `/${unknown}`, { headers: { ...keyA(), file_offset: '0' }, raw: method === 'POST' ? JPEG : undefined });
      expect(other.status, method).toBe(400);
      expect(none.status, method).toBe(400);
      const strip = (body: any, name: string) => ({ ...body.error, fbtrace_id: undefined, message: String(body.error.message).replace(name, '<id>') });
      expect(strip(other.body, id)).toEqual(strip(none.body, unknown));
      expect(other.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
    }
    // Nothing of the other channel's POST was taken.
    expect((await t.get(`/${id}`, { headers: keyA() })).body).toEqual({ id, file_offset: 0 });

    for (const headers of [{}, channelKey('not-a-key')]) {
      for (const [method, p] of [['POST', '/uploads?file_length=10&file_type=image/png'], ['GET', `/${id}`], ['POST', `/${id}`]] as const) {
        const res = await t.request(method, p, { headers, raw: method === 'POST' ? Buffer.alloc(10) : undefined });
        expect(res.status, `${method} ${p}`).toBe(401);
        expect(res.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
      }
    }
  });

  it("serves Graph's paths: /{version}/{app-id}/uploads, /{version}/upload:{session} (OAuth or Bearer), and /app/uploads", async () => {
    const oauth = { authorization: `OAuth ${a.channel_api_key}` };
    const bearerA = { authorization: `Bearer ${a.channel_api_key}` };
    const made = await create(a.channel_api_key, { file_name: 'clip.mp4', file_length: String(MP4.length), file_type: 'video/mp4' }, '/v21.0/1234567890/uploads', oauth);
    expect(made.status, made.text).toBe(200);
    const id = made.body.id as string;
    expect(id).toMatch(/^upload:/);
    expect((await t.get(`/v21.0/${id}`, { headers: bearerA })).body).toEqual({ id, file_offset: 0 });
    const half = await t.post(`/v21.0/${id}`, { headers: { ...oauth, file_offset: '0' }, raw: MP4.subarray(0, 600) });
    expect(half.body).toEqual({ id, file_offset: 600 });
    // The colon percent-encoded, as some HTTP libraries send it.
    expect((await t.get(`/v22.0/${id.replace(':', '%3A')}`, { headers: oauth })).body).toEqual({ id, file_offset: 600 });
    const done = await t.post(`/v21.0/${id}`, { headers: { ...oauth, file_offset: '600' }, raw: MP4.subarray(600) });
    expect(done.body).toEqual({ h: expect.stringMatching(/^4::dmlkZW8vbXA0:/) });

    const app = await create(a.channel_api_key, { file_length: '10', file_type: 'application/pdf' }, '/app/uploads');
    expect(app.body).toEqual({ id: expect.stringMatching(/^upload:/) });
    const v = await create(a.channel_api_key, { file_length: '10', file_type: 'application/pdf' }, '/v21.0/app/uploads', oauth);
    expect(v.body).toEqual({ id: expect.stringMatching(/^upload:/) });

    // On a Graph path, a bad token is Graph's code 190; a bad parameter Graph's body.
    const bad = await t.get(`/v21.0/${id}`, { headers: { authorization: 'OAuth nope' } });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toMatchObject({ type: 'OAuthException', code: 190 });
    const badType = await create(a.channel_api_key, { file_length: '10', file_type: 'image/webp' }, '/v21.0/1234567890/uploads', oauth);
    expect(badType.status).toBe(400);
    expect(details(badType)).toMatch(/^file_type: must be one of/);
  });

  it("refuses a VIDEO header whose handle is one of ours but not a video; takes an MP4's; other handles stay accepted", async () => {
    const jpegHandle = await upload(JPEG, 'image/jpeg');
    const refused = await t.post('/message_templates', { headers: keyA(), json: template('video_with_photo', 'VIDEO', jpegHandle) });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 100 });
    expect(details(refused)).toMatch(/^components\[0\]\.example\.header_handle\[0\]: the uploaded file is image\/jpeg, which a VIDEO header cannot show/);
    // The On-Premise template API refuses it too (the same creation).
    const onprem = await t.post('/v1/configs/templates', { headers: keyA(), json: template('video_with_photo_2', 'VIDEO', jpegHandle) });
    expect(onprem.status).toBe(400);
    // A DOCUMENT header is no better.
    expect((await t.post('/message_templates', { headers: keyA(), json: template('doc_with_photo', 'DOCUMENT', jpegHandle) })).status).toBe(400);

    const mp4Handle = await upload(MP4, 'video/mp4');
    const video = await t.post('/message_templates', { headers: keyA(), json: template('video_ok', 'VIDEO', mp4Handle) });
    expect(video.status, video.text).toBe(200);
    // A handle minted elsewhere (Meta's), or another WABA's: not looked at.
    expect((await t.post('/message_templates', { headers: keyA(), json: template('video_meta_handle', 'VIDEO', '4::aW1hZ2UvanBlZw==:ARbmeta') })).status).toBe(200);
    const otherWabas = await t.post('/message_templates', { headers: channelKey(b.channel_api_key), json: template('video_other', 'VIDEO', jpegHandle) });
    expect(otherWabas.status).toBe(200);
  });

  it("sets the profile picture from a profile_picture_handle of ours (the image's bytes at profile_picture_url); refuses one that is not an image", async () => {
    const handle = await upload(JPEG, 'image/jpeg');
    const set = await t.post('/whatsapp_business_profile', { headers: keyA(), json: { messaging_product: 'whatsapp', profile_picture_handle: handle } });
    expect(set.status, set.text).toBe(200);
    const profile = (await t.get('/whatsapp_business_profile', { headers: keyA() })).body.data[0];
    expect(profile.profile_picture_url).toBe(`${t.baseUrl}/v1/settings/profile/photo`);
    const photo = await undiciRequest(profile.profile_picture_url, { headers: keyA() });
    expect(photo.statusCode).toBe(200);
    expect(photo.headers['content-type']).toBe('image/jpeg');
    expect(sha256(Buffer.from(await photo.body.arrayBuffer()))).toBe(sha256(JPEG));

    const pdf = Buffer.from('%PDF-1.4\n%…\n');
    const pdfHandle = await upload(pdf, 'application/pdf');
    const refused = await t.post('/whatsapp_business_profile', { headers: keyA(), json: { messaging_product: 'whatsapp', profile_picture_handle: pdfHandle } });
    expect(refused.status).toBe(400);
    expect(details(refused)).toMatch(/^profile_picture_handle: the uploaded file is application\/pdf/);
    // A handle minted elsewhere is accepted and changes nothing.
    expect((await t.post('/whatsapp_business_profile', { headers: keyA(), json: { messaging_product: 'whatsapp', profile_picture_handle: '4::aW1hZ2UvanBlZw==:ARbmeta' } })).status).toBe(200);
    expect((await t.get('/whatsapp_business_profile', { headers: keyA() })).body.data[0].profile_picture_url).toBe(`${t.baseUrl}/v1/settings/profile/photo`);
  });

  it("answers a number on Meta's network a 400: uploads are not proxied to Meta", async () => {
    const m = await startMetaNumber(kind, { phoneNumberId: '109000000000001', wabaId: '209000000000001' });
    try {
      const res = await m.t.post('/uploads', { headers: channelKey(m.p.channel_api_key), query: { file_length: '10', file_type: 'image/png' } });
      expect(res.status).toBe(400);
      expect(details(res)).toMatch(/Meta's network: openwaba does not proxy the Resumable Upload API/);
      expect(m.graph.requests.filter((r) => r.path.includes('upload'))).toEqual([]);
    } finally {
      await m.close();
    }
  });

  it('expires unfinished sessions after 7 days and handles after 30; maintenance removes them with their files', async () => {
    const id = await session(JPEG, 'image/jpeg');
    const file = path.join(t.dataDir, 'media', 'uploads', id.slice('upload:'.length));
    expect(fs.existsSync(file)).toBe(true);
    const handle = await upload(MP4, 'video/mp4');
    clock.advance(8 * DAY);
    try {
      const gone = await t.get(`/${id}`, { headers: keyA() });
      expect(gone.status).toBe(400);
      expect(gone.body.error).toMatchObject({ code: 100, error_subcode: 33 });
      expect(await pruneResumableUploads(t.deps)).toBeGreaterThan(0);
      expect(fs.existsSync(file)).toBe(false);
      // The handle lives on (30 days), then goes too.
      expect(await t.deps.db.kysely.selectFrom('resumable_uploads').select('id').where('handle', '=', handle).executeTakeFirst()).toBeDefined();
      clock.advance(23 * DAY);
      await pruneResumableUploads(t.deps);
      expect(await t.deps.db.kysely.selectFrom('resumable_uploads').select('id').where('handle', '=', handle).executeTakeFirst()).toBeUndefined();
    } finally {
      clock.set(new Date('2026-03-01T12:00:00.000Z'));
    }
  });

  it("caps what one number keeps in sessions (ten files of the largest size); another number is not affected; an empty session id is no session", async () => {
    const c = await t.tenant();
    const big = { file_name: 'big', file_length: String(MAX_FILE_LENGTH), file_type: 'video/mp4' };
    for (let i = 0; i < MAX_KEPT_PER_CHANNEL / MAX_FILE_LENGTH; i++) expect((await create(c.channel_api_key, big)).status).toBe(200);
    const over = await create(c.channel_api_key, { ...big, file_length: '1' });
    expect(over.status, over.text).toBe(400);
    expect(over.body.error).toMatchObject({ code: 100 });
    expect(details(over)).toMatch(/file_length.*kept uploads/);
    // Another number's allowance is its own.
    expect((await create(b.channel_api_key, { ...big, file_length: '10' })).status).toBe(200);

    for (const p of ['/upload:', '/v21.0/upload:']) {
      const before = await t.deps.db.kysely.selectFrom('resumable_uploads').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const res = await t.post(p, { headers: { ...keyA(), 'content-type': 'application/octet-stream', file_offset: '0' }, raw: JPEG });
      expect(res.status, `${p} ${res.text}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
      const after = await t.deps.db.kysely.selectFrom('resumable_uploads').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    }
  });
});
