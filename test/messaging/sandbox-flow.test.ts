import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { sandboxBsuid } from '../../src/network/bsuid.ts';

describeEachDb('sandbox: inbound, reply, statuses (Cloud format)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=50ms,delivered=100ms,read=150ms' } });
    p = await t.tenant();
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('sets the webhook', async () => {
    const res = await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${receiver.url}/wh`, headers: { Authorization: 'Basic abc' } } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ url: `${receiver.url}/wh`, headers: { Authorization: 'Basic abc' } });
  });

  it('a user writes; the business replies; sent, delivered, read follow', async () => {
    const inbound = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: '4917612345678', name: 'Jane', type: 'text', text: { body: 'hi' } } });
    expect(inbound.status).toBe(200);
    await receiver.waitFor(1);
    const hook = receiver.bodies()[0];
    expect(hook.object).toBe('whatsapp_business_account');
    const value = hook.entry[0].changes[0].value;
    expect(value.metadata.display_phone_number).toBe(p.phone_number);
    // The simulated user's business-scoped user id, as Meta's webhooks carry one (network/bsuid.ts).
    const userId = sandboxBsuid(t.deps.config.secretKey, p.partner_id, '4917612345678');
    expect(userId).toMatch(/^DE\.\d{20}$/);
    expect(value.contacts[0]).toEqual({ profile: { name: 'Jane' }, wa_id: '4917612345678', user_id: userId });
    expect(value.messages[0]).toMatchObject({ from: '4917612345678', type: 'text', text: { body: 'hi' }, id: inbound.body.messages[0].id });
    expect(receiver.requests[0]!.headers.authorization).toBe('Basic abc');

    const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: '+49 176 12345678', type: 'text', text: { body: 'hello back' } } });
    expect(sent.status).toBe(200);
    expect(sent.body.contacts[0]).toEqual({ input: '+49 176 12345678', wa_id: '4917612345678' });
    expect(sent.body.messages[0].id).toMatch(/^wamid\./);
    await receiver.waitFor(4);
    const statuses = receiver.bodies().slice(1).map((b) => b.entry[0].changes[0].value.statuses[0]);
    // Concurrent deliveries may arrive out of order; each status is sent once.
    expect(statuses.map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
    expect(statuses.find((s) => s.status === 'sent')).toMatchObject({ id: sent.body.messages[0].id, recipient_id: '4917612345678', pricing: { category: 'service' } });
  });

  it('a free-form message outside the window fails with 131047; a template goes through', async () => {
    const n = receiver.requests.length;
    const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: '4915550000001', type: 'text', text: { body: 'cold' } } });
    expect(sent.status).toBe(200);
    await receiver.waitFor(n + 1);
    const failed = receiver.bodies()[n].entry[0].changes[0].value.statuses[0];
    expect(failed).toMatchObject({ status: 'failed', errors: [{ code: 131047 }] });
    const tpl = await t.post('/messages', {
      headers: key(),
      json: { messaging_product: 'whatsapp', to: '4915550000001', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } },
    });
    expect(tpl.status).toBe(200);
    await receiver.waitFor(n + 4);
    expect(receiver.bodies().slice(n + 1).map((b) => b.entry[0].changes[0].value.statuses[0].status).sort()).toEqual(['delivered', 'read', 'sent']);
  });

  it('401 Invalid api_key in 360 format', async () => {
    const res = await t.post('/messages', { headers: { 'D360-API-KEY': 'nope' }, json: {} });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
  });

  it('validation errors are Meta-style and name the field', async () => {
    const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: '4917612345678', type: 'text', text: { body: 'x'.repeat(4097) } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException', error_data: { details: expect.stringContaining('text.body') } });
    const onprem = await t.post('/v1/messages', { headers: key(), json: { to: '4917612345678', type: 'text', text: {} } });
    expect(onprem.status).toBe(400);
    expect(onprem.body.errors[0]).toMatchObject({ details: expect.stringContaining('text.body') });
  });
});
