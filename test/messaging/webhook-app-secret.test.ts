// A number's webhook app secret (PUT/POST/GET/DELETE /configs/app_secret and /v1/configs/app_secret):
// with one set, every webhook of the number carries Meta's X-Hub-Signature-256 (sha256=<hex
// HMAC-SHA256 of the raw body>), which a real Cloud API client verifies — whatsapp-api-js's post()
// in its default secure mode, with appSecret; without one, webhooks stay unsigned (360dialog's
// behaviour). Also: the secret is never answered again nor logged, bad input is a 400 in each
// flavour's format, one number's key reaches only its own secret, a retry pending when the secret
// changes is signed with the new one, and the WABA override URL and the extra webhook destinations
// are signed too. Real HTTP, the dispatcher running, a local receiver.
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { WhatsAppAPI } from 'whatsapp-api-js';
import type { PostData } from 'whatsapp-api-js/types';
import type { OnMessageArgs } from 'whatsapp-api-js/emitters';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type HttpResponse, type TestApp } from '../helpers/app.ts';
import { Receiver, type ReceivedRequest } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const PATHS = ['/v1/configs/app_secret', '/configs/app_secret'] as const;
const META_APP_SECRET = '3f2b9c0d41e5a6b7c8d9e0f1a2b3c4d5';

const hmac = (secret: string, raw: string) => `sha256=${createHmac('sha256', secret).update(raw, 'utf8').digest('hex')}`;

/** A Cloud API client as its users configure it: secure mode (the default) with the app secret. */
const client = (appSecret: string) => new WhatsAppAPI({ token: 'unused', appSecret, v: 'v22.0', ponyfill: { fetch: () => Promise.reject(new Error('no calls in this test')) } });

/** The 400's explanation, whichever flavour rendered it (and that it is that flavour's body). */
function errorOf(path: string, res: HttpResponse): string {
  if (path.startsWith('/v1/')) {
    expect(res.body.errors?.[0]).toMatchObject({ code: expect.any(Number), title: expect.any(String), details: expect.any(String) });
    expect(res.body.meta).toMatchObject({ api_status: expect.any(String) });
    return res.body.errors[0].details as string;
  }
  expect(res.body.error).toMatchObject({ type: 'OAuthException', code: 100, fbtrace_id: expect.any(String) });
  expect(res.body.error.message).toBe('(#100) Invalid parameter');
  return res.body.error.error_data.details as string;
}

describeEachDb('webhook app secret: Meta-signed webhooks (X-Hub-Signature-256)', (kind) => {
  let t: TestApp;
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };
  const key = (p: BootstrapResult) => ({ 'D360-API-KEY': p.channel_api_key });
  /** A number whose webhook is `r` (its own URL), or none. */
  const number = async (r: Receiver | null) => {
    const p = await t.tenant();
    if (r) expect((await t.post('/configs/webhook', { headers: key(p), json: { url: `${r.url}/wh` } })).status).toBe(200);
    return p;
  };
  const put = (p: BootstrapResult, json: unknown, path: string = PATHS[1]) => t.put(path, { headers: key(p), json });
  const status = async (p: BootstrapResult, path: string = PATHS[1]) => {
    const res = await t.get(path, { headers: key(p) });
    expect(res.status, res.text).toBe(200);
    return res;
  };
  let userNo = 0;
  /** A user writes to the number; resolves with the webhook request that brought it. */
  const inbound = async (p: BootstrapResult, r: Receiver, body: string): Promise<ReceivedRequest> => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key(p), json: { from: `49176000070${String(++userNo).padStart(2, '0')}`, name: 'Ana', type: 'text', text: { body } } });
    expect(res.status, res.text).toBe(200);
    const id = res.body.messages[0].id as string;
    await r.waitForBody(`the webhook of ${id}`, (bodies) => bodies.some((b) => JSON.stringify(b).includes(id)));
    return r.requests.find((x) => x.body.includes(id))!;
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,150ms' } });
  });
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });
  afterAll(async () => {
    await t.close();
  });

  it('without a secret: GET says not enabled, and webhooks are unsigned (360dialog, unchanged)', async () => {
    const r = await receiver();
    const p = await number(r);
    for (const path of PATHS) expect((await status(p, path)).body).toEqual({ enabled: false, modified_at: null });
    const req = await inbound(p, r, 'unsigned');
    expect(req.headers['x-hub-signature-256']).toBeUndefined();
  });

  it("PUT sets the Meta app's own secret: the webhook carries sha256 HMAC of the exact bytes; whatsapp-api-js accepts it, and refuses another secret", async () => {
    const r = await receiver();
    const p = await number(r);
    const res = await put(p, { app_secret: META_APP_SECRET });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    for (const path of PATHS) {
      const s = await status(p, path);
      expect(s.body).toEqual({ enabled: true, modified_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(s.text).not.toContain(META_APP_SECRET);
    }

    // Non-ASCII text: the body is sent as Meta sends it (ASCII-only JSON), signed as sent.
    const text = 'Olá, café às 8? 😀';
    const req = await inbound(p, r, text);
    const sig = req.headers['x-hub-signature-256'];
    expect(sig).toBe(hmac(META_APP_SECRET, req.body));
    const data = JSON.parse(req.body) as PostData;
    const value = data.entry[0]!.changes[0]!.value as { messages: { text: { body: string } }[] };
    expect(value.messages[0]!.text.body).toBe(text);

    const wa = client(META_APP_SECRET);
    const got: OnMessageArgs[] = [];
    wa.on.message = (args) => void got.push(args);
    await wa.post(data, req.body, sig as string);
    expect(got).toHaveLength(1);
    expect(got[0]!.message).toMatchObject({ type: 'text', text: { body: text } });
    // A user whose framework hands them the parsed body re-serializes it: the library escapes it
    // as Meta's bytes are, and it verifies too.
    await wa.post(data, JSON.stringify(data), sig as string);
    expect(got).toHaveLength(2);
    // Which works because the bytes are Meta's: ASCII-only JSON, non-ASCII text as \u escapes.
    expect(req.body).toMatch(/^[\x20-\x7e]*$/);

    const wrong = client('another-app-secret-0000');
    await expect(wrong.post(data, req.body, sig as string)).rejects.toMatchObject({ httpStatus: 401 });
    // A body changed on the way fails too.
    await expect(wa.post(data, req.body.replace('Ana', 'Eve'), sig as string)).rejects.toMatchObject({ httpStatus: 401 });

    // The request log never shows it (bodies are not logged).
    expect(t.logs.join('\n')).not.toContain(META_APP_SECRET);
  });

  it('POST generates a random secret, shown once (64 hex digits, no-store); webhooks are signed with the newest', async () => {
    const r = await receiver();
    const p = await number(r);
    const first = await t.post(PATHS[0], { headers: key(p) });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ app_secret: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(first.headers['cache-control']).toBe('no-store');
    const second = await t.post(PATHS[1], { headers: { ...key(p), 'content-type': 'application/json' }, raw: '{}' });
    expect(second.status, second.text).toBe(200);
    const secret = second.body.app_secret as string;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(secret).not.toBe(first.body.app_secret);
    for (const path of PATHS) {
      const s = await status(p, path);
      expect(s.body.enabled).toBe(true);
      expect(s.text).not.toContain(secret);
    }
    const req = await inbound(p, r, 'generated');
    expect(req.headers['x-hub-signature-256']).toBe(hmac(secret, req.body));
    const got: OnMessageArgs[] = [];
    const wa = client(secret);
    wa.on.message = (args) => void got.push(args);
    await wa.post(JSON.parse(req.body) as PostData, req.body, req.headers['x-hub-signature-256'] as string);
    expect(got).toHaveLength(1);
    await expect(client(first.body.app_secret).post(JSON.parse(req.body) as PostData, req.body, req.headers['x-hub-signature-256'] as string)).rejects.toMatchObject({ httpStatus: 401 });
    expect(t.logs.join('\n')).not.toContain(secret);

    // A secret given to POST is refused, not ignored (PUT sets one's own).
    for (const path of PATHS) {
      const given = await t.post(path, { headers: key(p), json: { app_secret: META_APP_SECRET } });
      expect(given.status).toBe(400);
      expect(errorOf(path, given)).toContain('PUT');
    }
  });

  it('DELETE stops signing; GET then says not enabled', async () => {
    const r = await receiver();
    const p = await number(r);
    expect((await put(p, { app_secret: META_APP_SECRET }, PATHS[0])).status).toBe(200);
    expect((await inbound(p, r, 'signed')).headers['x-hub-signature-256']).toBeDefined();
    for (const path of PATHS) {
      const del = await t.delete(path, { headers: key(p) });
      expect(del.status, del.text).toBe(200);
      expect(del.body).toEqual({ success: true });
      expect((await status(p, path)).body).toEqual({ enabled: false, modified_at: null });
    }
    const req = await inbound(p, r, 'unsigned again');
    expect(req.headers['x-hub-signature-256']).toBeUndefined();
  });

  it("bad input is a 400 in each flavour's format, naming the rule and never echoing the value; nothing is set", async () => {
    const p = await number(null);
    const bad: [string, unknown, string][] = [
      ['too short', { app_secret: 'short77' }, '8 to 256 characters'],
      ['too long', { app_secret: 'a'.repeat(257) }, '8 to 256 characters'],
      ['a number', { app_secret: 12345678 }, 'must be a string'],
      ['null', { app_secret: null }, 'must be a string'],
      ['an object', { app_secret: { value: 'abcdefghij' } }, 'must be a string'],
      ['non-ASCII', { app_secret: 'sécret-de-lapp' }, 'printable ASCII'],
      ['an emoji', { app_secret: 'secret-😀-value' }, 'printable ASCII'],
      ['a space', { app_secret: 'my app secret' }, 'printable ASCII'],
      ['a control character', { app_secret: 'secret\u0000value' }, 'printable ASCII'],
      ['missing', {}, 'app_secret is required'],
      ['another field', { app_secret: META_APP_SECRET, secret: 'x' }, 'Unknown field "secret"'],
      ['an array', [META_APP_SECRET], 'JSON object'],
      ['a string', META_APP_SECRET, 'JSON object'],
    ];
    for (const path of PATHS) {
      for (const [label, body, rule] of bad) {
        const res = await put(p, body, path);
        expect(res.status, `${path} ${label}: ${res.text}`).toBe(400);
        expect(errorOf(path, res), `${path} ${label}`).toContain(rule);
        if (typeof (body as { app_secret?: unknown }).app_secret === 'string') expect(res.text).not.toContain((body as { app_secret: string }).app_secret);
      }
      const none = await t.put(path, { headers: key(p) });
      expect(none.status).toBe(400);
      expect(errorOf(path, none)).toContain('JSON object');
      const malformed = await t.put(path, { headers: { ...key(p), 'content-type': 'application/json' }, raw: '{"app_secret":' });
      expect(malformed.status).toBe(400);
      errorOf(path, malformed);
      // DELETE takes no body either: one with a secret in it is refused, and nothing is removed.
      const del = await t.delete(path, { headers: key(p), json: { app_secret: META_APP_SECRET } });
      expect(del.status).toBe(400);
      expect(errorOf(path, del)).toContain('takes no body');
    }
    expect((await status(p)).body).toEqual({ enabled: false, modified_at: null });
    // The edges of the rule are taken: 8 and 256 visible ASCII characters.
    for (const secret of ['!"#$%&~}', 'x'.repeat(256)]) expect((await put(p, { app_secret: secret })).status).toBe(200);
    // Without a valid key: 360's key error, nothing else.
    const anon = await t.put(PATHS[1], { headers: { 'D360-API-KEY': 'not-a-key' }, json: { app_secret: META_APP_SECRET } });
    expect(anon.status).toBe(401);
  });

  it("one number's key sees and changes only its own secret", async () => {
    const r = await receiver();
    const p = await number(r);
    const q = await number(null);
    expect((await put(p, { app_secret: META_APP_SECRET })).status).toBe(200);
    for (const path of PATHS) expect((await status(q, path)).body).toEqual({ enabled: false, modified_at: null });
    // q's own changes touch q only.
    expect((await put(q, { app_secret: 'q-secret-q-secret' })).status).toBe(200);
    expect((await t.post(PATHS[0], { headers: key(q) })).status).toBe(200);
    for (const path of PATHS) expect((await t.delete(path, { headers: key(q) })).status).toBe(200);
    expect((await status(q)).body.enabled).toBe(false);
    expect((await status(p)).body.enabled).toBe(true);
    const req = await inbound(p, r, 'still mine');
    expect(req.headers['x-hub-signature-256']).toBe(hmac(META_APP_SECRET, req.body));
  });

  it('a retry pending when the secret changes is signed with the new secret (read at delivery time)', async () => {
    const r = await receiver();
    const p = await number(r);
    expect((await put(p, { app_secret: 'old-secret-0001' })).status).toBe(200);
    // The first attempt fails and asks for 2 s; the secret changes meanwhile.
    r.respond({ status: 503, headers: { 'retry-after': '2' } });
    const res = await t.post('/sandbox/v1/inbound', { headers: key(p), json: { from: '4917600007199', name: 'Ana', type: 'text', text: { body: 'retried' } } });
    expect(res.status, res.text).toBe(200);
    await r.waitFor(1);
    const first = r.requests[0]!;
    expect(first.headers['x-hub-signature-256']).toBe(hmac('old-secret-0001', first.body));
    expect((await put(p, { app_secret: 'new-secret-0002' })).status).toBe(200);
    await r.waitFor(2);
    const retry = r.requests[1]!;
    expect(retry.body).toBe(first.body);
    expect(retry.headers['x-hub-signature-256']).toBe(hmac('new-secret-0002', retry.body));
  });

  it("the WABA's override URL and the extra webhook destinations are signed too; a custom header of that name gives way", async () => {
    // Override: the number has no URL of its own, its WABA has an override.
    const o = await receiver();
    const p = await number(null);
    await t.deps.db.kysely.updateTable('waba_accounts').set({ override_callback_uri: `${o.url}/override` }).where('id', '=', p.waba_account_id).execute();
    expect((await put(p, { app_secret: META_APP_SECRET })).status).toBe(200);
    const viaOverride = await inbound(p, o, 'to the override');
    expect(viaOverride.url).toBe('/override');
    expect(viaOverride.headers['x-hub-signature-256']).toBe(hmac(META_APP_SECRET, viaOverride.body));

    // Destinations: each copy signed with the number's secret, with its own headers.
    const main = await receiver();
    const dest = await receiver();
    const q = await t.tenant();
    // A custom header of that name is refused now (a reserved header: openwaba signs); one stored
    // before that rule (written here directly) gives way to the real signature at delivery.
    expect((await t.post('/configs/webhook', { headers: key(q), json: { url: `${main.url}/main`, headers: { 'X-Hub-Signature-256': 'sha256=forged' } } })).status).toBe(400);
    expect((await t.post('/configs/webhook', { headers: key(q), json: { url: `${main.url}/main` } })).status).toBe(200);
    await t.deps.db.kysely.updateTable('channels').set({ webhook_headers: JSON.stringify({ 'X-Hub-Signature-256': 'sha256=forged' }) }).where('id', '=', q.channel_id).execute();
    const multi = await t.post('/multi_webhook', { headers: key(q), json: { enabled: true, destinations: [{ name: 'crm', url: `${dest.url}/crm`, headers: { 'X-Destination': 'crm' } }] } });
    expect(multi.status, multi.text).toBe(200);
    const secret = (await t.post(PATHS[1], { headers: key(q) })).body.app_secret as string;
    const onMain = await inbound(q, main, 'copied');
    expect(onMain.headers['x-hub-signature-256']).toBe(hmac(secret, onMain.body));
    await dest.waitFor(1);
    const copy = dest.requests[0]!;
    expect(copy.body).toBe(onMain.body);
    expect(copy.headers['x-destination']).toBe('crm');
    expect(copy.headers['x-hub-signature-256']).toBe(hmac(secret, copy.body));
  });
});
