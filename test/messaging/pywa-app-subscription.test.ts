// pywa's start-up with callback_url, app_id and app_secret: GET /{version}/oauth/access_token
// (client credentials; the secret is a channel key, the token that same key) then POST
// /{version}/{app-id}/subscriptions with the token as ?access_token=, which verifies the callback
// as Meta does and sets the channel's webhook URL (routes/graph-app-token.ts, app-subscriptions.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { graphToRoot } from '../../src/messaging/graph-paths.ts';

/** A callback URL: echoes hub.challenge (or not, per mode), records the verification requests. */
class Callback {
  readonly gets: URLSearchParams[] = [];
  readonly paths: string[] = [];
  mode: 'echo' | 'wrong' | 'redirect' = 'echo';
  private readonly server = http.createServer((req, res) => {
    req.resume();
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    this.gets.push(q);
    this.paths.push(new URL(req.url ?? '/', 'http://x').pathname);
    if (this.mode === 'redirect') res.writeHead(302, { location: `${this.url}/elsewhere?${q.toString()}` }).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(this.mode === 'echo' ? (q.get('hub.challenge') ?? '') : 'nope');
  });
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('graphToRoot: the app paths', () => {
  it('/{app-id}/subscriptions (any numeric app id) and /oauth/access_token', () => {
    expect(graphToRoot('/v21.0/1234567890/subscriptions?object=whatsapp_business_account')).toEqual({ url: '/subscriptions?object=whatsapp_business_account', graph: { node: '1234567890', owner: 'none' } });
    expect(graphToRoot('/1234567890/subscriptions', 'POST')?.url).toBe('/subscriptions');
    expect(graphToRoot('/v21.0/app/subscriptions')?.url).toBe('/app/subscriptions');
    expect(graphToRoot('/v21.0/123/subscriptions/x')?.url).toBe('/123/subscriptions/x');
    expect(graphToRoot('/v21.0/oauth/access_token?grant_type=client_credentials')?.url).toBe('/oauth/access_token?grant_type=client_credentials');
  });
});

describeEachDb("pywa's app token and app subscription", (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let cb: Callback;
  const APP_ID = '1234567890';
  const webhookUrl = async () => (await t.get('/v1/configs/webhook', { headers: channelKey(p.channel_api_key) })).body;
  const subscribe = (query: Record<string, string>, headers: Record<string, string> = {}) =>
    t.post(`/v21.0/${APP_ID}/subscriptions?${new URLSearchParams(query).toString()}`, { headers });

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    cb = await new Callback().start();
  });
  afterAll(async () => {
    await t.close();
    await cb.close();
  });

  it('GET oauth/access_token: a channel key as client_secret is the token; anything else is Graph\'s OAuthException', async () => {
    const key = p.channel_api_key;
    const q = (o: Record<string, string>) => new URLSearchParams(o).toString();
    const ok = await t.get(`/v21.0/oauth/access_token?${q({ grant_type: 'client_credentials', client_id: APP_ID, client_secret: key })}`);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ access_token: key, token_type: 'bearer' });
    expect(ok.headers['cache-control']).toBe('no-store');
    // Without the version too, as Graph allows.
    expect((await t.get(`/oauth/access_token?${q({ grant_type: 'client_credentials', client_id: '1', client_secret: key })}`)).body.access_token).toBe(key);

    const wrong = await t.get(`/v21.0/oauth/access_token?${q({ grant_type: 'client_credentials', client_id: APP_ID, client_secret: key + 'x' })}`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ message: 'Error validating client secret.', type: 'OAuthException', code: 1 });
    const missing = await t.get(`/v21.0/oauth/access_token?${q({ grant_type: 'client_credentials', client_id: APP_ID })}`);
    expect(missing.body.error).toMatchObject({ type: 'OAuthException', code: 1 });
    const badId = await t.get(`/v21.0/oauth/access_token?${q({ grant_type: 'client_credentials', client_id: 'app', client_secret: key })}`);
    expect(badId.status).toBe(400);
    expect(badId.body.error).toMatchObject({ type: 'OAuthException', code: 101 });
    const grant = await t.get(`/v21.0/oauth/access_token?${q({ grant_type: 'fb_exchange_token', client_id: APP_ID, client_secret: key })}`);
    expect(grant.status).toBe(400);
    expect(grant.body.error).toMatchObject({ type: 'OAuthException', code: 100 });

    // The secret never reaches the request log.
    const lines = t.logs.filter((l) => l.includes('oauth/access_token'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).not.toContain(key);
    expect(lines.some((l) => l.includes('client_secret=[redacted]'))).toBe(true);
  });

  it('POST /{app-id}/subscriptions: verifies the callback as Meta does, then sets the channel webhook URL', async () => {
    cb.mode = 'echo';
    const before = cb.gets.length;
    // pywa's request: every parameter in the query, the app token as access_token.
    const res = await subscribe({
      object: 'whatsapp_business_account',
      callback_url: `${cb.url}/wa`,
      verify_token: 'pywa-verify',
      fields: 'messages,message_template_status_update,flows',
      access_token: p.channel_api_key,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    const seen = cb.gets.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.get('hub.mode')).toBe('subscribe');
    expect(seen[0]!.get('hub.verify_token')).toBe('pywa-verify');
    expect((await webhookUrl()).url).toBe(`${cb.url}/wa`);

    const list = await t.get(`/v21.0/${APP_ID}/subscriptions`, { headers: bearer(p.channel_api_key) });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ object: 'whatsapp_business_account', callback_url: `${cb.url}/wa`, active: true });
    expect(list.body.data[0].fields).toContainEqual({ name: 'messages', version: expect.stringMatching(/^v\d+\.\d+$/) });
    // The verify token is not logged either.
    for (const l of t.logs.filter((x) => x.includes('/subscriptions?'))) expect(l).not.toContain('pywa-verify');
  });

  it('a callback that does not echo the challenge, or redirects, is Graph\'s 400 code 2200 and changes nothing', async () => {
    const was = (await webhookUrl()).url;
    for (const mode of ['wrong', 'redirect'] as const) {
      cb.mode = mode;
      const res = await subscribe({ object: 'whatsapp_business_account', callback_url: `${cb.url}/${mode}`, verify_token: 'v', fields: 'messages' }, bearer(p.channel_api_key));
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.code).toBe(2200);
    }
    // The redirect was not followed.
    expect(cb.paths).toContain('/redirect');
    expect(cb.paths.some((x) => x.startsWith('/redirect/elsewhere') || x === '/elsewhere')).toBe(false);
    expect((await webhookUrl()).url).toBe(was);
    cb.mode = 'echo';
  });

  it('refuses what Graph refuses: another object, no verify_token, a bad field, another tenant cannot be reached without its key', async () => {
    const auth = bearer(p.channel_api_key);
    const base = { object: 'whatsapp_business_account', callback_url: `${cb.url}/x`, verify_token: 'v', fields: 'messages' };
    for (const bad of [{ ...base, object: 'page' }, { ...base, verify_token: '' }, { ...base, fields: 'messages,Not A Field' }, { ...base, callback_url: 'ftp://example.com/x' }]) {
      const res = await subscribe(bad, auth);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.code).toBe(100);
    }
    const noKey = await subscribe(base);
    expect(noKey.status).toBe(401);
    expect(noKey.body.error.code).toBe(190);
  });
});
