// Template inputs and outputs as unmodified Graph clients use them:
// - Odoo: "Test Connection" creates an upload session with no file_length/file_type; its template
//   sync reads example.header_handle[0] as a URL and fetches it with requests.get/head, no auth;
// - Weni marketplace: creates templates with every parameter in the query string (components as
//   JSON text), no body; Meta's older docs post them as a form or multipart (-F).
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { MAX_FILE_LENGTH, pruneResumableUploads } from '../../src/messaging/media/resumable.ts';
import { bytes } from './media-fixtures.ts';

const DAY = 86_400_000;
const PNG = bytes(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 2048);
const PDF = bytes(Buffer.from('%PDF-1.4\n', 'latin1'), 5000);

describeEachDb('template Graph inputs and header sample URLs', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let wabaA: string;
  const clock = new ManualClock(new Date('2026-03-01T12:00:00.000Z'));

  const wabaOf = async (channelId: string) =>
    (
      await t.deps.db.kysely
        .selectFrom('channels')
        .innerJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
        .select('waba_accounts.external_id')
        .where('channels.id', '=', channelId)
        .executeTakeFirstOrThrow()
    ).external_id;

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
    wabaA = await wabaOf(a.channel_id);
  });
  afterAll(() => t.close());

  const tok = (key: string) => ({ access_token: key });
  /** Odoo's flow: a session with no length or type, the bytes, the handle. */
  const odooUpload = async (file: Buffer, key = a.channel_api_key): Promise<string> => {
    const s = await t.post('/v17.0/372077/uploads', { query: tok(key) });
    expect(s.status, s.text).toBe(200);
    expect(s.body.id).toMatch(/^upload:[0-9A-Za-z]{32}$/);
    const up = await t.post(`/v17.0/${s.body.id}`, { headers: { authorization: `OAuth ${key}`, file_offset: '0', 'content-type': 'application/octet-stream' }, raw: file });
    expect(up.status, up.text).toBe(200);
    expect(up.body.h).toMatch(/^4::/);
    return up.body.h as string;
  };
  const imageTemplate = (name: string, handle: string) => ({
    name,
    category: 'MARKETING',
    language: 'en_US',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: [handle] } },
      { type: 'BODY', text: 'New arrivals are in.' },
    ],
  });

  it('Odoo: upload without length, create with the handle, GET the template, download header_handle[0] with no auth (GET and HEAD)', async () => {
    const handle = await odooUpload(PNG);
    const created = await t.post(`/v17.0/${wabaA}/message_templates`, { query: tok(a.channel_api_key), json: imageTemplate('odoo_promo', handle) });
    expect(created.status, created.text).toBe(200);

    const node = await t.get(`/v17.0/${created.body.id}`, { query: tok(a.channel_api_key) });
    expect(node.status, node.text).toBe(200);
    const url = node.body.components[0].example.header_handle[0] as string;
    expect(url).toMatch(new RegExp(`^${t.baseUrl}/template_samples/[0-9A-Za-z]{32}/[A-Za-z0-9_-]{32}$`));
    expect(url).not.toContain(handle.split(':').at(-1)!);

    // requests.get(url): no header at all.
    const got = await undiciRequest(url);
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/png');
    expect(Buffer.from(await got.body.arrayBuffer()).equals(PNG)).toBe(true);
    // requests.head(url).headers['Content-Type']
    const head = await undiciRequest(url, { method: 'HEAD' });
    await head.body.dump();
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-type']).toBe('image/png');
    expect(head.headers['content-length']).toBe(String(PNG.length));

    // The lists show the same URL: Graph path, plain path, 360 list, Partner API list.
    const list = await t.get(`/v17.0/${wabaA}/message_templates`, { query: { ...tok(a.channel_api_key), name: 'odoo_promo' } });
    expect(list.body.data[0].components[0].example.header_handle[0]).toBe(url);
    const plain = await t.get('/message_templates', { headers: channelKey(a.channel_api_key), query: { name: 'odoo_promo' } });
    expect(plain.body.data[0].components[0].example.header_handle[0]).toBe(url);
    const root = await t.get(`/message_templates/${created.body.id}`, { headers: channelKey(a.channel_api_key) });
    expect(root.body.components[0].example.header_handle[0]).toBe(url);
    const v1 = await t.get('/v1/configs/templates', { headers: channelKey(a.channel_api_key), query: { filters: JSON.stringify({ name: 'odoo_promo' }) } });
    expect(v1.body.waba_templates[0].components[0].example.header_handle[0]).toBe(url);
    const partner = await t.get(`/api/v2/partners/${a.partner_id}/waba_accounts/${a.waba_account_id}/waba_templates`, {
      headers: { 'x-api-key': a.partner_api_key },
      query: { filters: JSON.stringify({ name: 'odoo_promo' }) },
    });
    expect(partner.status, partner.text).toBe(200);
    expect(partner.body.waba_templates[0].components[0].example.header_handle[0]).toBe(url);

    // Stored as the handle: a copy posted back with the URL is stored with the handle again.
    const copy = await t.post(`/v17.0/${wabaA}/message_templates`, { query: tok(a.channel_api_key), json: imageTemplate('odoo_promo_copy', url) });
    expect(copy.status, copy.text).toBe(200);
    const row = await t.deps.db.kysely.selectFrom('templates').select('components').where('id', '=', copy.body.id).executeTakeFirstOrThrow();
    expect(row.components).toContain(handle);
    expect(row.components).not.toContain('template_samples');
  });

  it('a sample URL cannot be forged, and another tenant cannot take it as its own', async () => {
    const handle = await odooUpload(PNG);
    const created = await t.post(`/v17.0/${wabaA}/message_templates`, { query: tok(a.channel_api_key), json: imageTemplate('forge_check', handle) });
    const node = await t.get(`/v17.0/${created.body.id}`, { query: tok(a.channel_api_key) });
    const url = node.body.components[0].example.header_handle[0] as string;
    const [id, sig] = url.split('/').slice(-2) as [string, string];
    const wrong = sig.slice(0, -1) + (sig.endsWith('A') ? 'B' : 'A');
    for (const bad of [`${t.baseUrl}/template_samples/${id}/${wrong}`, `${t.baseUrl}/template_samples/${'x'.repeat(32)}/${sig}`, `${t.baseUrl}/template_samples/${id}/short`]) {
      const res = await undiciRequest(bad);
      await res.body.dump();
      expect(res.statusCode, bad).toBe(404);
    }
    // Tenant b posts a's URL: kept as the string it is (not a's handle), and b's read does not turn it into a's file.
    const wabaB = await wabaOf(b.channel_id);
    const copied = await t.post(`/v17.0/${wabaB}/message_templates`, { query: tok(b.channel_api_key), json: imageTemplate('stolen', url) });
    expect(copied.status, copied.text).toBe(200);
    const row = await t.deps.db.kysely.selectFrom('templates').select('components').where('id', '=', copied.body.id).executeTakeFirstOrThrow();
    expect(row.components).not.toContain(handle);
    // Tenant b using a's raw handle: shown as the handle, not a URL to a's file.
    const raw = await t.post(`/v17.0/${wabaB}/message_templates`, { query: tok(b.channel_api_key), json: imageTemplate('stolen_handle', handle) });
    expect(raw.status, raw.text).toBe(200);
    const shown = await t.get(`/v17.0/${raw.body.id}`, { query: tok(b.channel_api_key) });
    expect(shown.body.components[0].example.header_handle[0]).toBe(handle);
  });

  it('a sample a template names outlives the handle TTL; an unnamed one is pruned', async () => {
    const named = await odooUpload(PNG);
    const unnamed = await odooUpload(PNG);
    const created = await t.post(`/v17.0/${wabaA}/message_templates`, { query: tok(a.channel_api_key), json: imageTemplate('kept_sample', named) });
    expect(created.status).toBe(200);
    clock.advance(31 * DAY);
    await pruneResumableUploads(t.deps);
    const rows = await t.deps.db.kysely.selectFrom('resumable_uploads').select('handle').where('handle', 'in', [named, unnamed]).execute();
    expect(rows.map((r) => r.handle)).toEqual([named]);
    const node = await t.get(`/v17.0/${created.body.id}`, { query: tok(a.channel_api_key) });
    const res = await undiciRequest(node.body.components[0].example.header_handle[0] as string);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  it('a session without file_length or file_type: the type comes from the bytes, unknown bytes are refused, the cap holds while streaming', async () => {
    const h = await odooUpload(PDF);
    expect(Buffer.from(h.split(':')[2]!, 'base64').toString()).toBe('application/pdf');
    const row = await t.deps.db.kysely.selectFrom('resumable_uploads').select(['file_length', 'file_type']).where('handle', '=', h).executeTakeFirstOrThrow();
    expect(Number(row.file_length)).toBe(PDF.length);
    expect(row.file_type).toBe('application/pdf');

    const s = await t.post('/v17.0/372077/uploads', { query: tok(a.channel_api_key) });
    const bad = await t.post(`/v17.0/${s.body.id}`, { headers: { authorization: `OAuth ${a.channel_api_key}`, file_offset: '0' }, raw: Buffer.from('plain text, not a sample') });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe(100);
    expect(bad.body.error.error_data.details).toMatch(/^file_type:/);

    // The cap while streaming: tenant b's other sessions leave 10 bytes of MAX_KEPT_PER_CHANNEL.
    for (let i = 0; i < 10; i++) {
      const length = i === 9 ? MAX_FILE_LENGTH - 10 : MAX_FILE_LENGTH;
      const held = await t.post('/v17.0/372077/uploads', { query: { ...tok(b.channel_api_key), file_length: String(length), file_type: 'image/png' } });
      expect(held.status, held.text).toBe(200);
    }
    const s2 = await t.post('/v17.0/372077/uploads', { query: tok(b.channel_api_key) });
    expect(s2.status, s2.text).toBe(200);
    const over = await t.post(`/v17.0/${s2.body.id}`, { headers: { authorization: `OAuth ${b.channel_api_key}`, file_offset: '0' }, raw: PNG });
    expect(over.status, over.text).toBe(400);
    expect(over.body.error.error_data.details).toMatch(/would exceed 10 bytes/);
    const state = await t.get(`/v17.0/${s2.body.id}`, { headers: { authorization: `OAuth ${b.channel_api_key}` } });
    expect(state.body.file_offset).toBe(0);
    const fits = await t.post(`/v17.0/${s2.body.id}`, { headers: { authorization: `OAuth ${b.channel_api_key}`, file_offset: '0' }, raw: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) });
    expect(fits.status, fits.text).toBe(200);
    expect(fits.body.h).toMatch(/^4::/);

    // A declared length or type is still checked at creation.
    const zero = await t.post('/v17.0/372077/uploads', { query: { ...tok(a.channel_api_key), file_length: '0' } });
    expect(zero.status).toBe(400);
    const gif = await t.post('/v17.0/372077/uploads', { query: { ...tok(a.channel_api_key), file_type: 'image/gif' } });
    expect(gif.status).toBe(400);
  });

  const weniComponents = [{ type: 'BODY', text: 'Your order {{1}} is ready for pickup today', example: { body_text: [['#42']] } }];

  it('Weni: create with every parameter in the query string and no body', async () => {
    const res = await t.post(`/v17.0/${wabaA}/message_templates`, {
      query: { name: 'weni_query', category: 'UTILITY', language: 'pt_BR', components: JSON.stringify(weniComponents), access_token: a.channel_api_key },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'PENDING', category: 'UTILITY' });
    const node = await t.get(`/v17.0/${res.body.id}`, { query: tok(a.channel_api_key) });
    expect(node.body).toMatchObject({ name: 'weni_query', language: 'pt_BR', components: weniComponents });
  });

  it('form-encoded and multipart creates, and an edit by form', async () => {
    const form = new URLSearchParams({ name: 'form_create', category: 'UTILITY', language: 'en_US', components: JSON.stringify(weniComponents), allow_category_change: 'true' });
    const f = await t.post(`/v21.0/${wabaA}/message_templates`, { headers: { authorization: `Bearer ${a.channel_api_key}`, 'content-type': 'application/x-www-form-urlencoded' }, raw: form.toString() });
    expect(f.status, f.text).toBe(200);

    const fd = new FormData();
    fd.set('name', 'multipart_create');
    fd.set('category', 'UTILITY');
    fd.set('language', 'en_US');
    fd.set('components', JSON.stringify(weniComponents));
    const m = await fetch(`${t.baseUrl}/v21.0/${wabaA}/message_templates?access_token=${a.channel_api_key}`, { method: 'POST', body: fd });
    expect(m.status, await m.clone().text()).toBe(200);
    const mid = ((await m.json()) as { id: string }).id;
    const node = await t.get(`/v21.0/${mid}`, { query: tok(a.channel_api_key) });
    expect(node.body.name).toBe('multipart_create');

    // Edit: approve it first (the sandbox review), then new components by query parameters.
    await t.deps.db.kysely.updateTable('templates').set({ status: 'APPROVED' }).where('id', '=', mid).execute();
    const edited = [{ type: 'BODY', text: 'Order {{1}} can be picked up from noon', example: { body_text: [['#7']] } }];
    const e = await t.post(`/v21.0/${mid}`, { query: { ...tok(a.channel_api_key), components: JSON.stringify(edited) } });
    expect(e.status, e.text).toBe(200);
    expect(e.body).toEqual({ success: true });
    const after = await t.get(`/v21.0/${mid}`, { query: tok(a.channel_api_key) });
    expect(after.body.components).toEqual(edited);
  });

  it('bad JSON in components: 400 in Meta format naming the field', async () => {
    for (const send of [
      () => t.post(`/v17.0/${wabaA}/message_templates`, { query: { name: 'bad_json', category: 'UTILITY', language: 'en_US', components: '[{"type":"BODY",', access_token: a.channel_api_key } }),
      () =>
        t.post(`/v17.0/${wabaA}/message_templates`, {
          headers: { authorization: `Bearer ${a.channel_api_key}`, 'content-type': 'application/x-www-form-urlencoded' },
          raw: 'name=bad_json&category=UTILITY&language=en_US&components=not-json',
        }),
    ]) {
      const res = await send();
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.code).toBe(100);
      expect(res.body.error.error_data.details).toMatch(/^components: must be a JSON array/);
    }
    const multi = new FormData();
    multi.set('name', 'bad_json');
    multi.set('components', '{oops');
    const m = await fetch(`${t.baseUrl}/v21.0/${wabaA}/message_templates?access_token=${a.channel_api_key}`, { method: 'POST', body: multi });
    expect(m.status).toBe(400);
    expect(((await m.json()) as { error: { error_data: { details: string } } }).error.error_data.details).toMatch(/^components:/);
  });
});
