// The Hub's template page shows a media header's sample as Meta's Business Manager does, from the
// same signed URL the APIs show (messaging/templates/sample-url.ts): an IMAGE header as a lazy
// thumbnail with alt text, a VIDEO as a small player and a link, a DOCUMENT as a link naming its
// type; a handle with no file here as text (cut short), never a broken image. The page's CSP lets
// images and media come from the public URL's origin when the Hub was opened on another origin,
// and changes nothing else. Over HTTP on both databases; in Chromium, that the image loads (the
// Hub opened on localhost, the public URL on 127.0.0.1) and the page fits 375 px.
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, launchIsolatedPage, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { describeEachDb } from '../helpers/db.ts';
import { bytes } from '../messaging/media-fixtures.ts';
import { HubClient } from './hub-client.ts';

const browserCheck = await checkBrowser();

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
/** A real (decodable) RGB PNG of w×h pixels: a green and white gradient. */
function png(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) raw.set([(x * 255) / w, 124, 92 + (y % 64)], y * (w * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const PNG = png(640, 360);
const PDF = bytes('%PDF-1.4\n', 5000);
const MP4 = bytes('\0\0\0\x18ftypmp42', 40_000);
/** As the template engine escapes text. */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Uploads a file with Meta's Resumable Upload API (as a channel) and returns its handle. */
async function upload(t: TestApp, key: string, file: Buffer, type: string): Promise<string> {
  const s = await t.post('/v17.0/372077/uploads', { query: { access_token: key, file_length: String(file.length), file_type: type } });
  expect(s.status, s.text).toBe(200);
  const up = await t.post(`/v17.0/${s.body.id}`, { headers: { authorization: `OAuth ${key}`, file_offset: '0', 'content-type': 'application/octet-stream' }, raw: file });
  expect(up.status, up.text).toBe(200);
  return up.body.h as string;
}

/** Creates a template with a media header through the Graph API; its id and its header sample as the API reads it. */
async function mediaTemplate(t: TestApp, a: BootstrapResult, name: string, format: string, handle: string): Promise<{ id: string; shown: string }> {
  const waba = (
    await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', a.waba_account_id).executeTakeFirstOrThrow()
  ).external_id;
  const created = await t.post(`/v17.0/${waba}/message_templates`, {
    query: { access_token: a.channel_api_key },
    json: { name, category: 'MARKETING', language: 'en_US', components: [{ type: 'HEADER', format, example: { header_handle: [handle] } }, { type: 'BODY', text: 'New arrivals are in.' }] },
  });
  expect(created.status, created.text).toBe(200);
  const node = await t.get(`/v17.0/${created.body.id}`, { query: { access_token: a.channel_api_key } });
  expect(node.status, node.text).toBe(200);
  return { id: created.body.id as string, shown: node.body.components[0].example.header_handle[0] as string };
}

const sampleOf = (html: string) => /<[a-z]+ class="[^"]*template-sample[^"]*" id="template-sample">[\s\S]*?<\/(p|figure)>/.exec(html)?.[0] ?? '';
const cspOf = (headers: Record<string, string | string[] | undefined>) => String(headers['content-security-policy']);
const BASE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'";

describeEachDb('Partner Hub: a template media header sample', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let hub: HubClient;
  let page: (id: string) => string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant({ clientName: 'Acme Bakery' });
    hub = new HubClient(t.baseUrl);
    expect((await hub.login(a.username, a.password)).status).toBe(303);
    page = (id) => `/hub/partner/${a.partner_id}/templates/${a.waba_account_id}/${id}`;
  });
  afterAll(() => t?.close());

  it('an IMAGE header: a lazy thumbnail from the signed URL the APIs show, which answers the PNG', async () => {
    const handle = await upload(t, a.channel_api_key, PNG, 'image/png');
    const { id, shown } = await mediaTemplate(t, a, 'spring_image', 'IMAGE', handle);
    expect(shown).toMatch(new RegExp(`^${t.baseUrl}/template_samples/[0-9A-Za-z]{32}/[A-Za-z0-9_-]{32}$`));
    const res = await hub.get(page(id));
    expect(res.status).toBe(200);
    const sample = sampleOf(res.html);
    expect(sample).toContain(`<img src="${esc(shown)}" alt="Sample image (PNG) of the header" loading="lazy"`);
    expect(sample).toContain(`<a href="${esc(shown)}">`);
    // The raw handle is on the page nowhere (the JSON shows the URL too, as the APIs do).
    expect(res.html).not.toContain(handle);
    expect(res.html).toContain(esc(JSON.stringify(shown)));
    // Same origin as the public URL: the policy is left as it is.
    expect(cspOf(res.headers)).toBe(BASE_CSP);
    // The src answers the PNG, with no key.
    const img = await undiciRequest(shown);
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toBe('image/png');
    expect(Buffer.from(await img.body.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('opened on another origin than the public URL: img-src and media-src name the public origin, nothing else changes', async () => {
    const handle = await upload(t, a.channel_api_key, PNG, 'image/png');
    const { id } = await mediaTemplate(t, a, 'other_origin', 'IMAGE', handle);
    const port = new URL(t.baseUrl).port;
    const res = await hub.get(page(id), { host: `localhost:${port}` });
    expect(res.status).toBe(200);
    expect(cspOf(res.headers)).toBe(`${BASE_CSP.replace("img-src 'self' data:", `img-src 'self' data: ${t.baseUrl}`)}; media-src 'self' ${t.baseUrl}`);
    // A page with no sample keeps the policy even there.
    const list = await hub.get(`/hub/partner/${a.partner_id}/templates`, { host: `localhost:${port}` });
    expect(cspOf(list.headers)).toBe(BASE_CSP);
  });

  it('a DOCUMENT header: a link naming its type; a VIDEO header: a small player (no preload) and a link', async () => {
    const doc = await mediaTemplate(t, a, 'invoice_doc', 'DOCUMENT', await upload(t, a.channel_api_key, PDF, 'application/pdf'));
    const docSample = sampleOf((await hub.get(page(doc.id))).html);
    expect(docSample).toContain(`<a href="${esc(doc.shown)}">Sample document (PDF)</a>`);
    expect(docSample).not.toContain('<img');
    const video = await mediaTemplate(t, a, 'promo_video', 'VIDEO', await upload(t, a.channel_api_key, MP4, 'video/mp4'));
    const videoSample = sampleOf((await hub.get(page(video.id))).html);
    expect(videoSample).toContain(`<video src="${esc(video.shown)}" controls preload="none" aria-label="Sample video (MP4) of the header"></video>`);
    expect(videoSample).toContain(`<a href="${esc(video.shown)}">Sample video (MP4)</a>`);
  });

  it('a handle with no file here (not ours, another WABA’s): text with the handle cut short, no image', async () => {
    const foreign = `4::aW1hZ2UvcG5n:ARb${'x'.repeat(120)}`;
    const { id, shown } = await mediaTemplate(t, a, 'meta_handle', 'IMAGE', foreign);
    expect(shown).toBe(foreign);
    const res = await hub.get(page(id));
    const sample = sampleOf(res.html);
    expect(sample).toContain('Sample: uploaded handle (not stored here)');
    expect(sample).toContain(`<code title="Sample image: an upload handle with no file on this server">${foreign.slice(0, 24)}…</code>`);
    expect(res.html).not.toContain('<img');
    expect(cspOf(res.headers)).toBe(BASE_CSP);
    // Another tenant's live handle is not a file of this WABA either.
    const b = await t.tenant();
    const theirs = await upload(t, b.channel_api_key, PNG, 'image/png');
    const stolen = await mediaTemplate(t, a, 'stolen_handle', 'IMAGE', theirs);
    expect(stolen.shown).toBe(theirs);
    const page2 = await hub.get(page(stolen.id));
    expect(sampleOf(page2.html)).toContain('uploaded handle (not stored here)');
    expect(page2.html).not.toContain('/template_samples/');
  });
});

describeBrowser('Partner Hub: a template image sample in Chromium', browserCheck, () => {
  let t: TestApp;
  let a: BootstrapResult;
  let session: IsolatedBrowser;
  let p: Page;
  let hubOrigin: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    a = await t.tenant({ clientName: 'Acme Bakery' });
    // The Hub opened on localhost, the public URL (the sample's origin) on 127.0.0.1: the image
    // loads only if the page's CSP lets it come from the public origin.
    hubOrigin = `http://localhost:${new URL(t.baseUrl).port}`;
    session = await launchIsolatedPage(hubOrigin, { viewport: { width: 375, height: 667 }, alsoAllow: [t.baseUrl] });
    p = session.page;
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
  });

  it('the thumbnail loads (naturalWidth > 0) and the page fits 375 px', async () => {
    const handle = await upload(t, a.channel_api_key, PNG, 'image/png');
    const { id, shown } = await mediaTemplate(t, a, 'spring_image', 'IMAGE', handle);
    const violations: string[] = [];
    p.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await p.goto(`${hubOrigin}/hub`);
    await p.fill('#username', a.username);
    await p.fill('#password', a.password);
    await Promise.all([p.waitForURL(/\/hub\/partner\//), p.press('#password', 'Enter')]);
    const res = await p.goto(`${hubOrigin}/hub/partner/${a.partner_id}/templates/${a.waba_account_id}/${id}`);
    expect(res?.status()).toBe(200);
    const img = p.locator('#template-sample img');
    expect(await img.getAttribute('src')).toBe(shown);
    expect(new URL(shown).origin).not.toBe(hubOrigin);
    await img.scrollIntoViewIfNeeded();
    const loaded = () => p.evaluate<number>("(() => { const i = document.querySelector('#template-sample img'); return i && i.complete ? i.naturalWidth : 0; })()");
    await expect.poll(loaded, { timeout: 10_000 }).toBe(640);
    const box = await img.boundingBox();
    expect(box!.width).toBeGreaterThan(0);
    expect(box!.width).toBeLessThanOrEqual(375);
    expect(await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    expect(violations).toEqual([]);
    expect(session.errors).toEqual([]);
    await screenshot(p, 'hub-template-image-sample-375');
  });
});
