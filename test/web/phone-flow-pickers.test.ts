// A developer tests a claims flow with a PhotoPicker and a DocumentPicker on the sandbox phone,
// without JavaScript: the screen is a multipart form with real file inputs; each picked file is
// checked on the server against its picker (type, max-file-size-kb, max-uploaded-…) and refused
// with a clear message on the page; the files kept stay attached between posts. Completing sends
// the business the nfm_reply whose response_json carries the files as Meta documents it
// ({file_name, mime_type, sha256, id}), and GET /{id} with the number's key gives their bytes. A
// data_exchange sends the endpoint the files as WhatsApp does ({media_id, cdn_url, file_name,
// encryption_metadata}); the test endpoint downloads cdn_url and decrypts it with Meta's documented
// steps (written here from Meta's text, not from openwaba's code).
import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FormData, request as undiciRequest } from 'undici';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey } from '../helpers/app.ts';
import type { EndpointReply, FlowRequest } from '../helpers/flow-endpoint.ts';
import { inboundMessages, waitForInbound } from './phone-client.ts';
import { sendFlowMessage, startFlowPhone, type FlowPhone } from './phone-flow-setup.ts';
import { unescape, stateOf, actionOf } from './flow-html.ts';

const WA = '4917012340123';

const FLOW = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { CLAIM: ['DOCS'], DOCS: [], MANY: [] },
  screens: [
    {
      id: 'CLAIM',
      title: 'Your claim',
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextInput', name: 'name', label: 'Name', required: true },
          { type: 'PhotoPicker', name: 'photos', label: 'Photos of the damage', 'min-uploaded-photos': 1, 'max-uploaded-photos': 2, 'max-file-size-kb': 64 },
          { type: 'EmbeddedLink', text: 'Check my photos', 'on-click-action': { name: 'data_exchange', payload: { photos: '${form.photos}', step: 'check' } } },
          { type: 'Footer', label: 'Next', 'on-click-action': { name: 'navigate', next: { type: 'screen', name: 'DOCS' }, payload: {} } },
        ],
      },
    },
    {
      id: 'DOCS',
      title: 'Documents',
      terminal: true,
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'DocumentPicker', name: 'receipt', label: 'Receipt', 'max-uploaded-documents': 1, 'allowed-mime-types': ['application/pdf'] },
          { type: 'Footer', label: 'Send', 'on-click-action': { name: 'complete', payload: { name: '${screen.CLAIM.form.name}', photos: '${screen.CLAIM.form.photos}', receipt: '${form.receipt}' } } },
        ],
      },
    },
    {
      id: 'MANY',
      title: 'Many photos',
      terminal: true,
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'PhotoPicker', name: 'many', label: 'Photos', 'max-uploaded-photos': 30 },
          { type: 'Footer', label: 'Send', 'on-click-action': { name: 'complete', payload: { many: '${form.many}' } } },
        ],
      },
    },
  ],
};

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(3000)]);
const JPEG2 = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(1000)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

const csrfOf = (html: string) => /name="_csrf" value="([^"]*)"/.exec(html)![1]!;
const pageError = (html: string) => {
  const m = /<p id="flow-error"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  return m ? unescape(m[1]!) : undefined;
};
const keptIds = (html: string, name: string) => [...html.matchAll(new RegExp(`name="f\\.${name}\\.keep" value="(\\d+)"`, 'g'))].map((m) => m[1]!);

interface Upload {
  field: string;
  name: string;
  type: string;
  bytes: Buffer;
}

describeEachDb('sandbox phone: PhotoPicker and DocumentPicker', (kind) => {
  let s: FlowPhone;
  let handler: (req: FlowRequest) => EndpointReply = () => ({ status: 500 });
  let n = 0;
  const path = (id: string) => `/sandbox/phone/flow/${encodeURIComponent(id)}`;

  /** Posts the page's form as a browser does: multipart, the hidden fields first, then the fields given, then the files. */
  async function postForm(id: string, page: string, fields: [string, string][], files: Upload[] = []) {
    const form = new FormData();
    form.append('_csrf', csrfOf(page));
    form.append('_state', stateOf(page));
    for (const [k, v] of fields) form.append(k, v);
    for (const f of files) form.append(f.field, new Blob([f.bytes], { type: f.type }), f.name);
    const res = await undiciRequest(new URL(path(id), s.t.baseUrl), { method: 'POST', body: form, headers: { cookie: `ow_phone=${s.phone.cookie('ow_phone')}` } });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  async function openFlow(screen = 'CLAIM'): Promise<{ id: string; token: string; page: string }> {
    const token = `CLAIM-${++n}`;
    const id = await sendFlowMessage(s, { to: WA, token, text: 'Your claim', cta: 'Claim', screen, data: { from: 'test' } });
    const res = await s.phone.get(path(id));
    expect(res.status).toBe(200);
    return { id, token, page: res.text as string };
  }

  /** GET /{media_id} with the number's key, then its URL: the bytes. */
  async function downloadMedia(id: string): Promise<{ info: any; bytes: Buffer }> {
    const info = await s.t.get(`/${id}`, { headers: channelKey(s.p.channel_api_key) });
    expect(info.status, info.text).toBe(200);
    const res = await undiciRequest(info.body.url, { headers: channelKey(s.p.channel_api_key) });
    expect(res.statusCode).toBe(200);
    return { info: info.body, bytes: Buffer.from(await res.body.arrayBuffer()) };
  }

  beforeAll(async () => {
    s = await startFlowPhone(kind, { flow: FLOW, name: 'claims', categories: ['OTHER'], wa: WA, firstWords: 'I want to claim', handler: (req) => handler(req) });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('the screen is a multipart form with a real file input, the picker’s types and limits said', async () => {
    const { page } = await openFlow();
    expect(page).toContain('enctype="multipart/form-data"');
    const input = /<input type="file"[^>]*>/.exec(page)![0];
    expect(input).toContain('name="f.photos"');
    expect(input).toContain('accept="image/jpeg,');
    expect(input).toContain(' multiple');
    expect(page).toContain('1 to 2 photos, each at most 64 KB.');
  });

  it('limits refused with a clear message on the page: too large, wrong type, too many; nothing sent', async () => {
    const { id, page } = await openFlow();
    const before = inboundMessages(s.receiver).length;
    const big = await postForm(id, page, [['f.name', 'Jane'], ['_action', actionOf(page, 'Next')]], [{ field: 'f.photos', name: 'big.jpg', type: 'image/jpeg', bytes: Buffer.alloc(65 * 1024, 1) }]);
    expect(big.status).toBe(400);
    expect(pageError(big.text)).toBe('“Photos of the damage” takes files of at most 64 KB (max-file-size-kb): big.jpg is larger, and was not attached.');
    expect(keptIds(big.text, 'photos')).toEqual([]);

    const text = await postForm(id, page, [['f.name', 'Jane']], [{ field: 'f.photos', name: 'notes.txt', type: 'text/plain', bytes: Buffer.from('hello') }]);
    expect(text.status).toBe(400);
    expect(pageError(text.text)).toBe('“Photos of the damage” takes photos (JPEG, PNG, WebP, HEIC, GIF, AVIF or TIFF images): notes.txt is text/plain, and was not attached.');

    const three = await postForm(id, page, [['f.name', 'Jane']], [
      { field: 'f.photos', name: 'a.jpg', type: 'image/jpeg', bytes: JPEG },
      { field: 'f.photos', name: 'b.jpg', type: 'image/jpeg', bytes: JPEG2 },
      { field: 'f.photos', name: 'c.jpg', type: 'image/jpeg', bytes: JPEG2 },
    ]);
    expect(three.status).toBe(400);
    expect(pageError(three.text)).toBe('“Photos of the damage” takes at most 2 photos: c.jpg was not attached.');
    // The two that fit stay attached, ticked, and what was typed stays.
    expect(keptIds(three.text, 'photos')).toHaveLength(2);
    expect(three.text).toContain('value="Jane"');

    // No photo at all: the Footer is stopped by min-uploaded-photos.
    const none = await postForm(id, page, [['f.name', 'Jane'], ['_action', actionOf(page, 'Next')]]);
    expect(none.status).toBe(400);
    expect(none.text).toContain('“Photos of the damage” needs at least 1 photo (0 attached).');
    await new Promise((r) => setTimeout(r, 200));
    expect(inboundMessages(s.receiver).length).toBe(before);
  });

  it('a photo and a document picked, completed: the nfm_reply’s response_json carries them as Meta documents it, and GET /{id} gives their bytes', async () => {
    const { id, token, page } = await openFlow();
    // First post: the photo is attached, the name missing stops the Footer; the photo stays attached.
    const first = await postForm(id, page, [['_action', actionOf(page, 'Next')]], [{ field: 'f.photos', name: 'IMG_0001.jpg', type: 'image/jpeg', bytes: JPEG }]);
    expect(first.status).toBe(400);
    const [photoId] = keptIds(first.text, 'photos');
    expect(photoId).toMatch(/^\d+$/);
    expect(first.text).toContain('IMG_0001.jpg');
    // Kept (ticked), the name given: on to the documents.
    const docs = await postForm(id, first.text, [['f.name', 'Jane'], ['f.photos.keep', photoId!], ['_action', actionOf(first.text, 'Next')]]);
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('name="f.receipt"');
    expect(docs.text).toContain('accept="application/pdf"');
    // A document of a type the picker does not allow is refused; the PDF is taken and the flow completes.
    const wrong = await postForm(id, docs.text, [], [{ field: 'f.receipt', name: 'receipt.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: Buffer.from('PK..') }]);
    expect(wrong.status).toBe(400);
    expect(pageError(wrong.text)).toContain('receipt.docx is application/vnd.openxmlformats-officedocument.wordprocessingml.document, and was not attached.');
    const before = inboundMessages(s.receiver).length;
    const sent = await postForm(id, docs.text, [['_action', actionOf(docs.text, 'Send')]], [{ field: 'f.receipt', name: 'receipt.pdf', type: 'application/pdf', bytes: PDF }]);
    expect(sent.status, sent.text.slice(0, 500)).toBe(303);
    const reply = await waitForInbound(s.receiver, before + 1);
    expect(reply.interactive.type).toBe('nfm_reply');
    expect(reply.context.id).toBe(id);
    const rj = JSON.parse(reply.interactive.nfm_reply.response_json);
    expect(Object.keys(rj)).toEqual(['flow_token', 'name', 'photos', 'receipt']);
    expect(rj.flow_token).toBe(token);
    expect(rj.name).toBe('Jane');
    const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('base64');
    expect(rj.photos).toEqual([{ file_name: 'IMG_0001.jpg', mime_type: 'image/jpeg', sha256: sha(JPEG), id: photoId }]);
    expect(rj.receipt).toHaveLength(1);
    expect(rj.receipt[0]).toEqual({ file_name: 'receipt.pdf', mime_type: 'application/pdf', sha256: sha(PDF), id: expect.stringMatching(/^\d+$/) });
    const photo = await downloadMedia(photoId!);
    expect(photo.bytes.equals(JPEG)).toBe(true);
    expect(photo.info.mime_type).toBe('image/jpeg');
    const pdf = await downloadMedia(rj.receipt[0].id);
    expect(pdf.bytes.equals(PDF)).toBe(true);
  });

  it('complete carries at most 10 files, as Meta allows in a response message (data_exchange takes up to 30)', async () => {
    const { id, page } = await openFlow('MANY');
    const files = Array.from({ length: 11 }, (_, i) => ({ field: 'f.many', name: `p${i}.jpg`, type: 'image/jpeg', bytes: JPEG2 }));
    const before = inboundMessages(s.receiver).length;
    const over = await postForm(id, page, [['_action', actionOf(page, 'Send')]], files);
    expect(over.status).toBe(400);
    expect(pageError(over.text)).toMatch(/^WhatsApp attaches at most 10 files, 100 MB in all, to a flow's response: this one has 11 \(\d+(\.\d)? KB\)\. Untick some\.$/);
    const ids = keptIds(over.text, 'many');
    expect(ids).toHaveLength(11);
    const sent = await postForm(id, over.text, [...ids.slice(1).map((k): [string, string] => ['f.many.keep', k]), ['_action', actionOf(over.text, 'Send')]]);
    expect(sent.status).toBe(303);
    const reply = await waitForInbound(s.receiver, before + 1);
    expect(JSON.parse(reply.interactive.nfm_reply.response_json).many.map((f: { id: string }) => f.id)).toEqual(ids.slice(1));
  });

  it('unticking an attached file drops it', async () => {
    const { id, page } = await openFlow();
    const up = await postForm(id, page, [['f.name', 'Jane']], [{ field: 'f.photos', name: 'x.jpg', type: 'image/png', bytes: JPEG2 }, { field: 'f.photos', name: 'y.jpg', type: 'image/jpeg', bytes: JPEG }, { field: 'f.photos', name: 'z.jpg', type: 'image/jpeg', bytes: JPEG }]);
    const ids = keptIds(up.text, 'photos');
    expect(ids).toHaveLength(2);
    // Untick the first: one left (the tap on Next stopped by the name left empty shows the screen as posted).
    const after = await postForm(id, up.text, [['f.name', ''], ['f.photos.keep', ids[1]!], ['_action', actionOf(up.text, 'Next')]], []);
    expect(after.status).toBe(400);
    expect(keptIds(after.text, 'photos')).toEqual([ids[1]]);
  });

  it('data_exchange with a picker: the endpoint gets the files as WhatsApp sends them, and cdn_url gives the encrypted file Meta’s steps decrypt', async () => {
    const { id, token, page } = await openFlow();
    handler = (req) => (req.action === 'data_exchange' ? { json: { screen: 'CLAIM', data: {} } } : { status: 400 });
    const before = s.endpoint.requests.length;
    const res = await postForm(id, page, [['f.name', 'Jane'], ['_action', actionOf(page, 'Check my photos')]], [{ field: 'f.photos', name: 'IMG_0002.jpg', type: 'image/jpeg', bytes: JPEG }]);
    expect(res.status, res.text.slice(0, 400)).toBe(200);
    expect(s.endpoint.requests.length).toBe(before + 1);
    const req = s.endpoint.requests.at(-1)!.decrypted!;
    expect(req.action).toBe('data_exchange');
    expect(req.screen).toBe('CLAIM');
    expect(req.flow_token).toBe(token);
    expect(req.data!.step).toBe('check');
    const files = req.data!.photos as any[];
    expect(files).toHaveLength(1);
    const f = files[0];
    expect(Object.keys(f).sort()).toEqual(['cdn_url', 'encryption_metadata', 'file_name', 'media_id']);
    expect(f.file_name).toBe('IMG_0002.jpg');
    expect(Object.keys(f.encryption_metadata).sort()).toEqual(['encrypted_hash', 'encryption_key', 'hmac_key', 'iv', 'plaintext_hash']);

    // Meta's steps: download cdn_file (no API key), SHA256(cdn_file) == encrypted_hash, the HMAC-SHA256 of
    // iv + ciphertext under hmac_key begins with the last 10 bytes, AES-256-CBC (PKCS7) decrypts, SHA256(media) == plaintext_hash.
    const cdn = await undiciRequest(f.cdn_url);
    expect(cdn.statusCode).toBe(200);
    const cdnFile = Buffer.from(await cdn.body.arrayBuffer());
    const m = f.encryption_metadata;
    expect(crypto.createHash('sha256').update(cdnFile).digest('base64')).toBe(m.encrypted_hash);
    const ciphertext = cdnFile.subarray(0, -10);
    const hmac10 = cdnFile.subarray(-10);
    const iv = Buffer.from(m.iv, 'base64');
    const mac = crypto.createHmac('sha256', Buffer.from(m.hmac_key, 'base64')).update(iv).update(ciphertext).digest().subarray(0, 10);
    expect(mac.equals(hmac10)).toBe(true);
    const decipher = crypto.createDecipheriv('aes-256-cbc', Buffer.from(m.encryption_key, 'base64'), iv);
    const media = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    expect(media.equals(JPEG)).toBe(true);
    expect(crypto.createHash('sha256').update(media).digest('base64')).toBe(m.plaintext_hash);
    // The same id is the number's media.
    expect((await downloadMedia(f.media_id)).bytes.equals(JPEG)).toBe(true);
    // A cdn_url with another signature is refused.
    const forged = new URL(f.cdn_url);
    forged.searchParams.set('hash', 'x'.repeat(32));
    const refused = await undiciRequest(forged);
    expect(refused.statusCode).toBe(404);
    await refused.body.text();
    // The panel shows the request with the files.
    expect(res.text).toContain('&quot;media_id&quot;');
  });

  it('a stale form without a CSRF token stores no file', async () => {
    const { id, page } = await openFlow();
    const form = new FormData();
    form.append('_csrf', 'nope');
    form.append('_state', stateOf(page));
    form.append('f.photos', new Blob([JPEG], { type: 'image/jpeg' }), 'stale-form.jpg');
    const res = await undiciRequest(new URL(path(id), s.t.baseUrl), { method: 'POST', body: form, headers: { cookie: `ow_phone=${s.phone.cookie('ow_phone')}` } });
    expect(res.statusCode).toBe(403);
    await res.body.text();
    const rows = await s.t.deps.db.kysely.selectFrom('media').select('filename').where('filename', '=', 'stale-form.jpg').execute();
    expect(rows).toEqual([]);
  });
});
