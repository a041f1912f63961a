// Media in use and over time: sending an uploaded image by id, expiry after 30 days with the
// file and row removed by the durable expiry job, and the sweep of abandoned temporary files.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import { sweepTemporaryFiles } from '../../src/messaging/media/store.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, filesUnder, form, uploadCloud, uploadOnPrem } from './media-fixtures.ts';

const DAY = 86_400_000;
const USER = '4917612345678';

describeEachDb('media lifecycle', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  const clock = new ManualClock(new Date('2026-05-01T08:00:00.000Z'));
  const keyA = () => ({ 'D360-API-KEY': a.channel_api_key });
  const jpeg = SAMPLES[0]!;
  const upload = async (key: string) => (await uploadCloud(t, key, { messaging_product: 'whatsapp', type: jpeg.mime, file: { data: jpeg.data, name: jpeg.name } })).body.id as string;
  const sendImage = (id: string, key = a.channel_api_key) =>
    t.post('/messages', { headers: { 'D360-API-KEY': key }, json: { messaging_product: 'whatsapp', to: USER, type: 'image', image: { id, caption: 'our menu' } } });
  const mediaRow = (id: string) => t.deps.db.kysely.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
  const fileOf = (id: string) => filesUnder(path.join(t.dataDir, 'media', 'files')).find((f) => path.basename(f).startsWith(`${id}-`));

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
    for (const p of [a, b]) {
      const inbound = await t.post('/sandbox/v1/inbound', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { from: USER, name: 'Jane', type: 'text', text: { body: 'menu?' } } });
      expect(inbound.status).toBe(200);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('upload → send an image message by its id → 200, the message is stored with the media id', async () => {
    const id = await upload(a.channel_api_key);
    const sent = await sendImage(id);
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const wamid = sent.body.messages[0].id;
    const msg = await t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', wamid).executeTakeFirstOrThrow();
    expect(msg).toMatchObject({ channel_id: a.channel_id, direction: 'outbound', type: 'image', wa_id: USER });
    expect(JSON.parse(msg.content)).toMatchObject({ type: 'image', image: { id, caption: 'our menu' } });
  });

  it('400 for an unknown id, another channel’s media, or deleted media', async () => {
    const unknown = await sendImage('1234567890123456');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 131009, error_data: { details: expect.stringContaining('media id 1234567890123456') } });
    const theirs = await upload(b.channel_api_key);
    expect((await sendImage(theirs)).status).toBe(400);
    expect((await sendImage(theirs, b.channel_api_key)).status).toBe(200);
    const mine = await upload(a.channel_api_key);
    expect((await t.delete(`/${mine}`, { headers: keyA() })).status).toBe(200);
    expect((await sendImage(mine)).status).toBe(400);
  });

  it('expires after 30 days: Meta\'s 400 (unknown object) and unsendable at once; the expiry job then removes file and row', async () => {
    const id = await upload(a.channel_api_key);
    const deletedEarly = await upload(a.channel_api_key);
    expect((await t.delete(`/${deletedEarly}`, { headers: keyA() })).status).toBe(200);
    const jobs = new JobScheduler(t.deps);
    clock.advance(30 * DAY - 60_000);
    await jobs.runDue();
    expect((await t.get(`/${id}`, { headers: keyA() })).status).toBe(200);
    expect(fileOf(id)).toBeDefined();
    // The conversation window has long closed, but the media check comes first.
    clock.advance(120_000);
    const info = await t.get(`/${id}`, { headers: keyA() });
    expect(info.status).toBe(400);
    expect(info.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    expect((await sendImage(id)).status).toBe(400);
    expect(await mediaRow(id)).toBeDefined();

    expect(await jobs.runDue()).toBeGreaterThanOrEqual(2);
    expect(fileOf(id)).toBeUndefined();
    expect(await mediaRow(id)).toBeUndefined();
    expect(await mediaRow(deletedEarly)).toBeUndefined();
    const left = await t.deps.db.kysely.selectFrom('jobs').select('id').where('ref_id', 'in', [id, deletedEarly]).execute();
    expect(left).toEqual([]);
  });

  it('uploads are limited to 25 per second per number (429, code 130429, Retry-After); other numbers are not affected', async () => {
    clock.advance(10_000);
    for (let i = 0; i < 25; i++) expect((await uploadCloud(t, a.channel_api_key, { messaging_product: 'whatsapp', type: jpeg.mime, file: { data: jpeg.data } })).status).toBe(200);
    const res = await fetch(`${t.baseUrl}/media`, { method: 'POST', headers: keyA(), body: form({ messaging_product: 'whatsapp', type: jpeg.mime, file: { data: jpeg.data } }) });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 130429, error_data: { details: expect.stringContaining('25 requests per second') } });
    const onprem = await uploadOnPrem(t, a.channel_api_key, jpeg.data, jpeg.mime);
    expect(onprem.status).toBe(429);
    expect(onprem.body.errors[0].code).toBe(130429);
    expect((await uploadOnPrem(t, b.channel_api_key, jpeg.data, jpeg.mime)).status).toBe(201);
    clock.advance(1000);
    expect((await uploadOnPrem(t, a.channel_api_key, jpeg.data, jpeg.mime)).status).toBe(201);
  });

  it('temporary files abandoned more than a day ago are swept; recent ones (uploads in progress) stay', async () => {
    const tmp = path.join(t.dataDir, 'media', 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const old = path.join(tmp, 'abandoned.part');
    const recent = path.join(tmp, 'in-progress.part');
    fs.writeFileSync(old, 'x');
    fs.writeFileSync(recent, 'y');
    const now = Date.now();
    fs.utimesSync(old, new Date(now - 2 * DAY), new Date(now - 2 * DAY));
    expect(await sweepTemporaryFiles(t.deps, now)).toBe(1);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(recent)).toBe(true);
    fs.rmSync(recent);
  });
});
