// The typing indicator on a sandbox number (Meta's mark-as-read with "typing_indicator":{"type":"text"}):
// the user sees "typing…" from the mark-as-read until the business's next message to them or 25
// seconds, whichever comes first. It shows in GET /sandbox/v1/users (business_typing_until) and in
// the sandbox phone's live view, only for that user of that number; a plain mark-as-read shows none.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient } from '../web/phone-client.ts';

const ANA = '4915550008001';
const BEN = '4915550008002';
const START = new Date('2026-12-07T09:00:00.000Z');

describeEachDb('typing indicator (sandbox)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  const clock = new ManualClock(START);
  const key = (q: BootstrapResult = p) => ({ 'D360-API-KEY': q.channel_api_key });
  const inbound = async (from: string, q = p) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key(q), json: { from, type: 'text', text: { body: 'hi' } } });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };
  const markRead = (id: string, typing: boolean, q = p) =>
    t.post('/messages', { headers: key(q), json: { messaging_product: 'whatsapp', status: 'read', message_id: id, ...(typing ? { typing_indicator: { type: 'text' } } : {}) } });
  const text = (to: string, q = p) => t.post('/messages', { headers: key(q), json: { messaging_product: 'whatsapp', to, type: 'text', text: { body: 'Hello' } } });
  const typingOf = async (waId: string, q = p): Promise<string | null | undefined> => {
    const res = await t.get('/sandbox/v1/users', { headers: key(q) });
    expect(res.status, res.text).toBe(200);
    const user = (res.body.users as { wa_id: string; business_typing_until?: string | null }[]).find((u) => u.wa_id === waId);
    expect(user, `user ${waId}`).toBeDefined();
    return user!.business_typing_until;
  };
  const at = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    p = await t.tenant();
    other = await t.tenant();
  });
  afterAll(() => t?.close());

  it('a plain mark-as-read marks the message read and shows no typing', async () => {
    const id = await inbound(ANA);
    const res = await markRead(id, false);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(await typingOf(ANA)).toBeNull();
  });

  it('with typing_indicator: typing for 25 s, for that user of that number only', async () => {
    const id = await inbound(ANA);
    await inbound(BEN);
    await inbound(ANA, other);
    const until = at(25_000);
    const res = await markRead(id, true);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    // The message is read, as by a plain mark-as-read.
    const row = await t.deps.db.kysely.selectFrom('messages').select(['status', 'read_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('read');
    expect(await typingOf(ANA)).toBe(until);
    expect(await typingOf(BEN)).toBeNull();
    expect(await typingOf(ANA, other)).toBeNull();

    clock.advance(24_999);
    expect(await typingOf(ANA)).toBe(until);
    clock.advance(1);
    expect(await typingOf(ANA)).toBeNull();
    // A business message after the 25 s changes nothing visible.
    expect((await text(ANA)).status).toBe(200);
    expect(await typingOf(ANA)).toBeNull();
  });

  it("the business's next message to the user ends it; another user's typing goes on", async () => {
    clock.advance(60_000);
    const ana = await inbound(ANA);
    const ben = await inbound(BEN);
    expect((await markRead(ana, true)).status).toBe(200);
    expect((await markRead(ben, true)).status).toBe(200);
    const benUntil = at(25_000);
    clock.advance(5_000);
    expect(await typingOf(ANA)).not.toBeNull();
    const sent = await text(ANA);
    expect(sent.status, sent.text).toBe(200);
    expect(await typingOf(ANA)).toBeNull();
    expect(await typingOf(BEN)).toBe(benUntil);
    // Typing again after the answer: a new 25 s.
    expect((await markRead(ana, true)).status).toBe(200);
    expect(await typingOf(ANA)).toBe(at(25_000));
    clock.advance(10_000);
    expect((await text(BEN)).status).toBe(200);
    expect(await typingOf(BEN)).toBeNull();
    expect(await typingOf(ANA)).not.toBeNull();
  });

  it("the sandbox phone's live view shows it while it holds, and its version moves when it ends", async () => {
    clock.advance(60_000);
    const phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: BEN, name: 'Ben' });
    const poll = () => phone.get('/sandbox/phone/messages', { accept: 'application/json' });
    const before = await poll();
    expect(before.status).toBe(200);
    expect(before.body.typing).toBeNull();
    expect((await phone.get('/sandbox/phone')).text).toMatch(/<p id="chat-typing"[^>]* hidden>typing…<\/p>/);

    const id = await inbound(BEN);
    expect((await markRead(id, true)).status).toBe(200);
    const typing = await poll();
    expect(typing.body.typing).toBe(at(25_000));
    expect(typing.body.version).not.toBe(before.body.version);
    // The page drawn now shows it too.
    expect((await phone.get('/sandbox/phone')).text).toMatch(/<p id="chat-typing"[^>]*>typing…<\/p>/);
    expect((await phone.get('/sandbox/phone')).text).not.toMatch(/<p id="chat-typing"[^>]* hidden>/);
    // Nothing moved: 304.
    expect((await phone.get('/sandbox/phone/messages', { accept: 'application/json', 'if-none-match': typing.body.version })).status).toBe(304);

    clock.advance(25_000);
    const over = await phone.get('/sandbox/phone/messages', { accept: 'application/json', 'if-none-match': typing.body.version });
    expect(over.status).toBe(200);
    expect(over.body.typing).toBeNull();
  });

  it('bad typing_indicator bodies answer 400 and record nothing', async () => {
    clock.advance(60_000);
    const id = await inbound(ANA);
    for (const typing_indicator of [{ type: 'audio' }, 'text', {}]) {
      const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', status: 'read', message_id: id, typing_indicator } });
      expect(res.status, JSON.stringify(typing_indicator)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100 });
    }
    // Another number's message id: not found on this number, nothing recorded for anyone.
    const theirs = await inbound(ANA, other);
    const res = await markRead(theirs, true);
    expect(res.status).toBe(400);
    expect(await typingOf(ANA)).toBeNull();
    expect(await typingOf(ANA, other)).toBeNull();
  });
});
