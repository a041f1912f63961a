// Broken uploads: malformed multipart bodies are 400s (never 5xx), and a client that hangs up
// mid-upload leaves no file behind.
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { sleep, waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, filesUnder, uploadOnPrem } from './media-fixtures.ts';

const part = (name: string, value: string, extra = '') => `--zz\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}\r\n`;

describeEachDb('media: malformed and interrupted uploads', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const stored = () => filesUnder(path.join(t.dataDir, 'media'));

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
  });
  afterAll(async () => {
    await t.close();
  });

  const cases: [string, string, string, RegExp][] = [
    ['no boundary', 'multipart/form-data', 'abc', /^malformed multipart body: .*boundary/i],
    ['no parts', 'multipart/form-data; boundary=zz', 'garbage', /^malformed multipart body/],
    ['truncated file part', 'multipart/form-data; boundary=zz', part('messaging_product', 'whatsapp') + '--zz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nabcdef', /^malformed multipart body/],
    ['empty body', 'multipart/form-data; boundary=zz', '', /^messaging_product is required/],
    ['fields only', 'multipart/form-data; boundary=zz', part('messaging_product', 'whatsapp') + part('type', 'image/jpeg') + '--zz--\r\n', /^file is required/],
    ['a reserved field name', 'multipart/form-data; boundary=zz', part('__proto__', 'x') + '--zz--\r\n', /reserved name/],
    ['too many fields', 'multipart/form-data; boundary=zz', Array.from({ length: 20 }, (_, i) => part(`f${i}`, 'x')).join('') + '--zz--\r\n', /^too many form fields/],
  ];
  for (const [name, contentType, body, details] of cases) {
    it(`400 for ${name}`, async () => {
      const res = await request(`${t.baseUrl}/media`, { method: 'POST', body, headers: { ...key(), 'content-type': contentType } });
      const json = JSON.parse(await res.body.text());
      expect(res.statusCode).toBe(400);
      expect(json.error.code).toBe(100);
      expect(json.error.error_data.details).toMatch(details);
    });
  }

  for (const flavour of ['Cloud', 'On-Premise'] as const) {
    it(`${flavour}: a client that hangs up mid-upload leaves nothing behind`, async () => {
      const before = stored().length;
      const ac = new AbortController();
      let sent = 0;
      let sawPartial = false;
      const chunk = Buffer.alloc(64 * 1024, 7);
      const prefix = flavour === 'Cloud' ? Buffer.from(part('messaging_product', 'whatsapp') + '--zz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n') : Buffer.alloc(0);
      async function* body() {
        yield prefix;
        for (;;) {
          sent += chunk.length;
          yield chunk;
          if (sent === 1024 * 1024) {
            sawPartial = stored().some((f) => f.endsWith('.part'));
            setTimeout(() => ac.abort(), 50);
          }
          await sleep(2);
        }
      }
      const url = flavour === 'Cloud' ? '/media' : '/v1/media';
      const contentType = flavour === 'Cloud' ? 'multipart/form-data; boundary=zz' : 'application/pdf';
      await expect(request(`${t.baseUrl}${url}`, { method: 'POST', body: Readable.from(body()), signal: ac.signal, headers: { ...key(), 'content-type': contentType } })).rejects.toThrow();
      expect(sawPartial).toBe(true);
      // The server notices the hang-up and removes the partial file.
      await waitUntil('the partial upload to be removed', () => stored().length === before, { timeoutMs: 2_000 });
      expect(stored().length).toBe(before);
      expect((await uploadOnPrem(t, p.channel_api_key, SAMPLES[0]!.data, 'image/jpeg')).status).toBe(201);
    });
  }

  it('HEAD on a download answers the headers of the file', async () => {
    const id = (await uploadOnPrem(t, p.channel_api_key, SAMPLES[1]!.data, 'image/png')).body.media[0].id;
    const res = await request(`${t.baseUrl}/v1/media/${id}`, { method: 'HEAD', headers: key() });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-length']).toBe(String(SAMPLES[1]!.data.length));
  });
});
