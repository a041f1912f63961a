// Small files of each media kind, and the requests that upload them.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import type { TestApp } from '../helpers/app.ts';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** `n` bytes that start with the given header (the rest is a repeating pattern). */
export function bytes(header: Buffer | string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 0xff;
  Buffer.from(header as string, typeof header === 'string' ? 'latin1' : undefined).copy(out, 0);
  return out;
}

/** A WebP header: simple (VP8) for static stickers, extended with the animation flag for animated ones. */
export function webp(n: number, animated: boolean): Buffer {
  const b = bytes(Buffer.alloc(0), n);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(n - 8, 4);
  b.write('WEBP', 8, 'latin1');
  b.write(animated ? 'VP8X' : 'VP8 ', 12, 'latin1');
  b.writeUInt32LE(10, 16);
  b[20] = animated ? 0x02 : 0x00;
  return b;
}

export const SAMPLES: { kind: string; mime: string; name: string; data: Buffer }[] = [
  { kind: 'image', mime: 'image/jpeg', name: 'photo.jpg', data: bytes('\xff\xd8\xff\xe0', 20_000) },
  { kind: 'image', mime: 'image/png', name: 'chart.png', data: bytes('\x89PNG\r\n\x1a\n', 3_000) },
  { kind: 'audio', mime: 'audio/ogg', name: 'voice.ogg', data: bytes('OggS', 5_000) },
  { kind: 'audio', mime: 'audio/mpeg', name: 'song.mp3', data: bytes('ID3', 5_000) },
  { kind: 'video', mime: 'video/mp4', name: 'clip.mp4', data: bytes('\0\0\0\x18ftypmp42', 40_000) },
  { kind: 'document', mime: 'application/pdf', name: 'invoice.pdf', data: bytes('%PDF-1.7\n', 8_000) },
  { kind: 'document', mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', name: 'letter.docx', data: bytes('PK\x03\x04', 6_000) },
  { kind: 'document', mime: 'text/plain', name: 'notes.txt', data: Buffer.from('plain text notes\n'.repeat(50)) },
  { kind: 'sticker', mime: 'image/webp', name: 'static.webp', data: webp(50_000, false) },
  { kind: 'sticker', mime: 'image/webp', name: 'animated.webp', data: webp(400_000, true) },
];

export interface UploadForm {
  file?: { data: Buffer; type?: string; name?: string };
  type?: string;
  messaging_product?: string;
  /** Field order: the file first (as in Meta's curl example) or last. */
  fileFirst?: boolean;
}

export function form(f: UploadForm): FormData {
  const fd = new FormData();
  const file = () => f.file && fd.append('file', new Blob([f.file.data], f.file.type ? { type: f.file.type } : {}), f.file.name ?? 'upload.bin');
  if (f.fileFirst) file();
  if (f.messaging_product !== undefined) fd.append('messaging_product', f.messaging_product);
  if (f.type !== undefined) fd.append('type', f.type);
  if (!f.fileFirst) file();
  return fd;
}

export async function uploadCloud(t: TestApp, key: string, f: UploadForm | FormData) {
  const res = await fetch(`${t.baseUrl}/media`, { method: 'POST', body: f instanceof FormData ? f : form(f), headers: { 'D360-API-KEY': key } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A sample uploaded as the sandbox user's phone uploads it (Cloud multipart, typed): its id, for a media message in. */
export async function uploadSample(t: TestApp, key: string, name: string): Promise<{ id: string; sample: (typeof SAMPLES)[number] }> {
  const s = SAMPLES.find((x) => x.name === name)!;
  const res = await uploadCloud(t, key, { messaging_product: 'whatsapp', type: s.mime, file: { data: s.data, type: s.mime, name } });
  if (res.status !== 200) throw new Error(`upload of ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, sample: s };
}

/** A sandbox user writes in (POST /sandbox/v1/inbound: what the user's phone does); the message's id. */
export async function userWrites(t: TestApp, key: string, json: Record<string, unknown>): Promise<string> {
  const res = await t.post('/sandbox/v1/inbound', { headers: { 'D360-API-KEY': key }, json });
  if (res.status !== 200) throw new Error(`sandbox inbound: ${res.status} ${res.text}`);
  return res.body.messages[0].id as string;
}

/** A raw-body upload, On-Premise style: POST /v1/media (or another such path, e.g. the profile photo). */
export async function uploadOnPrem(t: TestApp, key: string, data: Buffer | Readable, contentType?: string, path = '/v1/media') {
  const res = await request(`${t.baseUrl}${path}`, {
    method: 'POST',
    body: data,
    headers: { 'D360-API-KEY': key, ...(contentType ? { 'content-type': contentType } : {}) },
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

/** Downloads a URL (absolute, from GET /{media_id}, or a path) with a key; the body as bytes. */
export async function download(t: TestApp, url: string, key?: string) {
  const res = await request(new URL(url, t.baseUrl), { headers: key ? { 'D360-API-KEY': key } : {} });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body.toString()) };
}

/** Every file below a directory (none when it does not exist). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
}
