// The Resumable Upload API's hardening: one writer per session across instances (the session
// row's lease, media/upload-lease.ts), the completed file's first bytes checked against its
// declared file_type (media/upload-sniff.ts), and hostile input on the Graph paths (which the
// hostile-input storm, walking the OpenAPI document, does not reach).
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { uploadFilePath } from '../../src/messaging/media/resumable.ts';
import { leaseTiming, takeLease } from '../../src/messaging/media/upload-lease.ts';
import { bytes, sha256 } from './media-fixtures.ts';

const PNG = bytes(Buffer.from('89504e470d0a1a0a', 'hex'), 2000);
const JPEG = bytes(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 2000);
const PDF = bytes(Buffer.from('%PDF-1.7\n', 'latin1'), 1500);
const MP4 = bytes(Buffer.from('\0\0\0\x18ftypmp42', 'latin1'), 1500);

describeEachDb('Resumable Upload API hardening', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  const key = () => channelKey(a.channel_api_key);
  const wait = leaseTiming.takeoverWaitMs;

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    leaseTiming.takeoverWaitMs = 400;
  });
  afterAll(async () => {
    leaseTiming.takeoverWaitMs = wait;
    await t.close();
  });

  const session = async (length: number, type: string): Promise<string> => {
    const res = await t.post('/uploads', { headers: key(), query: { file_name: 'f', file_length: String(length), file_type: type } });
    expect(res.status, res.text).toBe(200);
    return (res.body.id as string).replace(/^upload:/, '');
  };
  const send = (id: string, chunk: Buffer, offset: number) => t.post(`/upload:${id}`, { headers: { ...key(), 'content-type': 'application/octet-stream', file_offset: String(offset) }, raw: chunk });
  const row = (id: string) => t.deps.db.kysely.selectFrom('resumable_uploads').selectAll().where('id', '=', id).executeTakeFirst();
  const foreignLease = (id: string, ms: number) =>
    t.deps.db.kysely
      .updateTable('resumable_uploads')
      .set({ lease_token: 'another-instance', lease_expires_at: new Date(Date.now() + ms).toISOString() })
      .where('id', '=', id)
      .execute();

  it("refuses a POST while another instance's writer holds the session (after the wait); the file is untouched", async () => {
    const id = await session(PNG.length, 'image/png');
    expect((await send(id, PNG.subarray(0, 500), 0)).status).toBe(200);
    await foreignLease(id, 60_000);
    const started = Date.now();
    const res = await send(id, PNG.subarray(500), 500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
    expect(res.body.error.error_data.details).toMatch(/another upload to upload:\w+ is in progress/);
    expect(fs.statSync(uploadFilePath(t.deps, id)).size).toBe(500);
    expect((await row(id))?.lease_token).toBe('another-instance');
    // Its writer ends (or its lease expires): the POST goes through, and the lease is cleared after it.
    await foreignLease(id, -1);
    const done = await send(id, PNG.subarray(500), 500);
    expect(done.status, done.text).toBe(200);
    expect(done.body.h).toMatch(/^4::/);
    expect(await row(id)).toMatchObject({ lease_token: null, lease_expires_at: null, sha256: sha256(PNG) });
  });

  it("waits for another instance's writer that ends within the wait", async () => {
    const id = await session(JPEG.length, 'image/jpeg');
    await foreignLease(id, 60_000);
    setTimeout(() => void t.deps.db.kysely.updateTable('resumable_uploads').set({ lease_token: null, lease_expires_at: null }).where('id', '=', id).execute(), 150);
    const res = await send(id, JPEG, 0);
    expect(res.status, res.text).toBe(200);
    expect(res.body.h).toMatch(/^4::/);
  });

  it('a streaming POST holds the lease: a second writer (another instance) is kept out until it ends, and the file is whole', async () => {
    const id = await session(PDF.length, 'application/pdf');
    const body = new PassThrough();
    const answer = undiciRequest(`${t.baseUrl}/upload:${id}`, { method: 'POST', headers: { ...key(), 'content-type': 'application/pdf', file_offset: '0', 'content-length': String(PDF.length) }, body });
    body.write(PDF.subarray(0, 700));
    try {
      await waitUntil('the first 700 bytes on disk, under a lease', async () => (await row(id))?.lease_token != null && fs.statSync(uploadFilePath(t.deps, id)).size === 700);
      // Another instance: the same database, the same session; its writer does not get in.
      expect(await takeLease(t.deps, id, Date.now() + 200, () => {})).toBeUndefined();
    } finally {
      body.end(PDF.subarray(700));
    }
    const res = await answer;
    const json = (await res.body.json()) as { h?: string };
    expect(res.statusCode).toBe(200);
    expect(json.h).toMatch(/^4::/);
    expect(fs.readFileSync(uploadFilePath(t.deps, id)).equals(PDF)).toBe(true);
    // Released: the other instance's writer takes it now.
    const other = await takeLease(t.deps, id, Date.now() + 200, () => {});
    expect(other).toBeDefined();
    await other!.release();
    expect((await row(id))?.lease_token).toBeNull();
  });

  it('a second POST to a session in this process stops the first, which is answered a 400 saying why (not a dropped connection); the second completes the file', async () => {
    const id = await session(PDF.length, 'application/pdf');
    const body = new PassThrough();
    const first = undiciRequest(`${t.baseUrl}/upload:${id}`, { method: 'POST', headers: { ...key(), 'content-type': 'application/pdf', file_offset: '0', 'content-length': String(PDF.length) }, body });
    body.write(PDF.subarray(0, 700));
    await waitUntil('the first 700 bytes on disk', async () => fs.statSync(uploadFilePath(t.deps, id)).size === 700);
    // The client took its first POST for dead and resumes from where the file is.
    const second = send(id, PDF.subarray(700), 700);
    const stopped = await first;
    const answer = (await stopped.body.json()) as { error: { code: number; type: string; error_data: { details: string } } };
    expect(stopped.statusCode).toBe(400);
    expect(answer.error).toMatchObject({ code: 100, type: 'OAuthException' });
    expect(answer.error.error_data.details).toMatch(/a later POST to upload:\w+ took the session over/);
    body.end();
    const res = await second;
    expect(res.status, res.text).toBe(200);
    expect(res.body.h).toMatch(/^4::/);
    expect(fs.readFileSync(uploadFilePath(t.deps, id)).equals(PDF)).toBe(true);
    expect(await row(id)).toMatchObject({ lease_token: null, sha256: sha256(PDF) });
  });

  it('answers every one of many concurrent POSTs to one session (a 200 or a 400, none dropped); the client then resumes from GET and the file ends whole', async () => {
    const id = await session(JPEG.length, 'image/jpeg');
    const answers = await Promise.all(Array.from({ length: 12 }, () => send(id, JPEG, 0)));
    for (const res of answers) expect([200, 400], res.text).toContain(res.status);
    // Each POST stops the one before it, which keeps what it wrote: whether one of them completed the
    // file depends on the timing. GET says where to resume; at most one handle was issued.
    const handles = new Set(answers.filter((r) => r.status === 200).map((r) => r.body.h as string));
    expect(handles.size).toBeLessThanOrEqual(1);
    const state = await t.get(`/upload:${id}`, { headers: key() });
    expect(state.status, state.text).toBe(200);
    const offset = state.body.file_offset as number;
    expect(offset).toBe(fs.statSync(uploadFilePath(t.deps, id)).size);
    const last = await send(id, offset < JPEG.length ? JPEG.subarray(offset) : Buffer.alloc(0), offset);
    expect(last.status, last.text).toBe(200);
    if (handles.size === 1) expect(last.body.h).toBe([...handles][0]);
    expect(fs.readFileSync(uploadFilePath(t.deps, id)).equals(JPEG)).toBe(true);
    expect(await row(id)).toMatchObject({ lease_token: null, sha256: sha256(JPEG) });
  });

  it('checks the completed file against file_type by its magic bytes: a mismatch is a 400 and the session is removed', async () => {
    const id = await session(JPEG.length, 'image/png');
    // The first chunk is taken: the check is made once the file is whole.
    expect((await send(id, JPEG.subarray(0, 1000), 0)).body).toEqual({ id: `upload:${id}`, file_offset: 1000 });
    const res = await send(id, JPEG.subarray(1000), 1000);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
    expect(res.body.error.error_data.details).toMatch(/file_type image\/png does not match the file: its bytes look like image\/jpeg/);
    expect(await row(id)).toBeUndefined();
    expect(fs.existsSync(uploadFilePath(t.deps, id))).toBe(false);
    expect((await t.get(`/upload:${id}`, { headers: key() })).status).toBe(400);

    const mp4 = await session(PDF.length, 'video/mp4');
    const bad = await send(mp4, PDF, 0);
    expect(bad.status).toBe(400);
    expect(bad.body.error.error_data.details).toMatch(/video\/mp4 .* look like application\/pdf/);
    const junk = await session(100, 'application/pdf');
    expect((await send(junk, Buffer.alloc(100, 0x41), 0)).body.error.error_data.details).toMatch(/none of the recognised types/);
    // The right bytes pass, whatever the case of the declared type.
    for (const [file, type] of [[MP4, 'video/mp4'], [PDF, 'APPLICATION/PDF'], [JPEG, 'image/jpg'], [PNG, 'image/png']] as const) {
      const ok = await send(await session(file.length, type), file, 0);
      expect(ok.status, `${type}: ${ok.text}`).toBe(200);
      expect(ok.body.h).toMatch(/^4::/);
    }
  });

  it('limits session creation to 60 a minute per number: a 429 with Retry-After and Graph\'s rate-limit error; other numbers are not affected', async () => {
    const other = await t.tenant();
    const create = (k: string) => t.post('/uploads', { headers: channelKey(k), query: { file_length: '10', file_type: 'image/png' } });
    let made = 0;
    let refused;
    for (; made < 70; made++) {
      const res = await create(other.channel_api_key);
      if (res.status !== 200) {
        refused = res;
        break;
      }
    }
    expect(made).toBeGreaterThanOrEqual(60);
    expect(made).toBeLessThanOrEqual(62);
    expect(refused?.status).toBe(429);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused?.body.error).toMatchObject({ code: 130429, type: 'OAuthException' });
    // A refused creation (bad parameters) is not counted, and another number still creates.
    expect((await t.post('/uploads', { headers: channelKey(other.channel_api_key), query: { file_length: '-1', file_type: 'image/png' } })).status).toBe(400);
    expect((await create(a.channel_api_key)).status).toBe(200);
  });

  it("answers hostile input on Graph's paths with Graph's 400 (or 401 for a missing key), never a 5xx", async () => {
    const oauth = { authorization: `OAuth ${a.channel_api_key}` };
    const bad = ['file_length=-1&file_type=image/png', 'file_length=abc&file_type=image/png', `file_length=${'9'.repeat(400)}&file_type=image/png`, 'file_length=10&file_type=image/gif', 'file_length=10&file_type=%FF%FE', `file_length=10&file_type=image/png&file_name=${'x'.repeat(300)}`];
    for (const q of bad) {
      const res = await t.post(`/v21.0/1234567890/uploads?${q}`, { headers: oauth });
      expect(res.status, q).toBe(400);
      expect(res.body.error, q).toMatchObject({ code: 100, type: 'OAuthException', fbtrace_id: expect.any(String) });
    }
    const ok = await t.post('/v21.0/1234567890/uploads?file_length=10&file_type=image/png&file_name=a%ED%A0%80b', { headers: oauth });
    expect([200, 400]).toContain(ok.status);
    expect((await t.post('/v21.0/1234567890/uploads?file_length=10&file_type=image/png', {})).status).toBe(401);
    const id = await session(PNG.length, 'image/png');
    for (const offset of ['-1', 'NaN', '1e309', '9'.repeat(400)]) {
      const res = await t.post(`/v21.0/upload:${id}`, { headers: { ...oauth, 'content-type': 'application/json', file_offset: offset }, raw: Buffer.from('{"a":1}') });
      expect(res.status, offset).toBe(400);
      expect(res.body.error.error_data.details, offset).toMatch(/file_offset/);
    }
    for (const path of [`/v21.0/upload:${'A'.repeat(32)}`, '/v21.0/upload:..%2F..%2Fetc', `/v21.0/upload:${'p'.repeat(190)}`]) {
      const res = await t.get(path, { headers: oauth });
      expect(res.status, path).toBe(400);
      expect(res.body.error, path).toMatchObject({ code: 100 });
    }
    // Nothing was written by the refused POSTs.
    expect(fs.statSync(uploadFilePath(t.deps, id)).size).toBe(0);
  });
});
