// A download URL of Meta's media is bound to the number that got it (openwaba_sig): another
// tenant's key cannot fetch it with its own token. Downloads are attachments, never sniffed or
// rendered; HEAD asks for the headers only; Meta refusing openwaba's token is a 502.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, graphErrorBody, type GraphRequest } from '../helpers/fake-graph.ts';
import { bytes, download } from '../messaging/media-fixtures.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { signedDownloadPath } from '../../src/network/meta/media-proxy.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const TOKEN = 'EAAGmediaBindingToken' + 'R'.repeat(50);
const MID = '1037543291549999';
const CDN = `/whatsapp_business/attachments/?mid=${MID}&ext=1700000300&hash=ATuHkd3pQx_Zq9`;
const isCdn = (r: GraphRequest) => r.path.startsWith('/whatsapp_business/attachments/');

describeEachDb('Meta media downloads: bound, safe, light', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: { OPENWABA_SECRET_KEY: 'b'.repeat(64), OPENWABA_META_GRAPH_URL: graph.url, OPENWABA_META_MEDIA_URL: graph.url } });
    a = await t.tenant();
    b = await t.tenant();
    // One system-user token for both tenants' numbers, as operators often do.
    await attachMetaChannel(t.deps, a.channel_id, { phoneNumberId: '106540352500001', wabaId: '102290129340398', accessToken: TOKEN });
    await attachMetaChannel(t.deps, b.channel_id, { phoneNumberId: '106540352500002', wabaId: '102290129340398', accessToken: TOKEN });
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });
  beforeEach(() => graph.reset());

  it("another tenant's key, an unsigned URL or a tampered one: 404, nothing asked of Meta", async () => {
    const ofA = signedDownloadPath(t.deps, a.channel_id, CDN);
    for (const [path, apiKey] of [
      [ofA, b.channel_api_key],
      [CDN, a.channel_api_key],
      [ofA.replace('hash=ATuHkd3pQx_Zq9', 'hash=other'), a.channel_api_key],
      [`${ofA}&x=1`, a.channel_api_key],
    ] as const) {
      const res = await download(t, path, apiKey);
      expect(res.status, path).toBe(404);
    }
    expect(graph.requests).toEqual([]);
    // Its own key: the file.
    graph.on((req) => (isCdn(req) ? { status: 200, body: bytes('\xff\xd8\xff\xe0', 100), headers: { 'content-type': 'image/jpeg' } } : undefined));
    expect((await download(t, ofA, a.channel_api_key)).status).toBe(200);
    expect(graph.requests.map((r) => r.path)).toEqual([CDN]);
  });

  it('a file is an attachment with nosniff, whatever the CDN says; HEAD gives the headers only', async () => {
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    graph.on((req) => (isCdn(req) ? { status: 200, body: html, headers: { 'content-type': 'text/html', 'content-disposition': 'inline; filename="page.html"' } } : undefined));
    const path = signedDownloadPath(t.deps, a.channel_id, CDN);
    const res = await download(t, path, a.channel_api_key);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="page.html"');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const head = await t.request('HEAD', path, { headers: { 'd360-api-key': a.channel_api_key } });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    // The file's length as Meta gave it, not the 0 of an empty answer.
    expect(head.headers['content-length']).toBe(String(html.length));
    expect(head.headers['content-disposition']).toBe('attachment; filename="page.html"');
  });

  it("On-Premise: a voice note (audio/ogg; codecs=opus) gets an .ogg name; Meta's 400 with code 190 is a 502", async () => {
    await t.deps.db.kysely.updateTable('channels').set({ hosting_type: 'onpremise' }).where('id', '=', b.channel_id).execute();
    graph.on((req) => (isCdn(req) ? { status: 200, body: bytes('OggS', 500), headers: { 'content-type': 'audio/ogg' } } : undefined));
    graph.respond({ status: 200, json: { url: `https://lookaside.fbsbx.com${CDN}`, mime_type: 'audio/ogg; codecs=opus', sha256: 'x', file_size: 504, id: MID, messaging_product: 'whatsapp' } });
    const voice = await download(t, `/v1/media/${MID}`, b.channel_api_key);
    expect(voice.status).toBe(200);
    expect(voice.headers['content-disposition']).toBe(`attachment; filename="${MID}.ogg"`);
    graph.respond({ status: 400, json: graphErrorBody(190, 'Error validating access token: Session has expired', { subcode: 463 }) });
    const expired = await t.get(`/${MID}`, { headers: { 'd360-api-key': a.channel_api_key } });
    expect(expired.status).toBe(502);
    expect(expired.body.error.code).toBe(190);
  });
});
