// Sandbox status webhooks as Meta writes them (gaps3 items 1, 2 and 8):
// - a Cloud send's biz_opaque_callback_data is echoed in every status of the message (sent,
//   delivered, read, played, failed), and only when the send had one;
// - pricing carries per-message pricing's `type`, and `billable` follows it: a free-form message
//   (in the customer service window) and a utility template sent while the window is open are
//   free_customer_service / false, marketing templates and utility ones outside the window regular / true;
// - an audio message sent as a voice note (voice: true) gets `played` after `read`; the stored
//   status stays `read`;
// - On-Premise statuses keep their documented shape: pricing {billable, pricing_model, category}
//   without `type`, and no `played`.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, type TestApp } from '../helpers/app.ts';
import { startReplayApp } from '../helpers/client-replay.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { uploadCloud, uploadOnPrem, SAMPLES, userWrites } from './media-fixtures.ts';
import { utility } from './templates-fixtures.ts';

const ADMIN = 'admin-token-status-fidelity-0123456789';
const PROMO = {
  name: 'fidelity_promo',
  category: 'MARKETING',
  language: 'en_US',
  components: [{ type: 'BODY', text: 'Spring sale: 20% off today only.' }],
};

describeEachDb('status webhook fidelity (opaque data, PMP pricing type, played)', (kind) => {
  let t: TestApp;
  let cloud: Receiver;
  let onprem: Receiver;
  let p: BootstrapResult;
  let onpKey: Record<string, string>;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });

  const cloudStatuses = (id: string): any[] => cloud.bodies().flatMap((b) => (b.entry?.[0]?.changes?.[0]?.value?.statuses ?? []) as any[]).filter((s) => s.id === id);
  const waitCloud = (id: string, n: number, what: string) =>
    cloud.waitForBody(what, () => {
      const all = cloudStatuses(id);
      return all.length >= n ? all : undefined;
    });
  const send = async (json: Record<string, unknown>) => {
    const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient_type: 'individual', ...json } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.messages[0].id as string;
  };
  const template = (to: string, name: string, extra: Record<string, unknown> = {}) =>
    send({ to, type: 'template', template: { name, language: { code: 'en_US', policy: 'deterministic' } }, ...extra });
  const storedStatus = async (id: string) => (await t.deps.db.kysely.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
  const settle = () => new Promise((r) => setTimeout(r, 600));

  beforeAll(async () => {
    cloud = await new Receiver().start();
    onprem = await new Receiver().start();
    t = await startReplayApp(kind, { OPENWABA_ADMIN_TOKEN: ADMIN });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${cloud.url}/cloud` } })).status).toBe(200);
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930111100088', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    expect(k.status, k.text).toBe(201);
    onpKey = { 'D360-API-KEY': k.body.api_key as string };
    expect((await t.post('/v1/configs/webhook', { headers: onpKey, json: { url: `${onprem.url}/onprem` } })).status).toBeLessThan(300);
    for (const body of [PROMO, utility('fidelity_update', 'Your order has shipped.')]) {
      const res = await t.post('/message_templates', { headers: key(), json: body });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    await waitUntil('the templates to be approved', async () => {
      const res = await t.get('/message_templates', { headers: key(), query: { status: 'APPROVED', limit: '50' } });
      const names = (res.body.data as { name: string }[]).map((x) => x.name);
      return ['fidelity_promo', 'fidelity_update'].every((n) => names.includes(n));
    });
  });
  afterAll(async () => {
    await t?.close();
    await cloud?.close();
    await onprem?.close();
  });

  it('echoes biz_opaque_callback_data in sent, delivered and read; a free-form reply is free_customer_service / not billable', async () => {
    const to = '4915550003001';
    await userWrites(t, p.channel_api_key, { from: to, text: { body: 'hello' } });
    const opaque = 'tracker:' + 'x'.repeat(504); // 512 characters, Meta's maximum
    const id = await send({ to, type: 'text', text: { body: 'hi' }, biz_opaque_callback_data: opaque });
    const statuses = await waitCloud(id, 3, 'sent, delivered, read');
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    for (const s of statuses) {
      expect(s.biz_opaque_callback_data).toBe(opaque);
      expect(s.pricing).toEqual({ billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' });
      // Kept: clients (pywa, netflie, 360dialog.net) still read the conversation object.
      expect(s.conversation.origin).toEqual({ type: 'service' });
    }
    // Without it: no such key.
    const plain = await send({ to, type: 'text', text: { body: 'again' } });
    for (const s of await waitCloud(plain, 3, 'the plain send')) expect(s).not.toHaveProperty('biz_opaque_callback_data');
    // One character over the limit is refused, in Meta's format.
    const over = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to, type: 'text', text: { body: 'x' }, biz_opaque_callback_data: 'y'.repeat(513) } });
    expect(over.status).toBe(400);
    expect(over.body.error.error_data.details).toContain('biz_opaque_callback_data');
  });

  it('echoes it in a failed status too', async () => {
    const to = '4915550003002';
    await userWrites(t, p.channel_api_key, { from: to, text: { body: 'hello' } });
    expect((await t.post(`/sandbox/v1/users/${to}`, { headers: key(), json: { unreachable: true } })).status).toBeLessThan(300);
    const id = await send({ to, type: 'text', text: { body: 'hi' }, biz_opaque_callback_data: 'fail-tracker' });
    const [failed] = await waitCloud(id, 1, 'the failed status');
    expect(failed).toMatchObject({ status: 'failed', biz_opaque_callback_data: 'fail-tracker' });
    expect(failed).not.toHaveProperty('pricing');
  });

  it('prices templates: utility free inside the open window, regular outside it; marketing always regular', async () => {
    const open = '4915550003003';
    const closed = '4915550003004';
    await userWrites(t, p.channel_api_key, { from: open, text: { body: 'where is my order?' } });
    const inWindow = await template(open, 'fidelity_update', { biz_opaque_callback_data: 'utility-in-window' });
    const outside = await template(closed, 'fidelity_update');
    const promo = await template(open, 'fidelity_promo');
    for (const s of await waitCloud(inWindow, 3, 'the utility template in the window')) {
      expect(s.pricing).toEqual({ billable: false, pricing_model: 'PMP', category: 'utility', type: 'free_customer_service' });
      expect(s.biz_opaque_callback_data).toBe('utility-in-window');
    }
    for (const s of await waitCloud(outside, 3, 'the utility template outside the window')) {
      expect(s.pricing).toEqual({ billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' });
    }
    for (const s of await waitCloud(promo, 3, 'the marketing template')) {
      expect(s.pricing).toEqual({ billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' });
    }
  });

  it('a voice note gets played after read (with the opaque data); the row stays read; a plain audio gets no played', async () => {
    const to = '4915550003005';
    await userWrites(t, p.channel_api_key, { from: to, text: { body: 'send me a voice note' } });
    const ogg = SAMPLES.find((s) => s.name === 'voice.ogg')!;
    const up = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: ogg.mime, file: { data: ogg.data, type: ogg.mime, name: ogg.name } });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    const voice = await send({ to, type: 'audio', audio: { id: up.body.id, voice: true }, biz_opaque_callback_data: 'voice-1' });
    const audio = await send({ to, type: 'audio', audio: { id: up.body.id } });
    const statuses = await waitCloud(voice, 4, 'sent, delivered, read, played');
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read', 'played']);
    const played = statuses[3];
    expect(played).toMatchObject({ recipient_id: to, biz_opaque_callback_data: 'voice-1', pricing: { type: 'free_customer_service', billable: false } });
    expect(Number(played.timestamp)).toBeGreaterThanOrEqual(Number(statuses[2].timestamp));
    expect(await storedStatus(voice)).toBe('read');
    await waitCloud(audio, 3, 'the plain audio');
    await settle();
    expect(cloudStatuses(audio).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    // played comes once.
    expect(cloudStatuses(voice).filter((s) => s.status === 'played')).toHaveLength(1);
  });

  it('On-Premise statuses: pricing without type, and no played for a voice note', async () => {
    const to = '4915550003006';
    await userWrites(t, onpKey['D360-API-KEY']!, { from: to, text: { body: 'hello' } });
    const ogg = SAMPLES.find((s) => s.name === 'voice.ogg')!;
    const up = await uploadOnPrem(t, onpKey['D360-API-KEY']!, ogg.data, ogg.mime);
    expect(up.status, JSON.stringify(up.body)).toBeLessThan(300);
    const mediaId = up.body.media[0].id as string;
    const res = await t.post('/v1/messages', { headers: onpKey, json: { recipient_type: 'individual', to, type: 'audio', audio: { id: mediaId, voice: true } } });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    const id = res.body.messages[0].id as string;
    const mine = () => onprem.bodies().flatMap((b) => (b.statuses ?? []) as any[]).filter((s) => s.id === id);
    await onprem.waitForBody('sent, delivered, read', () => (mine().length >= 3 ? true : undefined));
    await settle();
    const statuses = mine();
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    for (const s of statuses) {
      expect(s.pricing).toEqual({ billable: false, pricing_model: 'PMP', category: 'service' });
      expect(s).not.toHaveProperty('biz_opaque_callback_data');
      expect(s.type).toBe('message');
    }
  });
});
