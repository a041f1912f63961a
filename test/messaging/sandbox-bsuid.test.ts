// Sandbox users have business-scoped user ids (BSUIDs) as WhatsApp users on Meta do: stable, the
// same on all of one partner's numbers and different across partners, with the number's country.
// Cloud webhooks carry them (contacts[].user_id, messages[].from_user_id,
// statuses[].recipient_user_id); On-Premise ones are unchanged; a send to a user's BSUID reaches
// the user, and one to an unknown BSUID fails with 131026.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { countryOf, isBsuid, sandboxBsuid, UNKNOWN_COUNTRY } from '../../src/network/bsuid.ts';

const ADMIN = 'c'.repeat(32);
const KEY_HEX = 'b'.repeat(64);
const USER = '4917612340001';

describeEachDb('sandbox BSUIDs', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let a: BootstrapResult;
  let b: BootstrapResult;
  /** A second number of partner a (its own channel and key), its webhook at /a2. */
  let a2Key: Record<string, string>;
  let onpremKey: Record<string, string>;
  const key = (p: BootstrapResult) => ({ 'D360-API-KEY': p.channel_api_key });
  const cloudValue = (body: any) => body.entry?.[0]?.changes?.[0]?.value;
  const inbound = (headers: Record<string, string>, from: string, body: string) =>
    t.post('/sandbox/v1/inbound', { headers, json: { from, name: 'Jane', type: 'text', text: { body } } });
  /** A new channel of partner p (a number of the same business), with its API key. */
  const secondNumber = async (p: BootstrapResult, hosting: 'cloud' | 'onpremise', phone: string) => {
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, { headers: { authorization: `Bearer ${ADMIN}` }, json: { hosting_type: hosting, phone_number: phone, phone_name: 'Second' } });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    expect(k.status, k.text).toBe(201);
    return { 'D360-API-KEY': k.body.api_key as string };
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SECRET_KEY: KEY_HEX, OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=20ms,delivered=40ms,read=60ms' } });
    a = await t.tenant();
    b = await t.tenant();
    a2Key = await secondNumber(a, 'cloud', '4930111100001');
    onpremKey = await secondNumber(a, 'onpremise', '4930111100002');
    for (const [k, path] of [[key(a), '/a'], [key(b), '/b'], [a2Key, '/a2'], [onpremKey, '/onprem']] as const) {
      const res = await t.post('/v1/configs/webhook', { headers: k, json: { url: `${receiver.url}${path}` } });
      expect(res.status, res.text).toBe(200);
    }
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it("BSUIDs are derived from partner and number: country from the number, ZZ when unknown, keyed by the instance's secret", () => {
    const key = t.deps.config.secretKey!;
    const id = sandboxBsuid(key, a.partner_id, USER);
    expect(isBsuid(id)).toBe(true);
    expect(id).toMatch(/^DE\.\d{20}$/);
    expect(sandboxBsuid(key, a.partner_id, USER)).toBe(id);
    expect(sandboxBsuid(key, b.partner_id, USER)).not.toBe(id);
    expect(sandboxBsuid(key, a.partner_id, '4917612340002')).not.toBe(id);
    // Another secret, or none (a plain SHA-256), gives another id: without the key it cannot be recomputed.
    expect(sandboxBsuid(Buffer.alloc(32, 1), a.partner_id, USER)).not.toBe(id);
    expect(sandboxBsuid(undefined, a.partner_id, USER)).not.toBe(id);
    expect(sandboxBsuid(undefined, a.partner_id, USER)).toMatch(/^DE\.\d{20}$/);
    expect(countryOf('5511912345678')).toBe('BR');
    expect(countryOf('15550783881')).toBe(UNKNOWN_COUNTRY);
    expect(sandboxBsuid(key, a.partner_id, '15550783881')).toMatch(/^ZZ\.\d{20}$/);
  });

  it("a user's Cloud webhooks carry their BSUID: the same on the partner's numbers, another at another partner", async () => {
    const expected = sandboxBsuid(t.deps.config.secretKey, a.partner_id, USER);
    const res = await inbound(key(a), USER, 'to a');
    expect(res.status, res.text).toBe(200);
    const id = res.body.messages[0].id as string;
    const value = cloudValue(await receiver.waitForBody('the inbound on a', (bs) => bs.find((x) => cloudValue(x)?.messages?.[0]?.id === id)));
    expect(value.contacts).toEqual([{ profile: { name: 'Jane' }, wa_id: USER, user_id: expected }]);
    expect(value.messages).toEqual([{ from: USER, from_user_id: expected, id, timestamp: res.body.messages[0].timestamp ?? expect.any(String), type: 'text', text: { body: 'to a' } }]);

    const onA2 = await inbound(a2Key, USER, 'to a2');
    const v2 = cloudValue(await receiver.waitForBody('the inbound on a2', (bs) => bs.find((x) => cloudValue(x)?.messages?.[0]?.id === onA2.body.messages[0].id)));
    expect(v2.contacts[0].user_id).toBe(expected);
    expect(v2.messages[0].from_user_id).toBe(expected);

    const onB = await inbound(key(b), USER, 'to b');
    const vb = cloudValue(await receiver.waitForBody('the inbound on b', (bs) => bs.find((x) => cloudValue(x)?.messages?.[0]?.id === onB.body.messages[0].id)));
    expect(vb.contacts[0].user_id).toBe(sandboxBsuid(t.deps.config.secretKey, b.partner_id, USER));
    expect(vb.contacts[0].user_id).not.toBe(expected);
  });

  it('On-Premise webhooks are unchanged: no BSUID fields', async () => {
    const res = await inbound(onpremKey, USER, 'legacy');
    const id = res.body.messages[0].id as string;
    const hook = await receiver.waitForBody('the On-Premise inbound', (bs) => bs.find((x) => x.messages?.[0]?.id === id));
    expect(hook).toEqual({ contacts: [{ profile: { name: 'Jane' }, wa_id: USER }], messages: [{ from: USER, id, timestamp: expect.any(String), type: 'text', text: { body: 'legacy' } }] });
    const sent = await t.post('/v1/messages', { headers: onpremKey, json: { to: USER, type: 'text', text: { body: 'reply' } } });
    expect(sent.status, sent.text).toBe(201);
    const wamid = sent.body.messages[0].id as string;
    const status = await receiver.waitForBody('the On-Premise sent status', (bs) => bs.find((x) => x.statuses?.[0]?.id === wamid && x.statuses[0].status === 'sent'));
    expect(status.statuses[0].recipient_user_id).toBeUndefined();
    expect(Object.keys(status.statuses[0]).sort()).toEqual(['conversation', 'id', 'pricing', 'recipient_id', 'status', 'timestamp', 'type']);
  });

  it("a Cloud send to a user's BSUID reaches the user; statuses name the BSUID; the answer is Meta's for a BSUID send", async () => {
    const userId = sandboxBsuid(t.deps.config.secretKey, a.partner_id, USER);
    // The user wrote to a2 only (above, and to a): a BSUID belongs to the business, so a reaches them too.
    const sent = await t.post('/messages', { headers: key(a), json: { messaging_product: 'whatsapp', recipient: userId, type: 'text', text: { body: 'by BSUID' } } });
    expect(sent.status, sent.text).toBe(200);
    expect(sent.body.contacts).toEqual([{ input: userId, user_id: userId }]);
    const wamid = sent.body.messages[0].id as string;
    const row = await t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', wamid).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ channel_id: a.channel_id, direction: 'outbound', wa_id: USER });
    for (const s of ['sent', 'delivered', 'read']) {
      const hook = await receiver.waitForBody(`the ${s} status`, (bs) => bs.find((x) => cloudValue(x)?.statuses?.[0]?.id === wamid && cloudValue(x).statuses[0].status === s));
      expect(cloudValue(hook).statuses[0]).toMatchObject({ id: wamid, status: s, recipient_id: USER, recipient_user_id: userId });
    }
  });

  it("a send to a BSUID no user of the partner has (another partner's, or made up) is accepted, then fails with 131026 naming the BSUID", async () => {
    for (const unknown of [sandboxBsuid(t.deps.config.secretKey, b.partner_id, USER), 'DE.12345678901234567890']) {
      const sent = await t.post('/messages', { headers: key(a), json: { messaging_product: 'whatsapp', recipient: unknown, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } });
      expect(sent.status, sent.text).toBe(200);
      expect(sent.body.contacts).toEqual([{ input: unknown, user_id: unknown }]);
      const wamid = sent.body.messages[0].id as string;
      const hook = await receiver.waitForBody('the failed status', (bs) => bs.find((x) => cloudValue(x)?.statuses?.[0]?.id === wamid));
      const s = cloudValue(hook).statuses[0];
      expect(s).toMatchObject({ id: wamid, status: 'failed', recipient_id: unknown, recipient_user_id: unknown });
      expect(s.errors[0]).toMatchObject({ code: 131026, title: 'Message undeliverable' });
    }
  });
});
