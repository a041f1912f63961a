// The Resumable Upload API of a number on Meta's network, with a Meta app id configured, goes to
// Meta's (a fake Graph API here): the session is opened at /{app-id}/uploads with the number's
// token, its state and chunks at /upload:{session} (the chunk's bytes passed through as they came);
// Meta's answers and errors come back. Without an app id: a clear 400 naming the setting.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, graphErrorBody, type GraphRequest } from '../helpers/fake-graph.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { ACCESS_TOKEN, META_ENV } from './meta-webhook-fixtures.ts';

const APP_ID = '1234567890123';
const PNID = '106540352299001';
const WABA = '102290129399001';
// A session id as Meta's look: base64 of the attachment's facts, and a signature in `sig`.
const META_SESSION = 'MTphdHRhY2htZW50OjNjNDMzYTc5LWUzZDMtNDdhMi05ZDVlLTI0MWQ1NDg3NTgzMj9maWxlX2xlbmd0aD0xMDI0JmZpbGVfdHlwZT1pbWFnZS9wbmc=';
const SIG = 'ARa0xT-2kqRfBj0sNfQ';

const parts = (r: GraphRequest) => {
  const u = new URL(r.path, 'http://x');
  return { method: r.method, path: u.pathname.replace(/^\/v\d+\.\d+/, ''), query: Object.fromEntries(u.searchParams) };
};

describeEachDb('Resumable Upload API of a Meta number, through Meta', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let key: Record<string, string>;
  let bare: MetaNumber;

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, {
      env: { ...META_ENV, OPENWABA_META_GRAPH_URL: graph.url, OPENWABA_META_APP_ID: APP_ID, OPENWABA_META_ES_CONFIG_ID: '9876543210123' },
    });
    const p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: PNID, wabaId: WABA, accessToken: ACCESS_TOKEN });
    key = { 'D360-API-KEY': p.channel_api_key };
    // An app without OPENWABA_META_APP_ID.
    bare = await startMetaNumber(kind, { phoneNumberId: '106540352299002', wabaId: '102290129399002' });
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
    await bare?.close();
  });
  beforeEach(() => graph.reset());

  it("POST /uploads opens the session at Meta's /{app-id}/uploads with the number's token and answers Meta's id", async () => {
    graph.respond({ status: 200, json: { id: `upload:${META_SESSION}?sig=${SIG}` } });
    const res = await t.post('/uploads', { headers: key, query: { file_name: 'header.png', file_length: '1024', file_type: 'image/png' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id: `upload:${META_SESSION}?sig=${SIG}` });
    expect(graph.requests).toHaveLength(1);
    expect(parts(graph.requests[0]!)).toEqual({ method: 'POST', path: `/${APP_ID}/uploads`, query: { file_name: 'header.png', file_length: '1024', file_type: 'image/png' } });
    expect(graph.requests[0]!.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    // Graph's path (any app id in it: the configured one is used) reaches the same route.
    graph.respond({ status: 200, json: { id: `upload:${META_SESSION}?sig=${SIG}` } });
    const viaGraph = await t.post('/v23.0/555000111/uploads', { headers: key, query: { file_length: '10', file_type: 'application/pdf' } });
    expect(viaGraph.status, viaGraph.text).toBe(200);
    expect(parts(graph.requests[1]!).path).toBe(`/${APP_ID}/uploads`);
  });

  it('GET and POST /upload:{session} go to Meta with sig and file_offset; the chunk\'s bytes arrive unchanged; Meta\'s handle comes back', async () => {
    graph.respond({ status: 200, json: { id: `upload:${META_SESSION}`, file_offset: 0 } });
    const state = await t.get(`/upload:${META_SESSION}?sig=${SIG}`, { headers: key });
    expect(state.status, state.text).toBe(200);
    expect(state.body).toEqual({ id: `upload:${META_SESSION}`, file_offset: 0 });
    expect(parts(graph.requests[0]!)).toEqual({ method: 'GET', path: `/upload:${META_SESSION}`, query: { sig: SIG } });
    expect(graph.requests[0]!.headers.authorization).toBe(`OAuth ${ACCESS_TOKEN}`);

    const bytes = randomBytes(600 * 1024);
    graph.respond({ status: 200, json: { h: '4::aW1hZ2UvcG5n:ARZ-handle' } });
    const done = await t.post(`/upload:${META_SESSION}?sig=${SIG}`, { headers: { ...key, file_offset: '0', 'content-type': 'image/png' }, raw: bytes });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toEqual({ h: '4::aW1hZ2UvcG5n:ARZ-handle' });
    const req = graph.requests[1]!;
    expect(parts(req)).toEqual({ method: 'POST', path: `/upload:${META_SESSION}`, query: { sig: SIG } });
    expect(req.headers.authorization).toBe(`OAuth ${ACCESS_TOKEN}`);
    expect(req.headers.file_offset).toBe('0');
    expect(req.headers['content-length']).toBe(String(bytes.length));
    expect(req.raw.equals(bytes)).toBe(true);
    // Graph's versioned path too.
    graph.respond({ status: 200, json: { id: `upload:${META_SESSION}`, file_offset: 512 } });
    const v = await t.get(`/v23.0/upload:${META_SESSION}?sig=${SIG}`, { headers: key });
    expect(v.status, v.text).toBe(200);
    expect(v.body.file_offset).toBe(512);
  });

  it("Meta's errors come back as Meta gave them; what is no session, offset or file type is refused before Meta is asked", async () => {
    const err = graphErrorBody(100, 'Invalid parameter', { details: 'file_offset does not match', subcode: 2207052 });
    graph.respond({ status: 400, json: err });
    const res = await t.post(`/upload:${META_SESSION}?sig=${SIG}`, { headers: { ...key, file_offset: '7' }, raw: Buffer.from('abc') });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, error_subcode: 2207052, fbtrace_id: err.error.fbtrace_id });
    expect(graph.requests).toHaveLength(1);

    const refused = [
      await t.post('/uploads', { headers: key, query: { file_length: '10', file_type: 'text/html' } }),
      await t.post(`/upload:${META_SESSION}?sig=${SIG}`, { headers: { ...key, file_offset: 'abc' }, raw: Buffer.from('abc') }),
      await t.get(`/upload:${META_SESSION}?sig=${encodeURIComponent('a b&c')}`, { headers: key }),
      await t.get(`/upload:abc%2F..%2Fme`, { headers: key }),
    ];
    for (const r of refused) {
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.code).toBe(100);
    }
    expect(graph.requests).toHaveLength(1);
  });

  it("a chunk is streamed to Meta as it arrives: Meta sees the first bytes before the client has sent the rest", async () => {
    // A Graph stand-in that notes when bytes arrive, and answers once the body is complete.
    let received = 0;
    let sawFirst!: () => void;
    const first = new Promise<void>((resolve) => (sawFirst = resolve));
    const server = http.createServer((req, res) => {
      req.on('data', (c: Buffer) => {
        received += c.length;
        sawFirst();
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ h: '4::streamed' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const app = await startTestApp(kind, {
      env: { ...META_ENV, OPENWABA_META_GRAPH_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, OPENWABA_META_APP_ID: APP_ID, OPENWABA_META_ES_CONFIG_ID: '9876543210123' },
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      const p = await app.tenant();
      await attachMetaChannel(app.deps, p.channel_id, { phoneNumberId: '106540352299003', wabaId: WABA, accessToken: ACCESS_TOKEN });
      async function* chunks() {
        yield Buffer.alloc(64 * 1024, 1);
        await gate;
        yield Buffer.alloc(64 * 1024, 2);
      }
      const pending = undiciRequest(`${app.baseUrl}/upload:${META_SESSION}?sig=${SIG}`, {
        method: 'POST',
        headers: { 'D360-API-KEY': p.channel_api_key, file_offset: '0', 'content-type': 'application/octet-stream' },
        body: Readable.from(chunks()),
      });
      // The client holds back its second half until Meta has some of the first: a proxy that
      // buffered the whole body would never pass anything on, and this would time out.
      const timedOut = await Promise.race([first.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5_000))]);
      expect(timedOut).toBe(false);
      expect(received).toBeGreaterThan(0);
      expect(received).toBeLessThanOrEqual(64 * 1024);
      release();
      const res = await pending;
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ h: '4::streamed' });
      expect(received).toBe(128 * 1024);
    } finally {
      release();
      await app.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('without OPENWABA_META_APP_ID: POST /uploads is a 400 that names the setting, and Meta is not asked', async () => {
    const res = await bare.t.post('/uploads', { headers: { 'D360-API-KEY': bare.p.channel_api_key }, query: { file_length: '10', file_type: 'image/png' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(100);
    expect(JSON.stringify(res.body)).toContain('OPENWABA_META_APP_ID');
    expect(bare.graph.requests.filter((r) => r.path.includes('uploads'))).toEqual([]);
  });
});
