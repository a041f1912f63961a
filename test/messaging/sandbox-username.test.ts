// A simulated user may adopt a username and hide their number (POST /sandbox/v1/users/{wa_id}),
// as WhatsApp users may at Meta (dualhook.com/docs/contacts-bsuid-webhooks): Cloud webhooks then
// carry profile.username in inbound messages and delivered/read statuses, and a hidden number is
// left out (messages[].from, contacts[].wa_id; in the statuses of a send to the BSUID). On-Premise
// webhooks show such a user by BSUID. The sandbox keeps the number as the user's key.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { sandboxBsuid } from '../../src/network/bsuid.ts';

const ADMIN = 'c'.repeat(32);
const NAMED = '4917612350001';
const HIDDEN = '4917612350002';

describeEachDb('sandbox usernames and hidden numbers', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let a: BootstrapResult;
  let onpremKey: Record<string, string>;
  const key = () => ({ 'D360-API-KEY': a.channel_api_key });
  const cloudValue = (body: any) => body.entry?.[0]?.changes?.[0]?.value;
  const bsuid = (waId: string) => sandboxBsuid(t.deps.config.secretKey, a.partner_id, waId);
  const setUser = (headers: Record<string, string>, waId: string, json: unknown) => t.post(`/sandbox/v1/users/${waId}`, { headers, json });
  const inbound = (headers: Record<string, string>, from: string, body: string) => t.post('/sandbox/v1/inbound', { headers, json: { from, name: 'Jane', type: 'text', text: { body } } });
  const cloudInbound = async (id: string) => cloudValue(await receiver.waitForBody('the Cloud inbound', (bs) => bs.find((x) => cloudValue(x)?.messages?.[0]?.id === id)));
  const cloudStatus = async (wamid: string, s: string) =>
    cloudValue(await receiver.waitForBody(`the ${s} status`, (bs) => bs.find((x) => cloudValue(x)?.statuses?.[0]?.id === wamid && cloudValue(x).statuses[0].status === s)));

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SECRET_KEY: 'b'.repeat(64), OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=20ms,delivered=40ms,read=60ms' } });
    a = await t.tenant();
    const ch = await t.post(`/admin/partners/${a.partner_id}/clients/${a.client_id}/channels`, { headers: { authorization: `Bearer ${ADMIN}` }, json: { hosting_type: 'onpremise', phone_number: '4930111100009', phone_name: 'Legacy' } });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${a.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(a.partner_api_key) });
    expect(k.status, k.text).toBe(201);
    onpremKey = { 'D360-API-KEY': k.body.api_key as string };
    for (const [k2, path] of [[key(), '/cloud'], [onpremKey, '/onprem']] as const) {
      const res = await t.post('/v1/configs/webhook', { headers: k2, json: { url: `${receiver.url}${path}` } });
      expect(res.status, res.text).toBe(200);
    }
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it("refuses usernames outside Meta's format, and a hidden number without a username, with a 400 naming the field", async () => {
    const bad: [unknown, string][] = [
      ['ab', 'username: must be 3 to 35'],
      ['a'.repeat(36), 'username'],
      ['12345', 'at least one letter'],
      ['.jane', 'no period first'],
      ['jane.', 'no period first or last'],
      ['ja..ne', 'no two periods in a row'],
      ['jane doe', 'username: must be'],
      ['jäne', 'username: must be'],
      ['www_jane', 'must not start with www'],
      ['jane.com', 'must not end with a domain'],
      [42, 'username: must be a string'],
    ];
    for (const [username, details] of bad) {
      const res = await setUser(key(), NAMED, { username });
      expect(res.status, JSON.stringify(username)).toBe(400);
      expect(res.body.error.error_data.details).toContain(details);
    }
    const hideAlone = await setUser(key(), NAMED, { hide_number: true });
    expect(hideAlone.status).toBe(400);
    expect(hideAlone.body.error.error_data.details).toContain('hide_number: needs a username');
    const notBool = await setUser(key(), NAMED, { username: 'jane_doe', hide_number: 'yes' });
    expect(notBool.status).toBe(400);
    expect(notBool.body.error.error_data.details).toContain('hide_number');
    // Nothing was stored by the refusals.
    const users = (await t.get('/sandbox/v1/users', { headers: key() })).body.users as any[];
    expect(users.find((u) => u.wa_id === NAMED)).toBeUndefined();
  });

  it('stores username and hide_number and lists them; a username cannot be removed while the number is hidden', async () => {
    const named = await setUser(key(), NAMED, { username: 'Jane.Doe_1' });
    expect(named.status, named.text).toBe(200);
    expect(named.body).toMatchObject({ wa_id: NAMED, username: 'Jane.Doe_1', hide_number: false, unreachable: false, blocked: false });
    const hidden = await setUser(key(), HIDDEN, { username: 'max_m', hide_number: true });
    expect(hidden.status, hidden.text).toBe(200);
    expect(hidden.body).toMatchObject({ wa_id: HIDDEN, username: 'max_m', hide_number: true });
    const drop = await setUser(key(), HIDDEN, { username: null });
    expect(drop.status).toBe(400);
    expect(drop.body.error.error_data.details).toContain('hide_number: needs a username');
    const users = (await t.get('/sandbox/v1/users', { headers: key() })).body.users as any[];
    expect(users.find((u) => u.wa_id === NAMED)).toMatchObject({ username: 'Jane.Doe_1', hide_number: false });
    expect(users.find((u) => u.wa_id === HIDDEN)).toMatchObject({ username: 'max_m', hide_number: true });
    // Each with the BSUID its webhooks carry: what a reply to a user who hides their number goes to.
    expect(users.find((u) => u.wa_id === HIDDEN).user_id).toBe(bsuid(HIDDEN));
    expect(hidden.body.user_id).toBe(bsuid(HIDDEN));
  });

  it("a user with a username: Cloud inbound webhooks carry profile.username beside the number", async () => {
    const res = await inbound(key(), NAMED, 'hi');
    expect(res.status, res.text).toBe(200);
    const { id, timestamp } = res.body.messages[0];
    const value = await cloudInbound(id);
    expect(value.contacts).toEqual([{ profile: { name: 'Jane', username: 'Jane.Doe_1' }, wa_id: NAMED, user_id: bsuid(NAMED) }]);
    expect(value.messages).toEqual([{ from: NAMED, from_user_id: bsuid(NAMED), id, timestamp: timestamp ?? expect.any(String), type: 'text', text: { body: 'hi' } }]);
  });

  it('a user who hides their number: Cloud inbound leaves out from and wa_id; the message is kept under the number', async () => {
    const res = await inbound(key(), HIDDEN, 'secret');
    expect(res.status, res.text).toBe(200);
    const { id } = res.body.messages[0];
    const value = await cloudInbound(id);
    expect(value.contacts).toEqual([{ profile: { name: 'Jane', username: 'max_m' }, user_id: bsuid(HIDDEN) }]);
    expect(value.messages).toEqual([{ from_user_id: bsuid(HIDDEN), id, timestamp: expect.any(String), type: 'text', text: { body: 'secret' } }]);
    expect(JSON.stringify(value)).not.toContain(HIDDEN);
    const row = await t.deps.db.kysely.selectFrom('messages').select(['wa_id', 'direction']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ wa_id: HIDDEN, direction: 'inbound' });
  });

  it('On-Premise: a user who hides their number appears by BSUID as wa_id and from, as Meta-side phoneless users do', async () => {
    expect((await setUser(onpremKey, HIDDEN, { username: 'max_m', hide_number: true })).status).toBe(200);
    const res = await inbound(onpremKey, HIDDEN, 'legacy');
    const id = res.body.messages[0].id as string;
    const hook = await receiver.waitForBody('the On-Premise inbound', (bs) => bs.find((x) => x.messages?.[0]?.id === id));
    expect(hook).toEqual({ contacts: [{ profile: { name: 'Jane' }, wa_id: bsuid(HIDDEN) }], messages: [{ from: bsuid(HIDDEN), id, timestamp: expect.any(String), type: 'text', text: { body: 'legacy' } }] });
    // The answer to that BSUID reaches the user; its statuses name the BSUID, not the number.
    const sent = await t.post('/v1/messages', { headers: onpremKey, json: { to: bsuid(HIDDEN), type: 'text', text: { body: 'reply' } } });
    expect(sent.status, sent.text).toBe(201);
    const wamid = sent.body.messages[0].id as string;
    const status = await receiver.waitForBody('the On-Premise read status', (bs) => bs.find((x) => x.statuses?.[0]?.id === wamid && x.statuses[0].status === 'read'));
    expect(status.statuses[0]).toMatchObject({ id: wamid, status: 'read', recipient_id: bsuid(HIDDEN), type: 'message' });
    expect(JSON.stringify(status)).not.toContain(HIDDEN);
  });

  it('a send to the BSUID of a user who hides their number: statuses without the number, username in delivered and read', async () => {
    const userId = bsuid(HIDDEN);
    const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient: userId, type: 'text', text: { body: 'by BSUID' } } });
    expect(sent.status, sent.text).toBe(200);
    expect(sent.body.contacts).toEqual([{ input: userId, user_id: userId }]);
    const wamid = sent.body.messages[0].id as string;
    for (const s of ['sent', 'delivered', 'read']) {
      const value = await cloudStatus(wamid, s);
      expect(value.contacts).toEqual([s === 'sent' ? { user_id: userId } : { profile: { username: 'max_m' }, user_id: userId }]);
      expect(value.statuses[0]).toMatchObject({ id: wamid, status: s, recipient_id: userId, recipient_user_id: userId });
      expect(JSON.stringify(value)).not.toContain(HIDDEN);
    }
    // The window the user opened by writing is the number's: the send went out within it.
    const row = await t.deps.db.kysely.selectFrom('messages').select(['wa_id', 'status']).where('id', '=', wamid).executeTakeFirstOrThrow();
    expect(row).toEqual({ wa_id: HIDDEN, status: 'read' });
  });

  it('a send by number still reaches a user who hides it (Meta documents wa_id as always included then); a named user gets username in delivered/read only', async () => {
    for (const [waId, username] of [
      [HIDDEN, 'max_m'],
      [NAMED, 'Jane.Doe_1'],
    ] as const) {
      const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: waId, type: 'text', text: { body: 'by number' } } });
      expect(sent.status, sent.text).toBe(200);
      const wamid = sent.body.messages[0].id as string;
      for (const s of ['sent', 'delivered', 'read']) {
        const value = await cloudStatus(wamid, s);
        const contact = { wa_id: waId, user_id: bsuid(waId) };
        expect(value.contacts).toEqual([s === 'sent' ? contact : { profile: { username }, ...contact }]);
        expect(value.statuses[0]).toMatchObject({ id: wamid, status: s, recipient_id: waId, recipient_user_id: bsuid(waId) });
      }
    }
  });

  it('showing the number again, and removing the username, brings webhooks back to their usual shape', async () => {
    expect((await setUser(key(), HIDDEN, { hide_number: false, username: null })).body).toMatchObject({ username: null, hide_number: false });
    const res = await inbound(key(), HIDDEN, 'plain again');
    const { id } = res.body.messages[0];
    const value = await cloudInbound(id);
    expect(value.contacts).toEqual([{ profile: { name: 'Jane' }, wa_id: HIDDEN, user_id: bsuid(HIDDEN) }]);
    expect(value.messages[0]).toMatchObject({ from: HIDDEN, from_user_id: bsuid(HIDDEN) });
  });
});
