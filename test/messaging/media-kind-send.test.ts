// Sending an upload as a kind it is not (a PDF as an image, an audio as a video, a PNG as a
// sticker): Meta's Cloud API takes the send (200 with a wamid) and then fails the message with
// 131053 "Media upload error"; the sandbox does the same. A file of the kind, and any file as a
// document, goes through as usual.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, uploadCloud } from './media-fixtures.ts';

const USER = '4917612340001';

describeEachDb('media sent as another kind than the upload is', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  /** Uploaded media ids by sample file name. */
  const ids = new Map<string, string>();
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const sendMedia = (type: string, name: string) =>
    t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: USER, type, [type]: { id: ids.get(name) } } });
  const statusesOf = (wamid: string) =>
    receiver
      .bodies('/wh')
      .map((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0])
      .filter((s) => s?.id === wamid);
  const row = (wamid: string) =>
    t.deps.db.kysely.selectFrom('messages').select(['status', 'error_code', 'error_title', 'status_plan', 'sent_at']).where('id', '=', wamid).executeTakeFirstOrThrow();

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${receiver.url}/wh` } })).status).toBe(200);
    // The user writes first: the 24-hour window is open, so only the media can fail a send.
    expect((await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: USER, name: 'Jane', text: { body: 'send me the files' } } })).status).toBe(200);
    for (const name of ['photo.jpg', 'chart.png', 'voice.ogg', 'clip.mp4', 'invoice.pdf', 'static.webp']) {
      const s = SAMPLES.find((x) => x.name === name)!;
      const res = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: s.mime, file: { data: s.data, name: s.name } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      ids.set(name, res.body.id);
    }
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it.each([
    ['image', 'invoice.pdf', 'application/pdf', 'image/jpeg, image/png'],
    ['video', 'voice.ogg', 'audio/ogg', 'video/mp4, video/3gpp'],
    ['sticker', 'chart.png', 'image/png', 'image/webp'],
    ['image', 'static.webp', 'image/webp', 'image/jpeg, image/png'],
    ['audio', 'clip.mp4', 'video/mp4', 'audio/aac'],
  ])('%s of %s: 200 with a wamid, then failed with 131053 naming the type, as the other failures are', async (type, name, mime, allowed) => {
    const sent = await sendMedia(type, name);
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const wamid = sent.body.messages[0].id as string;
    expect(wamid).toMatch(/^wamid\./);
    const failed = await receiver.waitForBody(`the failed status of ${wamid}`, () => statusesOf(wamid).find((s) => s.status === 'failed'));
    expect(failed).toEqual({
      id: wamid,
      status: 'failed',
      timestamp: expect.stringMatching(/^\d+$/),
      recipient_id: USER,
      errors: [{ code: 131053, title: 'Media upload error', message: 'Media upload error', error_data: { details: expect.any(String) } }],
    });
    const details = failed.errors[0].error_data.details as string;
    expect(details).toContain(`media ${ids.get(name)} is ${mime}, a MIME type not allowed for ${type} messages`);
    expect(details).toContain(allowed);
    // Failed is the whole plan: never sent, delivered or read.
    expect(await row(wamid)).toEqual({ status: 'failed', error_code: 131053, error_title: 'Media upload error', status_plan: null, sent_at: null });
    expect(statusesOf(wamid).map((s) => s.status)).toEqual(['failed']);
  });

  it('each file as its own kind, and any file as a document, is sent, delivered and read', async () => {
    const sends: [string, string][] = [
      ['image', 'photo.jpg'],
      ['image', 'chart.png'],
      ['audio', 'voice.ogg'],
      ['video', 'clip.mp4'],
      ['sticker', 'static.webp'],
      ['document', 'invoice.pdf'],
      ['document', 'photo.jpg'],
      ['document', 'clip.mp4'],
    ];
    const wamids: string[] = [];
    for (const [type, name] of sends) {
      const sent = await sendMedia(type, name);
      expect(sent.status, `${type} of ${name}: ${JSON.stringify(sent.body)}`).toBe(200);
      wamids.push(sent.body.messages[0].id);
    }
    const statuses = await waitUntil('every send to be read', async () => {
      const all = await Promise.all(wamids.map(async (w) => (await row(w)).status));
      return all.every((s) => s === 'read' || s === 'failed') && all;
    });
    expect(statuses).toEqual(sends.map(() => 'read'));
  });
});
