// What a simulated user sends: media by the id of a file uploaded to the channel (its stored type
// and sha256 in the webhook, as WhatsApp's), and a profile name that stays the user's own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256, uploadCloud } from './media-fixtures.ts';

describeEachDb('sandbox inbound: media and names', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const uploads: Record<string, { id: string; mime: string; sha: string }> = {};
  /** The webhook's message for an inbound wamid. */
  const delivered = (id: string) =>
    receiver.waitForBody(`message ${id}`, (bodies) => {
      for (const b of bodies) {
        const value = b.entry?.[0]?.changes?.[0]?.value;
        const m = value?.messages?.[0];
        if (m?.id === id) return { message: m, contact: value.contacts[0] };
      }
      return undefined;
    });
  const inbound = (json: unknown) => t.post('/sandbox/v1/inbound', { headers: key(), json });

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true });
    p = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/wh` } })).status).toBe(200);
    for (const name of ['chart.png', 'invoice.pdf', 'animated.webp']) {
      const s = SAMPLES.find((x) => x.name === name)!;
      const res = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: s.mime, file: { data: s.data, type: s.mime, name } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      uploads[name] = { id: res.body.id, mime: s.mime, sha: sha256(s.data) };
    }
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('media by an uploaded id: the webhook shows its stored mime_type and sha256', async () => {
    const png = uploads['chart.png']!;
    const res = await inbound({ from: '4917600000201', name: 'Ida', type: 'image', image: { id: png.id, caption: 'look' } });
    expect(res.status, res.text).toBe(200);
    const { message } = await delivered(res.body.messages[0].id);
    expect(message).toMatchObject({ type: 'image', image: { id: png.id, mime_type: 'image/png', sha256: png.sha, caption: 'look' } });

    // A document may be any file; a sticker keeps its animated flag.
    const doc = await inbound({ from: '4917600000201', type: 'document', document: { id: png.id, filename: 'chart.png', mime_type: 'image/png' } });
    expect(doc.status, doc.text).toBe(200);
    expect((await delivered(doc.body.messages[0].id)).message.document).toEqual({ id: png.id, mime_type: 'image/png', sha256: png.sha, filename: 'chart.png', url: expect.any(String) });
    const webp = uploads['animated.webp']!;
    const sticker = await inbound({ from: '4917600000201', type: 'sticker', sticker: { id: webp.id, animated: true } });
    expect(sticker.status, sticker.text).toBe(200);
    expect((await delivered(sticker.body.messages[0].id)).message.sticker).toEqual({ id: webp.id, mime_type: 'image/webp', sha256: webp.sha, animated: true, url: expect.any(String) });
  });

  it('an id that is no upload of this number, of the wrong kind, or with another type or hash: 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ image: { id: '999999', mime_type: 'image/png' } }, 'image.id: no uploaded media 999999 on this number'],
      [{ image: { id: 'not-a-number' } }, 'image.id: no uploaded media'],
      [{ image: { id: uploads['invoice.pdf']!.id } }, 'is application/pdf, not of kind image'],
      [{ type: 'video', video: { id: uploads['chart.png']!.id } }, 'is image/png, not of kind video'],
      [{ image: { id: uploads['chart.png']!.id, mime_type: 'image/jpeg' } }, "image.mime_type: must be the upload's type, image/png"],
      [{ image: { id: uploads['chart.png']!.id, sha256: 'abc' } }, "image.sha256: must be the upload's sha256"],
    ];
    for (const [body, details] of cases) {
      const res = await inbound({ from: '4917600000202', type: 'image', ...(body as object) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.error_data.details).toContain(details);
    }
    // Another channel's upload is not this number's.
    const other = await t.tenant();
    const res = await t.post('/sandbox/v1/inbound', { headers: { 'D360-API-KEY': other.channel_api_key }, json: { from: '4917600000202', type: 'image', image: { id: uploads['chart.png']!.id } } });
    expect(res.status).toBe(400);
    expect(res.body.error.error_data.details).toContain('no uploaded media');
  });

  it("a user keeps their profile name when a message leaves it out; a new one gets 'User <last digits>'", async () => {
    const first = await inbound({ from: '4917600000203', name: 'Jane', text: { body: 'one' } });
    expect((await delivered(first.body.messages[0].id)).contact.profile.name).toBe('Jane');
    const second = await inbound({ from: '4917600000203', text: { body: 'two' } });
    expect((await delivered(second.body.messages[0].id)).contact.profile.name).toBe('Jane');
    const fresh = await inbound({ from: '4917600000204', text: { body: 'hey' } });
    expect((await delivered(fresh.body.messages[0].id)).contact.profile.name).toBe('User 0204');
    // A user made without a name gets the fallback with their first message.
    expect((await t.post('/sandbox/v1/users/4917600000205', { headers: key(), json: { unreachable: false } })).status).toBe(200);
    const made = await inbound({ from: '4917600000205', text: { body: 'hi' } });
    expect((await delivered(made.body.messages[0].id)).contact.profile.name).toBe('User 0205');
    const users = (await t.get('/sandbox/v1/users', { headers: key() })).body.users as { wa_id: string; name: string }[];
    expect(users.find((u) => u.wa_id === '4917600000203')?.name).toBe('Jane');
    expect(users.find((u) => u.wa_id === '4917600000205')?.name).toBe('User 0205');
  });
});
