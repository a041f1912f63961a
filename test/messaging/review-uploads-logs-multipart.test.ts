// Regressions of a security review of the upload, template sample and template form changes:
// - parallel POSTs into upload sessions created without file_length could each be given the
//   number's whole remaining room, and together keep more than MAX_KEPT_PER_CHANNEL;
// - a template sample URL (a keyless credential) and a flow preview link reached with a doubled
//   slash were written to the request log in clear;
// - a multipart template create could hold 30 fields of 512 KB in memory before being refused.
import http from 'node:http';
import { FormData, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { MAX_FILE_LENGTH, MAX_KEPT_PER_CHANNEL } from '../../src/messaging/media/resumable.ts';
import { bytes } from './media-fixtures.ts';

const PNG = bytes(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 2048);

describeEachDb('review: uploads without file_length, secret paths in logs, multipart template bodies', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let waba: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    waba = (
      await t.deps.db.kysely
        .selectFrom('channels')
        .innerJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
        .select('waba_accounts.external_id')
        .where('channels.id', '=', a.channel_id)
        .executeTakeFirstOrThrow()
    ).external_id;
  });
  afterAll(() => t?.close());
  const tok = () => ({ access_token: a.channel_api_key });

  /** A POST of `body` to the session whose bytes (after the first 16) are held back until `release` resolves. */
  function heldPost(session: string, body: Buffer, release: Promise<void>): Promise<{ status: number; text: string }> {
    const u = new URL(`${t.baseUrl}/v17.0/${session}`);
    return new Promise((resolve, reject) => {
      const req = http.request(
        u,
        { method: 'POST', headers: { authorization: `OAuth ${a.channel_api_key}`, file_offset: '0', 'content-type': 'application/octet-stream', 'content-length': String(body.length) } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 16));
      void release.then(() => req.end(body.subarray(16)));
    });
  }

  it('a secret path is censored in the request log: a template sample URL, and a flow preview link with a doubled slash', async () => {
    const s = await t.post('/v17.0/1/uploads', { query: tok() });
    expect(s.status, s.text).toBe(200);
    const up = await t.post(`/v17.0/${s.body.id}`, { headers: { authorization: `OAuth ${a.channel_api_key}`, file_offset: '0', 'content-type': 'application/octet-stream' }, raw: PNG });
    expect(up.status, up.text).toBe(200);
    const created = await t.post(`/v17.0/${waba}/message_templates`, {
      query: tok(),
      json: { name: 'log_check', category: 'MARKETING', language: 'en_US', components: [{ type: 'HEADER', format: 'IMAGE', example: { header_handle: [up.body.h] } }, { type: 'BODY', text: 'Hello there, dear friends.' }] },
    });
    expect(created.status, created.text).toBe(200);
    const node = await t.get(`/v17.0/${created.body.id}`, { query: tok() });
    const url = node.body.components[0].example.header_handle[0] as string;
    expect(url).toContain('/template_samples/');
    const signature = url.split('/').at(-1)!;
    const session = url.split('/').at(-2)!;
    t.logs.length = 0;
    const got = await undiciRequest(url);
    await got.body.dump();
    expect(got.statusCode).toBe(200);

    const token = 'SECRETPREVIEWTOKEN1234567890abcdef';
    const raw = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(t.baseUrl);
        const r = http.request({ host: u.hostname, port: u.port, path, method: 'GET' }, (m) => {
          m.resume();
          m.on('end', () => resolve(m.statusCode!));
        });
        r.on('error', reject);
        r.end();
      });
    expect(await raw(`//flows/preview/${token}`)).toBe(await raw(`/flows/preview/${token}`));
    await new Promise((r) => setTimeout(r, 100));
    const logs = t.logs.join('');
    expect(logs).toContain('/template_samples/[redacted]');
    expect(logs).toContain('/flows/preview/[redacted]');
    expect(logs).not.toContain(signature);
    expect(logs).not.toContain(session);
    expect(logs).not.toContain(token);
  });

  it('a multipart template create whose fields together pass 1 MB is refused (413) as they arrive', async () => {
    const big = new FormData();
    for (let i = 0; i < 30; i++) big.append(`f${i}`, 'a'.repeat(500 * 1024));
    const res = await undiciRequest(`${t.baseUrl}/message_templates`, { method: 'POST', headers: channelKey(a.channel_api_key), body: big });
    const text = await res.body.text();
    expect(res.statusCode, text).toBe(413);
    expect(JSON.parse(text).error.message ?? JSON.parse(text).error.error_data?.details).toBeDefined();
    expect(text).toContain('at most 1048576 bytes together');
    // A body within the limits still reads (and is then judged by the template checks).
    const small = new FormData();
    small.append('name', 'form_made');
    small.append('category', 'UTILITY');
    small.append('language', 'en_US');
    small.append('components', JSON.stringify([{ type: 'BODY', text: 'Your order has shipped today, thank you.' }]));
    const ok = await undiciRequest(`${t.baseUrl}/message_templates`, { method: 'POST', headers: channelKey(a.channel_api_key), body: small });
    expect(ok.statusCode, await ok.body.text()).toBe(200);
  });

  it("parallel POSTs into sessions without file_length cannot together pass the number's cap", async () => {
    // A number of its own, nothing uploaded yet.
    a = await t.tenant();
    // Fill the number's cap to all but 3000 bytes with declared sessions (no bytes need be sent).
    let left = MAX_KEPT_PER_CHANNEL - 3000;
    while (left > 0) {
      const n = Math.min(MAX_FILE_LENGTH, left);
      const s = await t.post('/v17.0/1/uploads', { query: { ...tok(), file_length: String(n), file_type: 'image/png' } });
      expect(s.status, s.text).toBe(200);
      left -= n;
    }
    const sessions: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await t.post('/v17.0/1/uploads', { query: tok() });
      expect(s.status, s.text).toBe(200);
      sessions.push(s.body.id);
    }
    let go!: () => void;
    const release = new Promise<void>((r) => (go = r));
    const posts = sessions.map((s) => heldPost(s, PNG, release));
    await new Promise((r) => setTimeout(r, 500));
    go();
    const answers = await Promise.all(posts);
    // 3000 bytes of room: one 2048-byte file fits, the others are refused with a 400 saying why.
    expect(answers.filter((r) => r.status === 200 && r.text.includes('"h"'))).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 200)) {
      expect(r.status, r.text).toBe(400);
      expect(r.text).toContain('created without file_length');
    }
    const rows = await t.deps.db.kysely.selectFrom('resumable_uploads').select(['file_length', 'file_offset']).where('channel_id', '=', a.channel_id).execute();
    const kept = rows.reduce((sum, r) => sum + (Number(r.file_length) || Number(r.file_offset)), 0);
    expect(kept).toBeLessThanOrEqual(MAX_KEPT_PER_CHANNEL);
  });
});
