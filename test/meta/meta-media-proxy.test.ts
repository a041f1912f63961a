// Media of a number on Meta's network: ids Meta issued are described, downloaded and deleted at
// Meta (a fake Graph API here, which also stands in for Meta's media CDN), with the CDN's origin
// in the media URL swapped for openwaba's, as 360dialog does; our own uploads stay local, and a
// sandbox number is unchanged.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { request } from 'undici';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, graphErrorBody, type GraphRequest } from '../helpers/fake-graph.ts';
import { bytes, download, sha256, uploadCloud } from '../messaging/media-fixtures.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { signedDownloadPath } from '../../src/network/meta/media-proxy.ts';

const KEY_HEX = 'a'.repeat(64);
const TOKEN = 'EAAGmediaProxyToken' + 'Q'.repeat(60);
const VERSION = 'v22.0';
const MID = '1037543291543636';
const CDN_QUERY = `mid=${MID}&ext=1700000300&hash=ATuHkd3pQx_Zq9`;

let pnidSeq = 0;
const nextPnid = () => String(106540352300000 + ++pnidSeq);

/** Meta's answer to GET /{media_id}. */
const mediaObject = (over: Record<string, unknown> = {}) => ({
  url: `https://lookaside.fbsbx.com/whatsapp_business/attachments/?${CDN_QUERY}`,
  mime_type: 'image/jpeg',
  sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  file_size: 20000,
  id: MID,
  messaging_product: 'whatsapp',
  ...over,
});

const isCdn = (r: GraphRequest) => r.path.startsWith('/whatsapp_business/attachments/');

describeEachDb('media of a Meta number, through Meta', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let channelId: string;
  let pnid: string;
  let key: Record<string, string>;
  let apiKey: string;
  /** Every answer text, to look for the token in. */
  const seen: string[] = [];
  const keep = <T extends { text?: string; body?: unknown }>(r: T): T => {
    seen.push(r.text ?? (Buffer.isBuffer(r.body) ? '' : JSON.stringify(r.body)));
    return r;
  };

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, {
      env: { OPENWABA_SECRET_KEY: KEY_HEX, OPENWABA_META_GRAPH_URL: graph.url, OPENWABA_META_GRAPH_VERSION: VERSION, OPENWABA_META_MEDIA_URL: graph.url, OPENWABA_META_TIMEOUT: '600ms' },
    });
    const p = await t.tenant();
    pnid = nextPnid();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: pnid, wabaId: '102290129340398', accessToken: TOKEN });
    channelId = p.channel_id;
    apiKey = p.channel_api_key;
    key = { 'd360-api-key': apiKey };
  });
  afterAll(async () => {
    // The token is in no answer and no log line, failures included.
    expect(seen.join('\n')).not.toContain(TOKEN);
    expect(t.logs.join('\n')).not.toContain(TOKEN);
    await t?.close();
    await graph?.close();
  });
  beforeEach(() => graph.reset());
  /** The download path GET /{media_id} hands this channel for Meta's CDN URL (bound to the channel by openwaba_sig). */
  const signed = (pathAndQuery = `/whatsapp_business/attachments/?${CDN_QUERY}`, channel = channelId) => signedDownloadPath(t.deps, channel, pathAndQuery);

  it("GET /{media_id}: Meta's object for the number, its CDN origin swapped for the public URL (path and query kept)", async () => {
    graph.respond({ status: 200, json: mediaObject({ file_size: '20000' }) });
    const res = keep(await t.get(`/${MID}`, { headers: key }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      messaging_product: 'whatsapp',
      url: `${t.baseUrl}${signed()}`,
      mime_type: 'image/jpeg',
      sha256: mediaObject().sha256,
      file_size: 20000,
      id: MID,
    });
    expect(graph.requests).toHaveLength(1);
    const req = graph.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe(`/${VERSION}/${MID}?phone_number_id=${pnid}`);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('the URL downloads the file from Meta\'s CDN with the bearer token; type, length and name passed on', async () => {
    const data = bytes('\xff\xd8\xff\xe0', 20_000);
    graph.respond(
      { status: 200, json: mediaObject() },
      { status: 200, body: data, headers: { 'content-type': 'image/jpeg', 'content-disposition': 'attachment; filename="photo.jpg"' } },
    );
    const info = keep(await t.get(`/${MID}`, { headers: key }));
    const file = await download(t, info.body.url, apiKey);
    expect(file.status).toBe(200);
    expect(file.body.equals(data)).toBe(true);
    expect(file.headers['content-type']).toBe('image/jpeg');
    expect(file.headers['content-length']).toBe(String(data.length));
    expect(file.headers['content-disposition']).toBe('attachment; filename="photo.jpg"');
    expect(file.headers['cache-control']).toBe('private, no-store');
    const cdn = graph.requests[1]!;
    expect(cdn.method).toBe('GET');
    expect(cdn.path).toBe(`/whatsapp_business/attachments/?${CDN_QUERY}`);
    expect(cdn.headers.authorization).toBe(`Bearer ${TOKEN}`);

    // Without the channel's key: our 401, nothing asked of Meta.
    graph.reset();
    const anon = await download(t, info.body.url);
    expect(anon.status).toBe(401);
    expect(graph.requests).toHaveLength(0);
  });

  it('a download of a few MB is streamed: the client has the first bytes before Meta has sent the rest', async () => {
    const data = bytes('%PDF-1.7\n', 4 * 1024 * 1024);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished = false;
    graph.on((req) =>
      isCdn(req)
        ? {
            write: (res) => {
              res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(data.length) });
              res.write(data.subarray(0, 256 * 1024));
              void gate.then(() => {
                res.end(data.subarray(256 * 1024));
                finished = true;
              });
            },
          }
        : undefined,
    );
    const res = await request(`${t.baseUrl}${signed()}`, { headers: key });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(data.length));
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      got += (chunk as Buffer).length;
      if (got >= 64 * 1024 && !finished) {
        // Meta has not sent the rest yet and the client already reads: nothing waits for the whole file.
        release();
      }
    }
    expect(finished).toBe(true);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
  });

  it('DELETE /{media_id} deletes at Meta', async () => {
    graph.respond({ status: 200, json: { success: true } });
    const res = keep(await t.delete(`/${MID}`, { headers: key }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(graph.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([['DELETE', `/${VERSION}/${MID}?phone_number_id=${pnid}`, `Bearer ${TOKEN}`]]);
  });

  it('On-Premise GET /v1/media/{id} of Meta\'s media: the URL from Meta, then the bytes from its CDN; DELETE /v1/media/{id} at Meta', async () => {
    const data = bytes('OggS', 30_000);
    graph.respond({ status: 200, json: mediaObject({ mime_type: 'audio/ogg', file_size: data.length }) }, { status: 200, body: data, headers: { 'content-type': 'audio/ogg' } });
    const res = await download(t, `/v1/media/${MID}`, apiKey);
    expect(res.status).toBe(200);
    expect(res.body.equals(data)).toBe(true);
    expect(res.headers['content-type']).toBe('audio/ogg');
    // The CDN named no file: On-Premise clients get one from the id and type.
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${MID}.ogg"`);
    expect(graph.requests.map((r) => r.path)).toEqual([`/${VERSION}/${MID}?phone_number_id=${pnid}`, `/whatsapp_business/attachments/?${CDN_QUERY}`]);
    expect(graph.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);

    graph.reset();
    graph.respond({ status: 200, json: { success: true } });
    const del = keep(await t.delete(`/v1/media/${MID}`, { headers: key }));
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ meta: { api_status: 'stable', version: expect.any(String) } });
    expect(graph.requests.map((r) => [r.method, r.path])).toEqual([['DELETE', `/${VERSION}/${MID}?phone_number_id=${pnid}`]]);
  });

  it('our own uploads on a Meta number stay local: described, downloaded and deleted here, nothing asked of Meta', async () => {
    const data = bytes('\x89PNG\r\n\x1a\n', 3_000);
    const up = await uploadCloud(t, apiKey, { messaging_product: 'whatsapp', type: 'image/png', file: { data, type: 'image/png', name: 'chart.png' } });
    expect(up.status).toBe(200);
    const info = keep(await t.get(`/${up.body.id}`, { headers: key }));
    expect(info.body).toMatchObject({ id: up.body.id, mime_type: 'image/png', file_size: data.length, url: expect.stringContaining(`mid=${up.body.id}`) });
    const file = await download(t, info.body.url, apiKey);
    expect(file.body.equals(data)).toBe(true);
    expect((await download(t, `/v1/media/${up.body.id}`, apiKey)).body.equals(data)).toBe(true);
    expect(keep(await t.delete(`/${up.body.id}`, { headers: key })).body).toEqual({ success: true });
    expect(graph.requests).toHaveLength(0);
  });

  it("Meta's errors pass through: Cloud as Meta gave them, On-Premise in its format; an id that is no Meta id is not asked for", async () => {
    const gone = graphErrorBody(100, 'Unsupported get request', { subcode: 33, details: "Object with ID '1037543291543636' does not exist" });
    graph.respond({ status: 400, json: gone });
    const get = keep(await t.get(`/${MID}`, { headers: key }));
    expect(get.status).toBe(400);
    expect(get.body).toEqual(gone);

    graph.respond({ status: 400, json: gone });
    const del = keep(await t.delete(`/${MID}`, { headers: key }));
    expect(del.status).toBe(400);
    expect(del.body).toEqual(gone);

    graph.respond({ status: 400, json: gone });
    const onprem = await download(t, `/v1/media/${MID}`, apiKey);
    expect(onprem.status).toBe(400);
    expect(onprem.json()).toEqual({ errors: [{ code: 100, title: 'Unsupported get request', details: "Object with ID '1037543291543636' does not exist", href: expect.any(String) }], meta: expect.any(Object) });

    graph.reset();
    const notAnId = keep(await t.get('/not-a-media-id', { headers: key }));
    expect(notAnId.status).toBe(400);
    expect(notAnId.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    expect(graph.requests).toHaveLength(0);
  });

  it("the CDN's failures in the Cloud format: a bare 404 → 404 (URL expired), 500 → 502, no answer → 504, a redirect not followed, a file over the cap refused", async () => {
    const url = signed();
    graph.respond({ status: 404, body: 'Not Found' });
    const expired = await download(t, url, apiKey);
    expect(expired.status).toBe(404);
    expect(expired.json().error).toMatchObject({ code: 100, error_data: { details: expect.stringMatching(/HTTP 404.*get a new one with GET \/\{media_id\}/) } });

    const metaErr = graphErrorBody(190, 'Invalid OAuth access token', { type: 'OAuthException' });
    graph.respond({ status: 401, json: metaErr });
    const unauthorized = await download(t, url, apiKey);
    // openwaba's token refused: 502 (a 401 would read as the client's own key), Meta's error kept.
    expect(unauthorized.status).toBe(502);
    expect(unauthorized.json()).toEqual(metaErr);

    graph.respond({ status: 500, body: '<html>oops</html>' });
    const broken = await download(t, url, apiKey);
    expect(broken.status).toBe(502);
    expect(broken.json().error).toMatchObject({ code: 131000, error_data: { details: expect.stringMatching(/HTTP 500/) } });

    graph.reset();
    graph.respond({ status: 302, headers: { location: `${graph.url}/elsewhere` } });
    const moved = await download(t, url, apiKey);
    expect(moved.status).toBe(502);
    expect(moved.json().error.error_data.details).toMatch(/redirect \(HTTP 302\), which is not followed/);
    await new Promise((r) => setTimeout(r, 100));
    expect(graph.requests).toHaveLength(1);

    graph.respond({ hang: true });
    const started = Date.now();
    const slow = await download(t, url, apiKey);
    expect(slow.status).toBe(504);
    expect(slow.json().error).toMatchObject({ code: 131000, error_data: { details: expect.stringMatching(/did not answer within 0\.6 s/) } });
    expect(Date.now() - started).toBeLessThan(5000);

    graph.respond({
      write: (res) => {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(200 * 1024 * 1024) });
        res.write(Buffer.alloc(1024));
      },
    });
    const huge = await download(t, url, apiKey);
    expect(huge.status).toBe(502);
    expect(huge.json().error.error_data.details).toMatch(/a file of 209715200 bytes/);
    seen.push(expired.body.toString(), broken.body.toString(), moved.body.toString(), slow.body.toString(), huge.body.toString());
  });

  it('GET /{media_id} when Meta does not answer → 504; a media object without a url → 502', async () => {
    graph.respond({ hang: true });
    const slow = keep(await t.get(`/${MID}`, { headers: key }));
    expect(slow.status).toBe(504);
    expect(slow.body.error.code).toBe(131000);
    graph.respond({ status: 200, json: { id: MID, mime_type: 'image/jpeg' } });
    const odd = keep(await t.get(`/${MID}`, { headers: key }));
    expect(odd.status).toBe(502);
    expect(odd.body.error.error_data.details).toMatch(/without url/);
  });

  it("a sandbox number is unchanged: unknown ids are our answers (Meta's 400 on Cloud, 404 On-Premise) and our download URL rules apply; nothing goes to Meta", async () => {
    const s = await t.tenant();
    const sKey = { 'd360-api-key': s.channel_api_key };
    const get = keep(await t.get(`/${MID}`, { headers: sKey }));
    expect(get.status).toBe(400);
    expect(get.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    expect(keep(await t.delete(`/${MID}`, { headers: sKey })).status).toBe(400);
    expect((await download(t, `/v1/media/${MID}`, s.channel_api_key)).status).toBe(404);
    const dl = await download(t, `/whatsapp_business/attachments/?${CDN_QUERY}`, s.channel_api_key);
    expect(dl.status).toBe(404);
    expect(dl.json().error.code).toBe(100);
    const noMid = await download(t, '/whatsapp_business/attachments/', s.channel_api_key);
    expect(noMid.status).toBe(400);
    expect(graph.requests).toHaveLength(0);
    // The Meta number is not the sandbox one's business.
    expect(channelId).not.toBe(s.channel_id);
  });
});
