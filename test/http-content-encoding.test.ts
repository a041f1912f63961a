// A compressed request body is refused with 415 in the format of the API it was for (app.ts's
// onRequest hook): before, gzip reached the JSON parser as garbage ("Malformed JSON") and a `br`
// body that happened to be plain JSON was accepted as if uncompressed.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, channelKey, startTestApp, type TestApp } from './helpers/app.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

let t: TestApp;
let p: BootstrapResult;
beforeAll(async () => {
  t = await startTestApp('sqlite');
  p = await t.tenant();
});
afterAll(() => t?.close());

const SEND = { messaging_product: 'whatsapp', to: '4915112345678', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } };

describe('Content-Encoding on a request body', () => {
  it("Cloud API: 415 in Meta's body, nothing sent (gzip, br, a list of codings)", async () => {
    const before = await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    for (const [coding, raw] of [
      ['gzip', gzipSync(JSON.stringify(SEND))],
      ['br', JSON.stringify(SEND)],
      ['gzip, identity', gzipSync(JSON.stringify(SEND))],
    ] as const) {
      const res = await t.request('POST', '/messages', { headers: { ...channelKey(p.channel_api_key), 'content-type': 'application/json', 'content-encoding': coding }, raw });
      expect(res.status, res.text).toBe(415);
      expect(res.body.error).toMatchObject({ code: expect.any(Number), fbtrace_id: expect.any(String) });
      expect(JSON.stringify(res.body)).toContain('Content-Encoding');
    }
    const after = await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("a Graph path: 415 in Graph's body", async () => {
    const res = await t.request('POST', `/v21.0/${p.channel_id}/messages`, { headers: { ...bearer(p.channel_api_key), 'content-type': 'application/json', 'content-encoding': 'gzip' }, raw: gzipSync(JSON.stringify(SEND)) });
    expect(res.status, res.text).toBe(415);
    expect(res.body.error).toMatchObject({ fbtrace_id: expect.any(String) });
  });

  it("On-Premise: 415 in its errors array; Partner API: 415 in its meta body", async () => {
    const v1 = await t.request('POST', '/v1/messages', { headers: { ...channelKey(p.channel_api_key), 'content-type': 'application/json', 'content-encoding': 'deflate' }, raw: '{}' });
    expect(v1.status, v1.text).toBe(415);
    expect(v1.body.errors?.[0]).toBeDefined();
    const partner = await t.request('POST', `/api/v2/partners/${p.partner_id}/clients`, { headers: { 'x-api-key': p.partner_api_key, 'content-type': 'application/json', 'content-encoding': 'br' }, raw: '{}' });
    expect(partner.status, partner.text).toBe(415);
    expect(partner.body.meta).toMatchObject({ success: false, http_code: 415 });
  });

  it('identity, an empty coding, or a coding on a request without a body pass', async () => {
    for (const coding of ['identity', 'Identity', '']) {
      const res = await t.request('POST', '/messages', { headers: { ...channelKey(p.channel_api_key), 'content-type': 'application/json', 'content-encoding': coding }, raw: JSON.stringify(SEND) });
      expect(res.status, `${coding}: ${res.text}`).toBe(200);
    }
    const get = await t.request('GET', '/v1/configs/webhook', { headers: { ...channelKey(p.channel_api_key), 'content-encoding': 'gzip' } });
    expect(get.status, get.text).toBe(200);
  });
});
