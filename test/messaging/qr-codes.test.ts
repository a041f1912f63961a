// Meta's QR codes and short links (POST/GET/DELETE /message_qrdls) on a sandbox number
// (src/messaging/routes/qr-codes.ts): create with the parameters in the body or in the query
// string (whatsapp-api-js createQR, through the 360dialog adapter) → list → get → update → the QR
// image (SVG and PNG bytes) → delete → gone. A 141-character message is refused in Meta's error
// body, and another number's code is "not found" exactly like a code never issued.
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { to360 } from '../helpers/client-replay.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WhatsAppAPI } from 'whatsapp-api-js';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';

const CODE = /^[A-Z2-7]{13}1$/;

/** whatsapp-api-js answers parsed bodies; an error body or a raw Response fails here. */
function ok<T extends object>(r: T | Response): Exclude<T, { error: unknown }> {
  if (r instanceof Response) throw new Error('whatsapp-api-js returned a raw Response although parsed is on');
  if ('error' in r && r.error) throw new Error(`Graph error: ${JSON.stringify(r.error)}`);
  return r as Exclude<T, { error: unknown }>;
}


describeEachDb('QR codes (message_qrdls) on a sandbox number', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let wa: WhatsAppAPI;
  const key = (q: BootstrapResult = p) => ({ 'D360-API-KEY': q.channel_api_key });
  const image = (url: string, q: BootstrapResult = p) => fetch(url, { headers: key(q) });

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    other = await t.tenant();
    wa = new WhatsAppAPI({ token: p.channel_api_key, v: 'v22.0', secure: false, ponyfill: { fetch: to360(t.baseUrl) } });
  });
  afterAll(() => t.close());

  it('create (body and query) → list → get → update → image → delete → gone', async () => {
    // The JSON body, as Meta's current reference writes it.
    const a = await t.post('/message_qrdls', { headers: key(), json: { prefilled_message: 'Cyber Monday', generate_qr_image: 'SVG' } });
    expect(a.status, a.text).toBe(200);
    expect(a.body.code).toMatch(CODE);
    expect(a.body).toEqual({
      code: a.body.code,
      prefilled_message: 'Cyber Monday',
      deep_link_url: `https://wa.me/message/${a.body.code}`,
      qr_image_url: `${t.baseUrl}/message_qrdls/${a.body.code}/image.svg`,
    });

    // The query string, as whatsapp-api-js createQR sends it (lowercase format, no body).
    const b = ok(await wa.createQR('1234567890', 'Store hours', 'png'));
    expect(b.code).toMatch(CODE);
    expect(b).toEqual({ code: b.code, prefilled_message: 'Store hours', deep_link_url: `https://wa.me/message/${b.code}`, qr_image_url: `${t.baseUrl}/message_qrdls/${b.code}/image.png` });
    // Without generate_qr_image: no image URL.
    const c = await t.post('/message_qrdls', { headers: key(), query: { prefilled_message: 'Plain' } });
    expect(c.status, c.text).toBe(200);
    expect(c.body).toEqual({ code: c.body.code, prefilled_message: 'Plain', deep_link_url: `https://wa.me/message/${c.body.code}` });

    // The list: every code, without image URLs.
    const list = ok(await wa.retrieveQR('1234567890'));
    expect(list.data).toHaveLength(3);
    expect(list.data.map((e) => e.code).sort()).toEqual([a.body.code, b.code, c.body.code].sort());
    expect(list.data.find((e) => e.code === a.body.code)).toEqual({ code: a.body.code, prefilled_message: 'Cyber Monday', deep_link_url: `https://wa.me/message/${a.body.code}` });
    const filtered = await t.get('/message_qrdls', { headers: key(), query: { code: b.code } });
    expect(filtered.body.data.map((e: { code: string }) => e.code)).toEqual([b.code]);

    // One code, in a data list as Meta answers it.
    const one = ok(await wa.retrieveQR('1234567890', b.code));
    expect(one).toEqual({ data: [{ code: b.code, prefilled_message: 'Store hours', deep_link_url: `https://wa.me/message/${b.code}` }] });

    // Update: whatsapp-api-js's POST /message_qrdls/{code}?prefilled_message=…, and Meta guide's POST with `code`.
    const u1 = ok(await wa.updateQR('1234567890', b.code, 'Opening hours'));
    expect(u1).toEqual({ code: b.code, prefilled_message: 'Opening hours', deep_link_url: `https://wa.me/message/${b.code}` });
    const u2 = await t.post('/message_qrdls', { headers: key(), json: { code: a.body.code, prefilled_message: 'Cyber Tuesday' } });
    expect(u2.status, u2.text).toBe(200);
    expect(u2.body.prefilled_message).toBe('Cyber Tuesday');
    expect((await t.get(`/message_qrdls/${a.body.code}`, { headers: key() })).body.data[0].prefilled_message).toBe('Cyber Tuesday');
    expect((await t.get(`/message_qrdls/${b.code}`, { headers: key() })).body.data[0].prefilled_message).toBe('Opening hours');

    // The images: a real SVG and a real PNG.
    const svg = await image(a.body.qr_image_url);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const svgText = await svg.text();
    expect(svgText).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svgText).toContain('<path');
    const png = await image(b.qr_image_url!);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.length).toBeGreaterThan(200);
    // The image route takes the key like every other route.
    expect((await fetch(a.body.qr_image_url)).status).toBe(401);
    expect((await image(`${t.baseUrl}/message_qrdls/${a.body.code}/image.gif`)).status).toBe(400);

    // Delete → gone everywhere.
    expect(ok(await wa.deleteQR('1234567890', b.code))).toEqual({ success: true });
    const gone = await t.get(`/message_qrdls/${b.code}`, { headers: key() });
    expect(gone.status).toBe(400);
    expect(gone.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    expect(gone.body.error.message).toContain(`Object with ID '${b.code}' does not exist`);
    expect((await image(b.qr_image_url!)).status).toBe(400);
    expect((await t.delete(`/message_qrdls/${b.code}`, { headers: key() })).status).toBe(400);
    expect((await t.post(`/message_qrdls/${b.code}`, { headers: key(), json: { prefilled_message: 'x' } })).status).toBe(400);
    const after = await t.get('/message_qrdls', { headers: key() });
    expect(after.body.data.map((e: { code: string }) => e.code).sort()).toEqual([a.body.code, c.body.code].sort());
  });

  it('refuses a message over 140 characters, a missing one and an unknown image format, in Meta\'s body', async () => {
    const ok = await t.post('/message_qrdls', { headers: key(), json: { prefilled_message: 'é'.repeat(140) } });
    expect(ok.status, ok.text).toBe(200);
    const long = await t.post('/message_qrdls', { headers: key(), json: { prefilled_message: 'x'.repeat(141), generate_qr_image: 'SVG' } });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({ code: 100, error_data: { details: 'prefilled_message: must be at most 140 characters (got 141)' } });
    const longUpdate = await t.post(`/message_qrdls/${ok.body.code}`, { headers: key(), query: { prefilled_message: 'y'.repeat(141) } });
    expect(longUpdate.status).toBe(400);
    expect(longUpdate.body.error.error_data.details).toContain('at most 140');
    const missing = await t.post('/message_qrdls', { headers: key(), json: { generate_qr_image: 'PNG' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.error_data.details).toBe('prefilled_message: is required');
    const gif = await t.post('/message_qrdls', { headers: key(), json: { prefilled_message: 'hi', generate_qr_image: 'GIF' } });
    expect(gif.status).toBe(400);
    expect(gif.body.error.error_data.details).toContain('generate_qr_image: must be SVG or PNG');
    const notObject = await t.post('/message_qrdls', { headers: key(), json: ['hi'] });
    expect(notObject.status).toBe(400);
  });

  it("another number cannot see, change, delete or draw a code: it is not found, as one never issued", async () => {
    const mine = await t.post('/message_qrdls', { headers: key(), json: { prefilled_message: 'Mine', generate_qr_image: 'PNG' } });
    expect(mine.status, mine.text).toBe(200);
    const theirs = await t.get('/message_qrdls', { headers: key(other) });
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual({ data: [] });
    expect((await t.get('/message_qrdls', { headers: key(other), query: { code: mine.body.code } })).body).toEqual({ data: [] });
    const get = await t.get(`/message_qrdls/${mine.body.code}`, { headers: key(other) });
    const never = await t.get('/message_qrdls/AAAAAAAAAAAAA1', { headers: key(other) });
    expect(get.status).toBe(400);
    expect(get.body.error.message).toBe(never.body.error.message.replace('AAAAAAAAAAAAA1', mine.body.code));
    expect((await t.post('/message_qrdls', { headers: key(other), json: { code: mine.body.code, prefilled_message: 'Stolen' } })).status).toBe(400);
    expect((await t.delete(`/message_qrdls/${mine.body.code}`, { headers: key(other) })).status).toBe(400);
    expect((await image(mine.body.qr_image_url, other)).status).toBe(400);
    // Still the owner's, unchanged.
    const still = await t.get(`/message_qrdls/${mine.body.code}`, { headers: key() });
    expect(still.body.data[0].prefilled_message).toBe('Mine');
  });
});

const META_NUMBER = '106540352242988';

describeEachDb("QR codes on Meta's network: Meta's own codes", (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let p: BootstrapResult;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });

  let meta: MetaNumber | undefined;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: '102290129340888' });
    ({ graph, t, p } = meta);
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("every call goes to Meta's /{phone_number_id}/message_qrdls; Meta's answers come back; the image route refuses", async () => {
    graph.reset();
    const created = { code: '4O4YGZEG3RIVE1', prefilled_message: 'Cyber Monday', deep_link_url: 'https://wa.me/message/4O4YGZEG3RIVE1', qr_image_url: 'https://scontent.example/qr.svg' };
    const listed = { data: [{ code: '4O4YGZEG3RIVE1', prefilled_message: 'Cyber Monday', deep_link_url: 'https://wa.me/message/4O4YGZEG3RIVE1' }] };
    graph.respond({ status: 200, json: created }, { status: 200, json: listed }, { status: 200, json: { success: true } });
    const res = await t.post('/message_qrdls', { headers: key(), query: { prefilled_message: 'Cyber Monday', access_token: 'not-passed-on' }, json: { generate_qr_image: 'SVG' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(created);
    expect((await t.get('/message_qrdls', { headers: key() })).body).toEqual(listed);
    expect((await t.delete('/message_qrdls/4O4YGZEG3RIVE1', { headers: key() })).body).toEqual({ success: true });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['POST', `/${META_NUMBER}/message_qrdls`],
      ['GET', `/${META_NUMBER}/message_qrdls`],
      ['DELETE', `/${META_NUMBER}/message_qrdls/4O4YGZEG3RIVE1`],
    ]);
    expect(graph.requests[0]!.json).toEqual({ prefilled_message: 'Cyber Monday', generate_qr_image: 'SVG' });
    const img = await t.get('/message_qrdls/4O4YGZEG3RIVE1/image.svg', { headers: key() });
    expect(img.status).toBe(400);
    expect(img.body.error.error_data.details).toContain('at Meta');
    expect(await t.deps.db.kysely.selectFrom('qr_codes').selectAll().where('channel_id', '=', p.channel_id).execute()).toEqual([]);
  });
});
