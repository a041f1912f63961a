// OPENWABA_MEDIA_URL_BASE: where the `url` of GET /{media_id} points. By default openwaba's public
// URL (a client downloads it as it is); set to https://lookaside.fbsbx.com it answers as 360dialog
// does (reference §4.4: "url points to lookaside.fbsbx.com"), for clients that swap that origin for
// their own base URL — by string replacement as 360dialog's docs show, or by cutting the prefix off
// and appending the rest to their base URL, as WABA360Dialog.NET's GetMediaAsync does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as undiciRequest } from 'undici';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { uploadSample } from './media-fixtures.ts';

const LOOKASIDE = 'https://lookaside.fbsbx.com';

describeEachDb('OPENWABA_MEDIA_URL_BASE', (kind) => {
  it('unset: the url is at the public URL the server listens on (port 0 resolved)', async () => {
    const plain = await startTestApp(kind);
    try {
      const k = (await plain.tenant()).channel_api_key;
      const { id } = await uploadSample(plain, k, 'photo.jpg');
      const info = await plain.get(`/${id}`, { headers: { 'D360-API-KEY': k } });
      expect(String(info.body.url).startsWith(`${plain.baseUrl}/whatsapp_business/attachments/?mid=${id}&`)).toBe(true);
    } finally {
      await plain.close();
    }
  });

  let t: TestApp;
  let key: string;

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_MEDIA_URL_BASE: `${LOOKASIDE}/` } });
    key = (await t.tenant()).channel_api_key;
  });
  afterAll(async () => {
    await t?.close();
  });

  const download = (url: string) => undiciRequest(url, { headers: { 'D360-API-KEY': key } });

  it("GET /{media_id} answers lookaside's origin with openwaba's download path; swapping the origin back downloads the bytes", async () => {
    const { id, sample } = await uploadSample(t, key, 'photo.jpg');
    const info = await t.get(`/${id}`, { headers: { 'D360-API-KEY': key } });
    expect(info.status).toBe(200);
    const url = info.body.url as string;
    expect(url.startsWith(`${LOOKASIDE}/whatsapp_business/attachments/?mid=${id}&`)).toBe(true);
    // As 360dialog's docs show: replace Meta's CDN origin with the API's base URL.
    const replaced = await download(url.replace(LOOKASIDE, t.baseUrl));
    expect(replaced.statusCode).toBe(200);
    expect(Buffer.from(await replaced.body.arrayBuffer()).equals(sample.data)).toBe(true);
    // WABA360Dialog.NET: the prefix "https://lookaside.fbsbx.com/" cut off, the rest appended to BASEURL.
    const cut = await download(`${t.baseUrl}/${url.slice(`${LOOKASIDE}/`.length)}`);
    expect(cut.statusCode).toBe(200);
    expect(Buffer.from(await cut.body.arrayBuffer()).equals(sample.data)).toBe(true);
  });
});

describe('OPENWABA_MEDIA_URL_BASE configuration', () => {
  it('is unset by default (the public URL is used, read when a URL is made) and takes an absolute http(s) base URL only', () => {
    const base = { OPENWABA_PUBLIC_URL: 'https://waba.example.com/openwaba/' };
    expect(loadConfig(base).mediaUrlBase).toBeUndefined();
    expect(loadConfig({ ...base, OPENWABA_MEDIA_URL_BASE: 'https://lookaside.fbsbx.com' }).mediaUrlBase).toBe('https://lookaside.fbsbx.com');
    for (const bad of ['lookaside.fbsbx.com', 'ftp://lookaside.fbsbx.com', 'https://lookaside.fbsbx.com/?x=1', 'https://user:pw@lookaside.fbsbx.com']) {
      expect(() => loadConfig({ ...base, OPENWABA_MEDIA_URL_BASE: bad }), bad).toThrow(ConfigError);
    }
  });
});
