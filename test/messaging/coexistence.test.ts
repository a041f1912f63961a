// Coexistence with the WhatsApp Business app (routes/coexistence.ts, messaging/coexistence.ts):
// POST /smb_app_data (and Graph's /{version}/{phone-number-id}/smb_app_data) answers Meta's
// {messaging_product, request_id}, then the sandbox sends the number's smb_app_state_sync webhook
// (the users who wrote to it) or its history webhook (its stored 1:1 messages, in Meta's
// phase/chunk_order/progress chunks); each sync_type once per number; POST /sandbox/v1/app_echo
// stores an outbound text and sends smb_message_echoes. On-Premise numbers are refused; a number
// on Meta's network has its request passed to Meta.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { HISTORY_CHUNK_BYTES, historyChunks, SYNC_CHUNK } from '../../src/messaging/coexistence.ts';
import { sandboxBsuid } from '../../src/network/bsuid.ts';

const ADMIN = 'coexistence-admin-token';
const ANNA = '4917600004001';
const BEN = '4917600004002';

/** The one change of a Cloud webhook whose field is `field`, among the bodies received. */
const changeOf = (field: string) => (bodies: any[]) => bodies.map((b) => b?.entry?.[0]?.changes?.[0]).find((c) => c?.field === field);

describe('history chunks', () => {
  it('per phase, chunks of SYNC_CHUNK messages grouped by user, chunk_order from 1 in each phase, progress to 100', () => {
    const msg = (i: number, phase: 0 | 1 | 2) => ({ waId: i % 2 ? ANNA : BEN, phase, message: { id: `wamid.${i}` } });
    const messages = [...Array.from({ length: SYNC_CHUNK + 1 }, (_, i) => msg(i, 0)), msg(500, 2)];
    const chunks = historyChunks(messages) as any[];
    expect(chunks.map((c) => c.metadata)).toEqual([
      { phase: 0, chunk_order: 1, progress: 33 },
      { phase: 0, chunk_order: 2, progress: 67 },
      { phase: 2, chunk_order: 1, progress: 100 },
    ]);
    expect(chunks[0].threads.map((t: any) => t.id).sort()).toEqual([ANNA, BEN].sort());
    expect(chunks[0].threads.flatMap((t: any) => t.messages)).toHaveLength(SYNC_CHUNK);
    expect(chunks[2].threads).toEqual([{ id: BEN, messages: [{ id: 'wamid.500' }] }]);
    // No history at all: one last chunk saying it is complete.
    expect(historyChunks([])).toEqual([{ metadata: { phase: 2, chunk_order: 1, progress: 100 }, threads: [] }]);
  });
});

describeEachDb('coexistence on a sandbox number', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let receiver: Receiver;
  let pnid: string;
  let display: string;
  let waba: string;
  const key = (q: BootstrapResult = p) => ({ 'D360-API-KEY': q.channel_api_key });

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    p = await t.tenant();
    other = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/cloud` } })).status).toBe(200);
    const row = await t.deps.db.kysely.selectFrom('channels').select(['external_id', 'phone_number']).where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    pnid = row.external_id!;
    display = row.phone_number;
    // Anna and Ben write; the business answers Anna; Ben hides nothing.
    for (const [from, name, body] of [[ANNA, 'Anna Schmidt', 'Do you open on Sunday?'], [BEN, 'Ben', 'Hello']] as const) {
      const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from, name, type: 'text', text: { body } } });
      expect(res.status, res.text).toBe(200);
    }
    const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: ANNA, type: 'text', text: { body: 'Yes, 10 to 4' } } });
    expect(sent.status, sent.text).toBe(200);
    // The other tenant's user: never in p's webhooks.
    expect((await t.post('/sandbox/v1/inbound', { headers: key(other), json: { from: '4917600004009', name: 'Other', type: 'text', text: { body: 'x' } } })).status).toBe(200);
    await receiver.waitForBody('the inbound messages', (b) => b.length >= 2);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it("smb_app_state_sync: Meta's answer, then a webhook with the users who wrote, in Meta's shape; once only", async () => {
    const res = await t.post(`/v21.0/${pnid}/smb_app_data`, { headers: bearer(p.channel_api_key), json: { messaging_product: 'whatsapp', sync_type: 'smb_app_state_sync' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', request_id: expect.any(String) });

    const change = await receiver.waitForBody('smb_app_state_sync', changeOf('smb_app_state_sync'));
    const body = receiver.bodies().find((b) => b.entry?.[0]?.changes?.[0]?.field === 'smb_app_state_sync');
    expect(body).toMatchObject({ object: 'whatsapp_business_account', entry: [{ id: expect.any(String) }] });
    expect(change.value).toMatchObject({ messaging_product: 'whatsapp', metadata: { display_phone_number: display, phone_number_id: pnid } });
    const ts = expect.stringMatching(/^\d{10}$/);
    expect(change.value.state_sync).toEqual([
      { type: 'contact', contact: { full_name: 'Anna Schmidt', first_name: 'Anna', phone_number: ANNA }, action: 'add', metadata: { timestamp: ts } },
      { type: 'contact', contact: { full_name: 'Ben', first_name: 'Ben', phone_number: BEN }, action: 'add', metadata: { timestamp: ts } },
    ]);

    const again = await t.post('/smb_app_data', { headers: key(), json: { messaging_product: 'whatsapp', sync_type: 'smb_app_state_sync' } });
    expect(again.status, again.text).toBe(400);
    expect(again.body.error).toMatchObject({ code: 100, fbtrace_id: expect.any(String) });
    expect(again.body.error.error_data.details).toMatch(/smb_app_state_sync was already requested/);
  });

  it('history: the stored 1:1 messages by user, with from, status and phase 0 (all from today), progress 100', async () => {
    const res = await t.post('/smb_app_data', { headers: { ...key(), 'content-type': 'application/x-www-form-urlencoded' }, raw: 'messaging_product=whatsapp&sync_type=history' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', request_id: expect.any(String) });

    const change = await receiver.waitForBody('history', changeOf('history'));
    expect(change.value).toMatchObject({ messaging_product: 'whatsapp', metadata: { display_phone_number: display, phone_number_id: pnid } });
    expect(change.value.history).toHaveLength(1);
    const [item] = change.value.history;
    expect(item.metadata).toEqual({ phase: 0, chunk_order: 1, progress: 100 });
    const threads = Object.fromEntries(item.threads.map((th: any) => [th.id, th.messages]));
    expect(Object.keys(threads).sort()).toEqual([ANNA, BEN]);
    const status = { status: expect.stringMatching(/^(SENT|DELIVERED|READ|PENDING)$/) };
    expect(threads[ANNA]).toEqual([
      { from: ANNA, id: expect.stringMatching(/^wamid\./), timestamp: expect.stringMatching(/^\d{10}$/), type: 'text', text: { body: 'Do you open on Sunday?' }, history_context: status },
      { from: display, id: expect.stringMatching(/^wamid\./), timestamp: expect.stringMatching(/^\d{10}$/), type: 'text', text: { body: 'Yes, 10 to 4' }, history_context: status },
    ]);
    expect(threads[BEN]).toEqual([expect.objectContaining({ from: BEN, text: { body: 'Hello' } })]);
    expect(JSON.stringify(change)).not.toContain('4917600004009');
  });

  it('history of long texts: every webhook body stays under HISTORY_CHUNK_BYTES; each message arrives exactly once; a hidden number by BSUID only', async () => {
    const big = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: key(big), json: { url: `${receiver.url}/big` } })).status).toBe(200);
    const HID = '4917600004111';
    expect((await t.post(`/sandbox/v1/users/${HID}`, { headers: key(big), json: { username: 'secret_sam', hide_number: true } })).status).toBe(200);
    const hidBsuid = sandboxBsuid(t.deps.config.secretKey, big.partner_id, HID);
    const ch = await t.deps.db.kysely.selectFrom('channels').select(['id', 'partner_id', 'client_id']).where('id', '=', big.channel_id).executeTakeFirstOrThrow();
    // 90 texts of ~4 KB of 4-byte characters (~16 KB of JSON each): ~1.4 MB of history in all.
    const base = t.deps.clock.now().getTime() - 60_000;
    const rows = Array.from({ length: 90 }, (_, i) => {
      const at = new Date(base + i * 100).toISOString();
      return { id: `wamid.big${i}`, channel_id: ch.id, partner_id: ch.partner_id, client_id: ch.client_id, direction: 'inbound' as const, wa_id: [ANNA, BEN, HID][i % 3]!, type: 'text', content: JSON.stringify({ type: 'text', text: { body: `${i} ` + '\u{1F600}'.repeat(2000) } }), status: 'received' as const, error_code: null, error_title: null, category: null, initiated_by: 'user' as const, template_name: null, context_id: null, created_at: at, modified_at: at, sent_at: null, delivered_at: null, read_at: null, failed_at: null, status_plan: null, status_due_at: null };
    });
    await t.deps.db.kysely.insertInto('messages').values(rows).execute();
    expect((await t.post('/smb_app_data', { headers: key(big), json: { messaging_product: 'whatsapp', sync_type: 'history' } })).status).toBe(200);
    const histories = () => receiver.requests.filter((r) => r.url === '/big' && r.body.includes('"history"'));
    await receiver.waitForBody('the last history chunk', () => histories().some((r) => r.body.includes('"progress":100')));
    const sizes = histories().map((r) => Buffer.byteLength(r.body));
    expect(sizes.length).toBeGreaterThan(1);
    for (const n of sizes) expect(n).toBeLessThanOrEqual(HISTORY_CHUNK_BYTES);
    const items = histories().map((r) => JSON.parse(r.body).entry[0].changes[0].value.history[0]);
    expect(items.map((h: any) => h.metadata.chunk_order)).toEqual(items.map((_: unknown, i: number) => i + 1));
    expect(items.map((h: any) => h.metadata.progress).at(-1)).toBe(100);
    const ids = items.flatMap((h: any) => h.threads.flatMap((th: any) => th.messages.map((m: any) => m.id)));
    expect([...ids].sort()).toEqual(rows.map((r) => r.id).sort());
    // The user who hides their number: thread and `from` name the BSUID, as in 1:1 webhooks.
    const hidThreads = items.flatMap((h: any) => h.threads).filter((th: any) => th.id === hidBsuid);
    expect(hidThreads.flatMap((th: any) => th.messages.map((m: any) => m.from))).toEqual(Array(30).fill(hidBsuid));
    for (const r of histories()) expect(r.body).not.toContain(HID);
  });

  it('app_echo: stored as outbound, an smb_message_echoes webhook in Meta\'s shape', async () => {
    const res = await t.post('/sandbox/v1/app_echo', { headers: key(), json: { to: BEN, type: 'text', text: { body: 'Typed on the phone' } } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', messages: [{ id: expect.stringMatching(/^wamid\./) }] });
    const change = await receiver.waitForBody('smb_message_echoes', changeOf('smb_message_echoes'));
    expect(change.value).toEqual({
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: display, phone_number_id: pnid },
      message_echoes: [{ from: display, to: BEN, id: res.body.messages[0].id, timestamp: expect.stringMatching(/^\d{10}$/), type: 'text', text: { body: 'Typed on the phone' } }],
    });
    const row = await t.deps.db.kysely.selectFrom('messages').select(['direction', 'wa_id', 'channel_id']).where('id', '=', res.body.messages[0].id).executeTakeFirstOrThrow();
    expect(row).toEqual({ direction: 'outbound', wa_id: BEN, channel_id: p.channel_id });
  });

  it('bad input, another tenant, no key and On-Premise numbers are refused; nothing is recorded', async () => {
    const bad = async (json: unknown, field: RegExp) => {
      const res = await t.post('/smb_app_data', { headers: key(other), json });
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.code).toBe(100);
      expect(res.body.error.error_data.details).toMatch(field);
    };
    await bad({ messaging_product: 'whatsapp', sync_type: 'contacts' }, /sync_type/);
    await bad({ messaging_product: 'whatsapp' }, /sync_type/);
    await bad({ messaging_product: 'sms', sync_type: 'history' }, /messaging_product/);
    await bad({ sync_type: 'history', extra: 1 }, /extra/);
    const echo = await t.post('/sandbox/v1/app_echo', { headers: key(other), json: { to: 'nobody', text: { body: 'x' } } });
    expect(echo.status, echo.text).toBe(400);
    // Another tenant's number on the Graph path: Graph's node error; no key: 401.
    const foreign = await t.post(`/v21.0/${pnid}/smb_app_data`, { headers: bearer(other.channel_api_key), json: { sync_type: 'history' } });
    expect(foreign.status, foreign.text).toBe(400);
    expect(foreign.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    expect((await t.post('/smb_app_data', { json: { sync_type: 'history' } })).status).toBe(401);
    expect(await t.deps.db.kysely.selectFrom('smb_app_syncs').select('channel_id').where('channel_id', '=', other.channel_id).execute()).toEqual([]);

    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123450041', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    const onprem = await t.post('/smb_app_data', { headers: { 'D360-API-KEY': k.body.api_key }, json: { messaging_product: 'whatsapp', sync_type: 'history' } });
    expect(onprem.status, onprem.text).toBe(400);
    expect(JSON.stringify(onprem.body)).toMatch(/On-Premise/);
  });
});

describeEachDb("coexistence on Meta's network: the request goes to Meta", (kind) => {
  const META_NUMBER = '106540352242933';
  let meta: MetaNumber | undefined;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: '102290129342222' });
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("Meta's answer comes back; nothing is recorded here", async () => {
    const { graph, t, p } = meta!;
    graph.reset();
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', request_id: 'meta-req-1' } });
    const res = await t.post('/smb_app_data', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', sync_type: 'history' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', request_id: 'meta-req-1' });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([['POST', `/${META_NUMBER}/smb_app_data`]]);
    expect(graph.requests[0]!.json).toEqual({ messaging_product: 'whatsapp', sync_type: 'history' });
    expect(await t.deps.db.kysely.selectFrom('smb_app_syncs').selectAll().execute()).toEqual([]);
    const echo = await t.post('/sandbox/v1/app_echo', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { to: '4917600004001', type: 'text', text: { body: 'x' } } });
    expect(echo.status, echo.text).toBe(409);
  });
});
