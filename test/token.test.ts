import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { describeEachDb } from './helpers/db.ts';
import { bearer, startTestApp, type TestApp } from './helpers/app.ts';
import { ManualClock } from '../src/clock.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

const WINDOW_S = 60;
const MAX_FAILURES = 3;

// Every throttle test sends its own client address (X-Forwarded-For, trusted here), so that the
// per-address counters of one test do not block another.
let addressSeq = 0;
const nextAddress = () => `203.0.113.${++addressSeq}`;
const from = (address: string) => ({ 'x-forwarded-for': address });

describeEachDb('POST /api/v2/token', (kind) => {
  let t: TestApp;
  let clock: ManualClock;
  let a: BootstrapResult;
  let b: BootstrapResult;

  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp(kind, {
      clock,
      env: {
        OPENWABA_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
        OPENWABA_LOGIN_WINDOW_SECONDS: String(WINDOW_S),
        OPENWABA_TRUST_PROXY: 'true',
      },
    });
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t.close());

  const login = (username: string, password: string, address = nextAddress()) =>
    t.post('/api/v2/token', { headers: from(address), json: { username, password } });

  describe('issuing', () => {
    it('answers 200 with a bearer token that lives 24 hours', async () => {
      const res = await login(a.username, a.password);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 86400, refresh_token: expect.any(String) });
      expect(res.body.access_token.split('.')).toHaveLength(3);
    });

    it('the token works as Authorization: Bearer on its own partner, and 403 on another', async () => {
      const { body } = await login(a.username, a.password);
      // Clients build the header as `token_type + " " + access_token`.
      const own = await t.get(`/api/v2/partners/${a.partner_id}`, { headers: { authorization: `${body.token_type} ${body.access_token}` } });
      expect(own.status).toBe(200);
      expect(own.body.id).toBe(a.partner_id);
      const other = await t.get(`/api/v2/partners/${b.partner_id}`, { headers: bearer(body.access_token) });
      expect(other.status).toBe(403);
      expect(other.body.meta).toMatchObject({ success: false, http_code: 403 });
    });

    it('treats the username case-insensitively', async () => {
      const res = await login(`  ${a.username.toUpperCase()}`, a.password);
      expect(res.status).toBe(200);
      const me = await t.get(`/api/v2/partners/${a.partner_id}`, { headers: bearer(res.body.access_token) });
      expect(me.status).toBe(200);
    });
  });

  describe('refusals', () => {
    it('401 for a wrong password, in the OAuth format with a meta block', async () => {
      const res = await login(b.username, 'not-the-password');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: 'invalid_grant',
        error_description: expect.any(String),
        meta: { success: false, http_code: 401, developer_message: expect.any(String) },
      });
      expect(res.text).not.toContain('access_token');
    });

    it('401 for an unknown user, indistinguishable from a wrong password', async () => {
      const wrong = await login(b.username, 'not-the-password');
      const unknown = await login('nobody@openwaba.local', 'whatever');
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual(wrong.body);
    });

    it('400 in the OAuth and meta formats when a field is missing or empty, or the body is malformed', async () => {
      for (const json of [{ username: a.username }, { password: 'x' }, {}, { username: '', password: 'x' }, { grant_type: 'refresh_token' }, { grant_type: 'client_credentials' }]) {
        const res = await t.post('/api/v2/token', { headers: from(nextAddress()), json });
        expect(res.status, JSON.stringify(json)).toBe(400);
        expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String), meta: { success: false, http_code: 400, developer_message: res.body.error_description } });
      }
      const broken = await t.post('/api/v2/token', { headers: { 'content-type': 'application/json' }, raw: '{"username":' });
      expect(broken.status).toBe(400);
      expect(broken.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('Malformed JSON'), meta: { http_code: 400 } });
      const xml = await t.post('/api/v2/token', { headers: { 'content-type': 'application/xml' }, raw: '<a/>' });
      expect(xml.status).toBe(415);
      expect(xml.body).toMatchObject({ error: 'invalid_request', meta: { http_code: 415 } });
      const res = await t.post('/api/v2/token', { json: { password: 'x' } });
      expect(res.body.meta.developer_message).toContain('username');
    });
  });

  describe('form bodies and refresh tokens', () => {
    it('takes a form-encoded body (grant_type=password), as OAuth clients send it', async () => {
      const form = new URLSearchParams({ grant_type: 'password', username: a.username, password: a.password }).toString();
      const res = await t.post('/api/v2/token', { headers: { ...from(nextAddress()), 'content-type': 'application/x-www-form-urlencoded' }, raw: form });
      expect(res.status, res.text).toBe(200);
      expect((await t.get(`/api/v2/partners/${a.partner_id}`, { headers: bearer(res.body.access_token) })).status).toBe(200);
    });

    it('a refresh token gets a new pair without the password; it is no bearer token, and a bearer token is no refresh token', async () => {
      const first = (await login(a.username, a.password)).body;
      const renewed = await t.post('/api/v2/token', { json: { refresh_token: first.refresh_token } });
      expect(renewed.status, renewed.text).toBe(200);
      expect(renewed.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 86400, refresh_token: expect.any(String) });
      expect((await t.get(`/api/v2/partners/${a.partner_id}`, { headers: bearer(renewed.body.access_token) })).status).toBe(200);
      const explicit = await t.post('/api/v2/token', { json: { grant_type: 'refresh_token', refresh_token: renewed.body.refresh_token } });
      expect(explicit.status).toBe(200);

      expect((await t.get(`/api/v2/partners/${a.partner_id}`, { headers: bearer(first.refresh_token) })).status).toBe(401);
      const withAccess = await t.post('/api/v2/token', { json: { refresh_token: first.access_token } });
      expect(withAccess.status).toBe(401);
      expect(withAccess.body).toMatchObject({ error: 'invalid_grant', meta: { http_code: 401 } });
      expect((await t.post('/api/v2/token', { json: { refresh_token: 'x.y.z' } })).status).toBe(401);
    });

    it('a refresh token expires after 30 days', async () => {
      const { body } = await login(a.username, a.password);
      clock.advance(30 * 24 * 3600 * 1000 + 1000);
      const res = await t.post('/api/v2/token', { json: { refresh_token: body.refresh_token } });
      expect(res.status).toBe(401);
      expect(res.body.error_description).toContain('expired');
    });
  });

  describe('throttling repeated failures', () => {
    it('blocks one username after too many failures, from any address, even with the right password', async () => {
      const c = await t.tenant();
      for (let i = 0; i < MAX_FAILURES; i++) expect((await login(c.username, 'wrong')).status).toBe(401);
      const blocked = await login(c.username, c.password);
      expect(blocked.status).toBe(429);
      expect(blocked.body).toMatchObject({ error: 'too_many_requests', error_description: expect.any(String), meta: { success: false, http_code: 429 } });
      const retryAfter = Number(blocked.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_S);
      expect(blocked.text).not.toContain('access_token');
      // Another user is not affected.
      expect((await login(a.username, a.password)).status).toBe(200);
    });

    it('blocks one address after too many failures, whatever the username', async () => {
      const address = nextAddress();
      for (let i = 0; i < MAX_FAILURES; i++) expect((await login(`nobody-${i}@openwaba.local`, 'wrong', address)).status).toBe(401);
      const blocked = await login(a.username, a.password, address);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      // The same user from elsewhere still logs in.
      expect((await login(a.username, a.password)).status).toBe(200);
    });

    it('lifts the block when the window has passed, and Retry-After counts down', async () => {
      const c = await t.tenant();
      for (let i = 0; i < MAX_FAILURES; i++) await login(c.username, 'wrong');
      const first = await login(c.username, c.password);
      expect(first.status).toBe(429);
      clock.advance(20_000);
      const later = await login(c.username, c.password);
      expect(later.status).toBe(429);
      expect(Number(later.headers['retry-after'])).toBe(Number(first.headers['retry-after']) - 20);
      clock.advance(WINDOW_S * 1000);
      const ok = await login(c.username, c.password);
      expect(ok.status).toBe(200);
      expect(ok.body.token_type).toBe('bearer');
    });

    it('concurrent guesses cannot outrun the limit', async () => {
      const c = await t.tenant();
      const res = await Promise.all(Array.from({ length: 12 }, () => login(c.username, 'wrong')));
      const statuses = res.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILURES);
      expect(statuses.filter((s) => s === 429)).toHaveLength(12 - MAX_FAILURES);
      expect((await login(c.username, c.password)).status).toBe(429);
    });

    it('refused attempts from a blocked address do not count against the username', async () => {
      const c = await t.tenant();
      const address = nextAddress();
      for (let i = 0; i < MAX_FAILURES; i++) await login(`nobody-${i}@openwaba.local`, 'wrong', address);
      for (let i = 0; i < MAX_FAILURES + 2; i++) expect((await login(c.username, 'wrong', address)).status).toBe(429);
      expect((await login(c.username, c.password)).status).toBe(200);
    });

    it('successful logins do not count against the address', async () => {
      const address = nextAddress();
      for (let i = 0; i < MAX_FAILURES + 2; i++) expect((await login(a.username, a.password, address)).status).toBe(200);
      expect((await login('nobody-else@openwaba.local', 'wrong', address)).status).toBe(401);
    });

    it('a successful login clears the username count', async () => {
      const c = await t.tenant();
      for (let i = 0; i < MAX_FAILURES - 1; i++) await login(c.username, 'wrong');
      expect((await login(c.username, c.password)).status).toBe(200);
      for (let i = 0; i < MAX_FAILURES - 1; i++) await login(c.username, 'wrong');
      expect((await login(c.username, c.password)).status).toBe(200);
    });
  });

  describe('using tokens', () => {
    it('401 once the token has expired', async () => {
      const { body } = await login(a.username, a.password);
      clock.advance((body.expires_in - 1) * 1000);
      expect((await t.get(`/api/v2/partners/${a.partner_id}`, { headers: bearer(body.access_token) })).status).toBe(200);
      clock.advance(2000);
      const res = await t.get(`/api/v2/partners/${a.partner_id}`, { headers: bearer(body.access_token) });
      expect(res.status).toBe(401);
      expect(res.body.meta).toMatchObject({ success: false, http_code: 401 });
    });

    it('401 for a tampered token', async () => {
      const { body } = await login(a.username, a.password);
      const [header, payload, signature] = body.access_token.split('.') as [string, string, string];
      const flipped = signature.slice(0, 5) + (signature[5] === 'A' ? 'B' : 'A') + signature.slice(6);
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const otherPayload = Buffer.from(JSON.stringify({ ...claims, partner_id: b.partner_id })).toString('base64url');
      for (const token of [`${header}.${payload}.${flipped}`, `${header}.${otherPayload}.${signature}`, `${header}.${payload}.`]) {
        expect((await t.get(`/api/v2/partners/${a.partner_id}`, { headers: bearer(token) })).status).toBe(401);
        expect((await t.get(`/api/v2/partners/${b.partner_id}`, { headers: bearer(token) })).status).toBe(401);
      }
    });

    it('401 for a well-formed token signed with another secret, or with alg none', async () => {
      const now = Math.floor(clock.now().getTime() / 1000);
      const claims = { partner_id: a.partner_id, username: a.username };
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer('openwaba')
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(new TextEncoder().encode('x'.repeat(64)));
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ ...claims, iss: 'openwaba', exp: now + 3600 })}.`;
      for (const token of [forged, unsigned]) {
        expect((await t.get(`/api/v2/partners/${a.partner_id}`, { headers: bearer(token) })).status).toBe(401);
      }
    });

    it('401 for Authorization: Basic, even with the right username and password', async () => {
      const basic = Buffer.from(`${a.username}:${a.password}`).toString('base64');
      const res = await t.get(`/api/v2/partners/${a.partner_id}`, { headers: { authorization: `Basic ${basic}` } });
      expect(res.status).toBe(401);
      expect(res.body.meta).toMatchObject({ success: false, http_code: 401 });
    });
  });
});
