// The sandbox phone's way in: a channel key typed into a form (kept server-side only), or a Hub
// user's own sandbox channels; CSRF on every form; a session sees only its own channel.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';
import { setChannelStatus } from '../../src/services/channel-lifecycle.ts';
import { hashSecret } from '../../src/crypto.ts';
import { PhoneClient } from './phone-client.ts';

describeEachDb('sandbox phone: keys, sessions, CSRF, scoping', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  const keyA = () => ({ 'D360-API-KEY': a.channel_api_key });
  const keyB = () => ({ 'D360-API-KEY': b.channel_api_key });

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant({ brandName: 'Acme' });
    b = await t.tenant({ brandName: 'Bolt' });
  });
  afterAll(async () => t?.close());

  it('shows the key form with a session cookie scoped to the phone', async () => {
    const phone = new PhoneClient(t);
    const res = await phone.get('/sandbox/phone');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<label for="api_key">');
    expect(res.text).toContain('type="password"');
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('ow_phone='));
    expect(cookie).toMatch(/Path=\/sandbox\/phone/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('an unknown path under the phone is a 404 phone page (JSON only for the page script), with the path escaped', async () => {
    const phone = new PhoneClient(t);
    const res = await phone.get('/sandbox/phone/nope/<b>x</b>');
    expect(res.status).toBe(404);
    expect(String(res.headers['content-type'])).toMatch(/text\/html/);
    expect(res.text).toContain('There is no page at /sandbox/phone/nope/');
    expect(res.text).not.toContain('<b>x</b>');
  });

  it('a wrong key is a 401 page that does not echo the key', async () => {
    const phone = new PhoneClient(t);
    await phone.get('/sandbox/phone');
    const guess = `wrong${randomBytes(8).toString('hex')}`;
    const res = await phone.post('/sandbox/phone/key', { api_key: guess });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('does not belong to any channel');
    expect(res.text).not.toContain(guess);
    const empty = await phone.post('/sandbox/phone/key', { api_key: '' });
    expect(empty.status).toBe(400);
    const huge = await phone.post('/sandbox/phone/key', { api_key: 'x'.repeat(5000) });
    expect(huge.status).toBe(400);
  });

  it('the key form needs the CSRF token of the visitor’s session', async () => {
    const phone = new PhoneClient(t);
    await phone.get('/sandbox/phone');
    const missing = await phone.post('/sandbox/phone/key', { api_key: a.channel_api_key, _csrf: '' });
    expect(missing.status).toBe(403);
    const forged = await phone.post('/sandbox/phone/key', { api_key: a.channel_api_key, _csrf: 'x'.repeat(43) });
    expect(forged.status).toBe(403);
    // No session cookie at all (a cross-site post): refused as well.
    const stranger = await t.post('/sandbox/phone/key', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: `api_key=${a.channel_api_key}&_csrf=abc` });
    expect(stranger.status).toBe(403);
    expect(stranger.text).not.toContain(a.channel_api_key);
  });

  it('the right key opens the phone; the key is in neither page, cookie nor session row', async () => {
    const phone = new PhoneClient(t);
    await phone.get('/sandbox/phone');
    const before = phone.cookie('ow_phone');
    const res = await phone.post('/sandbox/phone/key', { api_key: a.channel_api_key });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/sandbox/phone');
    expect(phone.cookie('ow_phone')).not.toBe(before); // a fresh session id after picking a channel
    const page = await phone.get('/sandbox/phone');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Who are you?');
    expect(page.text).toContain(a.phone_number);
    expect(page.text).not.toContain(a.channel_api_key);
    const rows = await t.deps.db.kysely.selectFrom('web_sessions').select(['subject']).where('kind', '=', 'phone').execute();
    for (const r of rows) expect(r.subject).not.toContain(a.channel_api_key);
    // CSRF on the user form too.
    expect((await phone.post('/sandbox/phone/user', { wa_id: '4917000000001', name: 'Ann', _csrf: 'nope' })).status).toBe(403);
    expect((await phone.post('/sandbox/phone/user', { wa_id: '12', name: 'Ann' })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/user', { wa_id: a.phone_number, name: 'Me' })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/user', { wa_id: '+49 170 0000001', name: 'Ann' })).status).toBe(303);
    const chat = await phone.get('/sandbox/phone');
    expect(chat.text).toContain('You are <strong>Ann</strong>');
    expect(chat.text).toContain('+491700000001');
  });

  it("another channel's messages never show, and cannot be tapped or reacted to", async () => {
    const waId = '4917000000002';
    const own = await t.post('/sandbox/v1/inbound', { headers: keyA(), json: { from: waId, name: 'Eve', text: { body: 'to Acme' } } });
    const other = await t.post('/sandbox/v1/inbound', { headers: keyB(), json: { from: waId, name: 'Eve', text: { body: 'to Bolt only' } } });
    const bolt = await t.post('/messages', {
      headers: keyB(),
      json: { messaging_product: 'whatsapp', to: waId, type: 'interactive', interactive: { type: 'button', body: { text: 'Bolt asks' }, action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }] } } },
    });
    expect([own.status, other.status, bolt.status]).toEqual([200, 200, 200]);
    const phone = new PhoneClient(t);
    await phone.open(a.channel_api_key, { wa_id: waId, name: 'Eve' });
    expect(phone.last!.text).toContain('to Acme');
    expect(phone.last!.text).not.toContain('to Bolt only');
    expect(phone.last!.text).not.toContain('Bolt asks');
    const items = await phone.items();
    expect(items.map((i) => i.id)).toEqual([own.body.messages[0].id]);
    const boltId = bolt.body.messages[0].id;
    expect((await phone.post('/sandbox/phone/reply', { message_id: boltId, choice: 'yes' })).status).toBe(404);
    expect((await phone.post('/sandbox/phone/react', { message_id: other.body.messages[0].id, emoji: '👍' })).status).toBe(404);
    const stored = await t.get('/sandbox/v1/messages', { headers: keyB(), query: { wa_id: waId } });
    expect(stored.body.messages).toHaveLength(2); // nothing new on Bolt's channel
  });

  it('the live endpoint needs a phone session with a user', async () => {
    const anon = await t.get('/sandbox/phone/messages', { headers: { accept: 'application/json' } });
    expect(anon.status).toBe(401);
    expect(anon.body).toEqual({ error: expect.any(String) });
    const phone = new PhoneClient(t);
    await phone.get('/sandbox/phone');
    await phone.post('/sandbox/phone/key', { api_key: a.channel_api_key });
    const noUser = await phone.get('/sandbox/phone/messages', { accept: 'application/json' });
    expect(noUser.status).toBe(409);
  });

  it('a revoked key ends the phone’s access to the channel', async () => {
    const tenant = await t.tenant({ brandName: 'Revoke' });
    const phone = new PhoneClient(t);
    await phone.open(tenant.channel_api_key, { wa_id: '4917000000003', name: 'Rita' });
    expect((await phone.post('/sandbox/phone/text', { body: 'before' })).status).toBe(303);
    const channel = await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', tenant.channel_id).executeTakeFirstOrThrow();
    const fresh = await createChannelApiKey(t.deps, channel); // revokes the old key
    // The page's script polls: the poll is what notices first, and says why.
    const poll = await phone.get('/sandbox/phone/messages', { accept: 'application/json' });
    expect(poll.status).toBe(401);
    expect(poll.body.error).toMatch(/^This phone session has ended\. The channel's API key was revoked or replaced/);
    // The page the user then reloads still says why, above the key form, however often reloaded.
    for (let i = 0; i < 2; i++) {
      const page = await phone.get('/sandbox/phone');
      expect(page.status).toBe(200);
      expect(page.text).toMatch(/<p class="alert" role="alert" id="phone-error">This phone session has ended\. The channel&#39;s API key was revoked or replaced: enter the channel&#39;s current key/);
      expect(page.text).toContain('<label for="api_key">');
    }
    const after = await phone.post('/sandbox/phone/text', { body: 'after' });
    expect(after.status).toBe(401);
    expect(after.text).toContain('API key was revoked or replaced');
    // The current key opens the phone again, and the old news is gone.
    expect((await phone.post('/sandbox/phone/key', { api_key: fresh.api_key })).status).toBe(303);
    const reopened = await phone.get('/sandbox/phone');
    expect(reopened.text).toContain('Who are you?');
    expect(reopened.text).not.toContain('revoked');
  });

  it('a cancelled channel ends the phone, and the phone says so', async () => {
    const tenant = await t.tenant({ brandName: 'Cancel' });
    const phone = new PhoneClient(t);
    await phone.open(tenant.channel_api_key, { wa_id: '4917000000004', name: 'Carl' });
    await setChannelStatus(t.deps, tenant.channel_id, 'terminated', { partnerId: tenant.partner_id });
    const failed = await phone.post('/sandbox/phone/text', { body: 'anyone?' }, { json: true });
    expect(failed.status).toBe(401);
    expect(failed.body.error).toBe('This phone session has ended. This channel is cancelled.');
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('This phone session has ended. This channel is cancelled.');
  });

  it('a channel on Meta’s network cannot be opened', async () => {
    const tenant = await t.tenant({ brandName: 'Meta' });
    await t.deps.db.kysely.updateTable('channels').set({ network: 'meta' }).where('id', '=', tenant.channel_id).execute();
    const phone = new PhoneClient(t);
    await phone.get('/sandbox/phone');
    const res = await phone.post('/sandbox/phone/key', { api_key: tenant.channel_api_key });
    expect(res.status).toBe(403);
    expect(res.text).toContain('not the sandbox');
  });

  it("a Hub user picks one of their partner's sandbox channels, never another partner's", async () => {
    const user = await t.deps.db.kysely.selectFrom('hub_users').select(['id']).where('partner_id', '=', a.partner_id).executeTakeFirstOrThrow();
    const sid = randomBytes(32).toString('base64url');
    const now = Date.now();
    await t.deps.db.kysely
      .insertInto('web_sessions')
      .values({ id_hash: hashSecret(sid), kind: 'hub', subject: JSON.stringify({ userId: user.id, partnerId: a.partner_id, username: a.username }), csrf_token: 'hubcsrf'.padEnd(43, 'x'), created_at: new Date(now).toISOString(), expires_at: new Date(now + 3600_000).toISOString() })
      .execute();
    const phone = new PhoneClient(t);
    expect((await phone.get('/hub/sandbox-phone')).status).toBe(401);
    phone.setCookie('ow_hub', sid);
    const list = await phone.get('/hub/sandbox-phone');
    expect(list.status).toBe(200);
    expect(list.text).toContain(a.phone_number);
    expect(list.text).not.toContain(b.phone_number);
    expect((await phone.post('/hub/sandbox-phone', { channel_id: a.channel_id, _csrf: 'wrong' })).status).toBe(403);
    expect((await phone.post('/hub/sandbox-phone', { channel_id: b.channel_id })).status).toBe(404);
    const pick = await phone.post('/hub/sandbox-phone', { channel_id: a.channel_id });
    expect(pick.status).toBe(303);
    expect(pick.headers.location).toBe('/sandbox/phone');
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('Who are you?');
    expect(page.text).toContain(a.phone_number);
  });
});
