// Media that is not there, as Meta's Graph API and the On-Premise API answer it: Cloud GET and
// DELETE /{media_id} answer HTTP 400 with Graph's "Unsupported get|delete request. Object with ID …"
// (GraphMethodException, code 100, subcode 33); an unknown, deleted, expired or another number's
// id all answer alike, down to the byte but for the id and the trace id. The download URL keeps the
// CDN's 404; On-Premise /v1/media/{id} keeps its 404 with code 1006. /openapi.json documents them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type HttpResponse, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, download, uploadCloud, uploadOnPrem } from './media-fixtures.ts';

const DAY = 86_400_000;
const GRAPH = 'Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api';
const graphMessage = (method: 'get' | 'delete', id: string) =>
  `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. ${GRAPH}`;

/** Meta's exact body for a node that is not there. */
const graphBody = (method: 'get' | 'delete', id: string) => ({
  error: { message: graphMessage(method, id), type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: expect.stringMatching(/^A[\w-]{20}$/) },
});

/** An answer with the id and the trace id taken out: what must be the same for every kind of "not there". */
const shape = (res: HttpResponse, id: string) => ({
  status: res.status,
  type: res.headers['content-type'],
  body: res.text.replaceAll(id, '<id>').replace(/"fbtrace_id":"[^"]+"/, '"fbtrace_id":"<trace>"'),
});

describeEachDb('media that is not there (Meta and 360dialog answers)', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  const clock = new ManualClock(new Date('2026-05-04T08:00:00.000Z'));
  const keyA = () => ({ 'D360-API-KEY': a.channel_api_key });
  const keyB = () => ({ 'D360-API-KEY': b.channel_api_key });
  const png = SAMPLES.find((s) => s.name === 'chart.png')!;
  const upload = async (key: string) => {
    clock.advance(1000); // uploads are limited to 25 per second
    const up = await uploadCloud(t, key, { messaging_product: 'whatsapp', type: png.mime, file: { data: png.data, name: 'chart.png' } });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    return up.body.id as string;
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t.close());

  describe('Cloud GET and DELETE /{media_id}', () => {
    it("an unknown id: HTTP 400 and Graph's body exactly (GET: Unsupported get request, DELETE: Unsupported delete request)", async () => {
      const get = await t.get('/1234567890123456', { headers: keyA() });
      expect(get.status).toBe(400);
      expect(String(get.headers['content-type'])).toMatch(/^application\/json/);
      expect(get.body).toEqual(graphBody('get', '1234567890123456'));
      expect(Object.keys(get.body.error)).toEqual(['message', 'type', 'code', 'error_subcode', 'fbtrace_id']);

      const del = await t.delete('/1234567890123456', { headers: keyA() });
      expect(del.status).toBe(400);
      expect(del.body).toEqual(graphBody('delete', '1234567890123456'));
      // A fresh trace id each time, as Meta gives one per request.
      expect(get.body.error.fbtrace_id).not.toBe(del.body.error.fbtrace_id);
    });

    it('a malformed id answers the same (its text echoed, cut at 64 characters)', async () => {
      expect((await t.get('/not-a-media-id', { headers: keyA() })).body).toEqual(graphBody('get', 'not-a-media-id'));
      const long = 'x'.repeat(150);
      const res = await t.get(`/${long}`, { headers: keyA() });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(graphBody('get', 'x'.repeat(64)));
    });

    it('a deleted id: the same answer as an unknown one', async () => {
      const id = await upload(a.channel_api_key);
      expect((await t.delete(`/${id}`, { headers: keyA() })).status).toBe(200);
      const get = await t.get(`/${id}`, { headers: keyA() });
      expect(get.body).toEqual(graphBody('get', id));
      expect(shape(get, id)).toEqual(shape(await t.get('/1234567890123456', { headers: keyA() }), '1234567890123456'));
      const again = await t.delete(`/${id}`, { headers: keyA() });
      expect(again.status).toBe(400);
      expect(again.body).toEqual(graphBody('delete', id));
    });

    it('an expired id (30 days): the same answer as an unknown one', async () => {
      const id = await upload(a.channel_api_key);
      expect((await t.get(`/${id}`, { headers: keyA() })).status).toBe(200);
      clock.advance(30 * DAY + 1000);
      const get = await t.get(`/${id}`, { headers: keyA() });
      expect(get.status).toBe(400);
      expect(get.body).toEqual(graphBody('get', id));
      expect(shape(get, id)).toEqual(shape(await t.get('/1234567890123456', { headers: keyA() }), '1234567890123456'));
      expect((await t.delete(`/${id}`, { headers: keyA() })).body).toEqual(graphBody('delete', id));
    });

    it("another number's id looks exactly like an unknown one, for GET and DELETE, and stays its owner's", async () => {
      const id = await upload(a.channel_api_key);
      const unknown = String(BigInt(id) + 1n).padStart(id.length, '0');
      const theirs = await t.get(`/${id}`, { headers: keyB() });
      expect(theirs.body).toEqual(graphBody('get', id));
      expect(shape(theirs, id)).toEqual(shape(await t.get(`/${unknown}`, { headers: keyB() }), unknown));
      expect(theirs.headers['content-length']).toBe((await t.get(`/${unknown}`, { headers: keyB() })).headers['content-length']);

      const theirsDel = await t.delete(`/${id}`, { headers: keyB() });
      expect(shape(theirsDel, id)).toEqual(shape(await t.delete(`/${unknown}`, { headers: keyB() }), unknown));
      // Nothing happened to it: its owner still reads it.
      expect((await t.get(`/${id}`, { headers: keyA() })).status).toBe(200);
    });
  });

  describe('the download URL (openwaba stands in for Meta CDN)', () => {
    it("another number's key, or media deleted since: the CDN's 404 in the Cloud body, alike", async () => {
      const id = await upload(a.channel_api_key);
      const url = (await t.get(`/${id}`, { headers: keyA() })).body.url as string;
      const theirs = await download(t, url, b.channel_api_key);
      expect(theirs.status).toBe(404);
      expect(theirs.json().error).toMatchObject({ code: 100, error_subcode: 33, type: 'OAuthException', error_data: { details: expect.stringContaining(`Object with ID '${id}' does not exist`) } });
      expect((await download(t, url, a.channel_api_key)).status).toBe(200);
      expect((await t.delete(`/${id}`, { headers: keyA() })).status).toBe(200);
      const gone = await download(t, url, a.channel_api_key);
      expect(gone.status).toBe(404);
      expect(gone.json().error.error_data.details).toBe(theirs.json().error.error_data.details);
    });
  });

  describe('On-Premise /v1/media/{id}', () => {
    const onPrem404 = (id: string) => ({
      errors: [{ code: 1006, title: 'Resource not found', details: expect.stringContaining(`Object with ID '${id}' does not exist`), href: expect.stringMatching(/^https:\/\//) }],
      meta: { api_status: 'stable', version: expect.any(String) },
    });

    it('unknown, deleted, expired (14 days) and another number\'s id: 404, code 1006, all alike', async () => {
      clock.advance(1000);
      const up = await uploadOnPrem(t, a.channel_api_key, png.data, png.mime);
      expect(up.status).toBe(201);
      const id = up.body.media[0].id as string;
      const unknown = await download(t, '/v1/media/1234567890123456', a.channel_api_key);
      expect(unknown.status).toBe(404);
      expect(unknown.json()).toEqual(onPrem404('1234567890123456'));
      const sameAsUnknown = (res: { status: number; body: Buffer }, theId: string) =>
        expect({ status: res.status, body: res.body.toString().replaceAll(theId, '<id>') }).toEqual({ status: 404, body: unknown.body.toString().replaceAll('1234567890123456', '<id>') });

      const theirs = await download(t, `/v1/media/${id}`, b.channel_api_key);
      sameAsUnknown(theirs, id);
      const theirsDel = await t.delete(`/v1/media/${id}`, { headers: keyB() });
      expect(theirsDel.status).toBe(404);
      expect(theirsDel.body).toEqual(onPrem404(id));

      clock.advance(14 * DAY + 1000);
      sameAsUnknown(await download(t, `/v1/media/${id}`, a.channel_api_key), id);

      clock.advance(1000);
      const fresh = (await uploadOnPrem(t, a.channel_api_key, png.data, png.mime)).body.media[0].id as string;
      expect((await t.delete(`/v1/media/${fresh}`, { headers: keyA() })).status).toBe(200);
      sameAsUnknown(await download(t, `/v1/media/${fresh}`, a.channel_api_key), fresh);
      const again = await t.delete(`/v1/media/${fresh}`, { headers: keyA() });
      expect(again.status).toBe(404);
      expect(again.body).toEqual(onPrem404(fresh));
    });
  });

  describe('/openapi.json', () => {
    it('lists the 400 (Graph) and 403 (blocked) of GET /{media_id}, the 400 of DELETE, the 404s of the download URL and On-Premise', async () => {
      const doc = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, { description?: string; content?: Record<string, { schema: Record<string, any> }> }> }>> };
      const response = (path: string, method: string, status: number) => doc.paths[path]?.[method]?.responses[String(status)];
      const text = (r: unknown) => JSON.stringify(r);

      const get400 = response('/{media_id}', 'get', 400);
      expect(text(get400)).toContain('GraphMethodException');
      expect(text(get400)).toContain('Unsupported get request');
      expect(get400!.content!['application/json']!.schema.properties.error).toBeDefined();
      const get403 = response('/{media_id}', 'get', 403);
      expect(text(get403)).toContain('The endpoint is blocked');
      expect(get403!.content!['application/json']!.schema.properties.meta).toBeDefined();
      expect(response('/{media_id}', 'get', 401)).toBeDefined();
      expect(text(response('/{media_id}', 'delete', 400))).toContain('Unsupported delete request');
      expect(response('/{media_id}', 'delete', 403)).toBeUndefined();

      expect(text(response('/whatsapp_business/attachments/', 'get', 404))).toContain('error_subcode');
      for (const method of ['get', 'delete']) {
        const r = response('/v1/media/{media_id}', method, 404);
        expect(text(r)).toContain('1006');
        expect(r!.content!['application/json']!.schema.properties.errors).toBeDefined();
      }
    });
  });
});
