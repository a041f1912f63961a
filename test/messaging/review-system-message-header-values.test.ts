// Regressions of a security review of the WABA webhook and the sandbox's new inbound kinds:
// - a system message (user_changed_number) of a user who hides their number gave both numbers away;
// - a failed send to the BSUID of a user who hides their number named the number as recipient_id
//   (a newcomer's walk through the README found it);
// - a custom header value HTTP cannot carry (emoji, control characters) was accepted, and then every
//   delivery to that webhook failed (undici refuses the header), silently, for all the WABA's numbers.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { sandboxBsuid } from '../../src/network/bsuid.ts';

describeEachDb('review: a hiding user\'s system message, header values HTTP cannot carry', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true });
    a = await t.tenant();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });
  const key = () => ({ 'D360-API-KEY': a.channel_api_key });

  it("a user who hides their number changes it: the system message names BSUIDs only, no number", async () => {
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: receiver.url } })).status).toBe(200);
    const from = '4917600009911';
    const to = '4917600009922';
    expect((await t.post('/sandbox/v1/inbound', { headers: key(), json: { from, name: 'Ana', text: { body: 'hi' } } })).status).toBe(200);
    const hide = await t.post(`/sandbox/v1/users/${from}`, { headers: key(), json: { username: 'ana.hidden', hide_number: true } });
    expect(hide.status, hide.text).toBe(200);
    const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from, type: 'system', system: { type: 'user_changed_number', wa_id: to } } });
    expect(res.status, res.text).toBe(200);
    const id = res.body.messages[0].id as string;
    const [body] = await receiver.waitForBody('the system message', (bodies) => {
      const b = bodies.find((x) => JSON.stringify(x).includes(id));
      return b ? [b] : undefined;
    });
    const message = body.entry[0].changes[0].value.messages[0];
    expect(message.type).toBe('system');
    expect(message.system).toMatchObject({ type: 'user_changed_number', user_id: expect.any(String), previous_user_id: expect.any(String) });
    expect(message.system.wa_id).toBeUndefined();
    expect(message.system.body).toBe(`User Ana changed from ${message.system.previous_user_id} to ${message.system.user_id}`);
    const text = JSON.stringify(body);
    expect(text).not.toContain(from);
    expect(text).not.toContain(to);

    // A user who shows their number: the notice names both numbers, as Meta's does.
    const shown = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: '4917600009933', type: 'system', system: { type: 'user_changed_number', wa_id: '4917600009944' } } });
    expect(shown.status, shown.text).toBe(200);
    const shownId = shown.body.messages[0].id as string;
    const [shownBody] = await receiver.waitForBody('the shown system message', (bodies) => {
      const b = bodies.find((x) => JSON.stringify(x).includes(shownId));
      return b ? [b] : undefined;
    });
    expect(shownBody.entry[0].changes[0].value.messages[0].system).toMatchObject({ wa_id: '4917600009944', body: expect.stringContaining('4917600009933') });
  });

  it('a failed send to the BSUID of a user who hides their number names the BSUID, never the number', async () => {
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: receiver.url } })).status).toBe(200);
    const wa = '4917600009966';
    expect((await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: wa, name: 'Bo', text: { body: 'hi' } } })).status).toBe(200);
    const set = await t.post(`/sandbox/v1/users/${wa}`, { headers: key(), json: { username: 'bo.hidden', hide_number: true, unreachable: true } });
    expect(set.status, set.text).toBe(200);
    const bsuid = sandboxBsuid(t.deps.config.secretKey, a.partner_id, wa);
    const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient: bsuid, type: 'text', text: { body: 'are you there?' } } });
    expect(sent.status, sent.text).toBe(200);
    const id = sent.body.messages[0].id as string;
    const [body] = await receiver.waitForBody('the failed status', (bodies) => {
      const b = bodies.find((x) => x.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]?.id === id);
      return b ? [b] : undefined;
    });
    const status = body.entry[0].changes[0].value.statuses[0];
    expect(status).toMatchObject({ status: 'failed', recipient_id: bsuid, recipient_user_id: bsuid, errors: [{ code: 131026 }] });
    expect(JSON.stringify(body)).not.toContain(wa);
  });

  it('a header value with characters HTTP cannot carry is refused with a 400 naming it, on the WABA and the number webhook', async () => {
    for (const value of ['é€😀', 'a\u0001b', 'x\u007f']) {
      for (const path of ['/waba_webhook', '/v1/configs/webhook']) {
        const res = await t.post(path, { headers: key(), json: { url: receiver.url, headers: { 'X-Tok': value } } });
        expect(res.status, `${path} ${JSON.stringify(value)}: ${res.text}`).toBe(400);
        expect(res.text).toContain('X-Tok');
      }
    }
    // Latin-1 letters, spaces and tabs are what HTTP carries: accepted, and delivered.
    const ok = await t.post('/v1/configs/webhook', { headers: key(), json: { url: receiver.url, headers: { 'X-Tok': 'Grüße\taus Köln' } } });
    expect(ok.status, ok.text).toBe(200);
    const sent = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: '4917600009955', text: { body: 'header check' } } });
    const id = sent.body.messages[0].id as string;
    await receiver.waitForBody('the delivery with the header', (bodies) => bodies.some((x) => JSON.stringify(x).includes(id)) || undefined);
    const req = receiver.requests.find((r) => r.body.includes(id))!;
    expect(Buffer.from(String(req.headers['x-tok']), 'latin1').toString('latin1')).toBe('Grüße\taus Köln');
  });
});
