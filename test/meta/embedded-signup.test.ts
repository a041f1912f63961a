// Integrated Onboarding with Meta's Embedded Signup: the client connects a real number with
// Facebook instead of typing a sandbox number, and the permission step creates the channel on
// Meta's network (code exchanged, app subscribed, number registered with a sealed PIN), ready to
// send. Meta refusing or unreachable re-renders the step with the reason and creates nothing; the
// token and the PIN appear in no page, answer, session row or log line.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, graphErrorBody, type GraphRequest } from '../helpers/fake-graph.ts';
import { OnboardingClient, type Page } from '../web/onboarding-client.ts';
import { attachMetaChannel, metaCredentials } from '../../src/network/meta/channels.ts';
import { openPin } from '../../src/network/meta/embedded-signup.ts';

const KEY_HEX = 'e'.repeat(64);
const APP_ID = '1234567890123';
const CONFIG_ID = '987654321098765';
const APP_SECRET = 'app-secret-' + 'z'.repeat(24);
const WABA = '102290129377701';
let pnSeq = 0;
/** A fresh Meta phone number id per test (meta_channels.phone_number_id is unique). */
const newPnid = () => `1065403522${String(40000 + ++pnSeq)}`;
const REDIRECT = 'https://partner.example/connected';

export const ES_ENV = {
  OPENWABA_SECRET_KEY: KEY_HEX,
  OPENWABA_META_APP_ID: APP_ID,
  OPENWABA_META_ES_CONFIG_ID: CONFIG_ID,
  OPENWABA_META_APP_SECRET: APP_SECRET,
  OPENWABA_META_TIMEOUT: '500ms',
};

describeEachDb('Integrated Onboarding with Embedded Signup', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let pid: string;
  let partnerApiKey: string;
  let seq = 0;
  /** Every page and answer the client saw in this file: the secrets must be in none of them. */
  const seen: string[] = [];

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: { ...ES_ENV, OPENWABA_META_GRAPH_URL: graph.url } });
    const tenant = await t.tenant({ brandName: 'Acme Bots' });
    pid = tenant.partner_id;
    partnerApiKey = tenant.partner_api_key;
    const res = await t.patch(`/api/v2/partners/${pid}`, { headers: partnerKey(partnerApiKey), json: { partner_redirect_url: REDIRECT } });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });
  beforeEach(() => graph.reset());

  const base = () => `/dashboard/app/${pid}`;
  const keep = (p: Page) => {
    seen.push(JSON.stringify(p.headers), p.html);
    return p;
  };

  /** A new client signed up, at the number step (Facebook's). */
  async function atNumberStep(query = 'state=st-1'): Promise<OnboardingClient> {
    const c = new OnboardingClient(t.baseUrl);
    keep(await c.get(`${base()}/permissions?${query}`));
    const n = ++seq;
    const page = keep(await c.post(`${base()}/signup`, { name: `Dana ${n}`, email: `dana${n}.${kind}@shop.example`, password: 'correct horse battery' }));
    expect(page.status).toBe(200);
    return c;
  }

  const connect = async (c: OnboardingClient, form: Record<string, string>) => keep(await c.post(`${base()}/embedded-signup`, form));
  const grant = async (c: OnboardingClient) => keep(await c.post(`${base()}/permission`, { grant: 'yes' }));
  const channelsOf = (partnerId: string) => t.deps.db.kysely.selectFrom('channels').selectAll().where('partner_id', '=', partnerId).execute();
  const graphCalls = (reqs: GraphRequest[] = graph.requests) => reqs.map((r) => `${r.method} ${r.path.split('?')[0]}`);

  it('the number step is Facebook’s: the SDK is loaded by the page, its CSP allows exactly Facebook, and no sandbox number can be typed in', async () => {
    const c = await atNumberStep();
    const page = c.last!;
    expect(page.html).toContain('id="es-connect"');
    expect(page.html).toContain(`data-app-id="${APP_ID}"`);
    expect(page.html).toContain(`data-config-id="${CONFIG_ID}"`);
    expect(page.html).toContain('data-sdk-url="https://connect.facebook.net/en_US/sdk.js"');
    expect(page.html).toContain('data-origins="https://www.facebook.com https://web.facebook.com"');
    expect(page.html).toContain('/assets/embedded-signup.js');
    expect(page.html).not.toContain('name="number"');
    expect(page.html).not.toContain('>Verification<');
    const csp = String(page.headers['content-security-policy']);
    const directive = (name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `));
    expect(directive('script-src')).toBe("script-src 'self' https://connect.facebook.net");
    expect(directive('frame-src')).toBe("frame-src 'self' https://www.facebook.com https://web.facebook.com");
    expect(directive('connect-src')).toBe("connect-src 'self' https://www.facebook.com https://web.facebook.com");
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
    // Any other page keeps the strict policy.
    const other = await new OnboardingClient(t.baseUrl).get(`${base()}/permissions`);
    expect(other.headers['content-security-policy']).not.toContain('facebook');
    // The script itself is served.
    const js = await t.get('/assets/embedded-signup.js');
    expect(js.status).toBe(200);
    expect(js.text).toContain('WA_EMBEDDED_SIGNUP');
    // The sandbox's number form is refused.
    const typed = keep(await c.post(`${base()}/phone`, { number: '4915112345678', display_name: 'Shop' }));
    expect(typed.status).toBe(409);
    expect(graph.requests).toHaveLength(0);
  });

  it('code → token (sealed in the session) → permission: subscribed, registered with a sealed PIN, channel on Meta ready to send, back to the partner', async () => {
    const pnid = newPnid();
    const c = await atNumberStep('state=st-42');
    const before = (await channelsOf(pid)).length;
    const code = `AQD${'c'.repeat(40)}-ok-${kind}`;
    let page = await connect(c, { code, phone_number_id: pnid, waba_id: WABA });
    expect(page.status).toBe(200);
    // Exchanged at once, as the app; then Meta is asked which number this is (read only).
    expect(graphCalls()).toEqual(['GET /v23.0/oauth/access_token', `GET /v23.0/${pnid}`]);
    const exchange = new URL(graph.requests[0]!.path, 'http://x').searchParams;
    expect(Object.fromEntries(exchange)).toEqual({ client_id: APP_ID, client_secret: APP_SECRET, code });
    const token = graph.tokensIssued.get(code)!;
    expect(graph.requests[1]!.headers.authorization).toBe(`Bearer ${token}`);
    // The permission step shows the number Meta named.
    const number = `1555010${pnid.slice(-4)}`;
    expect(page.html).toContain('name="grant"');
    expect(page.html).toContain(`+${number}`);
    expect(page.html).toContain('Fake Graph Business');
    expect(page.html).toContain('id="via-facebook"');
    // The session row holds the token only sealed.
    const sessions = await t.deps.db.kysely.selectFrom('web_sessions').select('subject').execute();
    expect(sessions.some((s) => s.subject.includes(pnid))).toBe(true);
    expect(sessions.every((s) => !s.subject.includes(token))).toBe(true);
    // Nothing changed at Meta, nothing created yet.
    expect((await channelsOf(pid)).length).toBe(before);

    graph.reset();
    page = await grant(c);
    expect(page.status).toBe(303);
    const target = new URL(page.location!);
    expect(`${target.origin}${target.pathname}`).toBe(REDIRECT);
    const client = target.searchParams.get('client')!;
    const channels = await channelsOf(pid);
    const ch = channels.find((x) => x.client_id === client)!;
    expect(target.searchParams.get('channels')).toBe(`[${ch.id}]`);
    expect(target.searchParams.get('state')).toBe('st-42');
    expect(ch).toMatchObject({ network: 'meta', account_mode: 'live', external_id: pnid, phone_number: number, phone_name: 'Fake Graph Business', status: 'ready', availability_status: 'ready', current_limit: 'TIER_10K' });
    // The attach's checks and subscription, then the registration with a 6-digit PIN.
    expect(graphCalls()).toEqual([`GET /v23.0/${pnid}`, `GET /v23.0/${WABA}/phone_numbers`, `POST /v23.0/${WABA}/subscribed_apps`, `POST /v23.0/${pnid}/register`]);
    expect(graph.requests.every((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);
    const register = graph.requests[3]!.json;
    expect(register).toEqual({ messaging_product: 'whatsapp', pin: expect.stringMatching(/^\d{6}$/) });
    const pin = register.pin as string;
    // Token and PIN sealed in meta_channels, bound to the channel.
    const row = await t.deps.db.kysely.selectFrom('meta_channels').selectAll().where('channel_id', '=', ch.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ phone_number_id: pnid, waba_id: WABA });
    expect(row.access_token_sealed).not.toContain(token);
    expect(row.pin_sealed).toMatch(/^v1\./);
    expect(row.pin_sealed).not.toContain(pin);
    expect(openPin(Buffer.from(KEY_HEX, 'hex'), row.pin_sealed!, ch.id)).toBe(pin);
    expect((await metaCredentials(t.deps, ch.id))?.accessToken).toBe(token);
    // The partner's events, as in the sandbox flow (ready at once: no setup job).
    const events = await t.deps.db.kysely.selectFrom('webhook_events').select(['event_type', 'body']).where('partner_id', '=', pid).where('target_type', '=', 'partner').orderBy('id').execute();
    const mine = events.filter((e) => e.body.includes(client)).map((e) => e.event_type);
    expect(mine).toEqual(['client_created', 'channel_created', 'channel_submitted', 'channel_ready']);
    const created = JSON.parse(events.find((e) => e.event_type === 'channel_created' && e.body.includes(ch.id))!.body);
    expect(created.data).toMatchObject({ id: ch.id, external_id: pnid, account_mode: 'live' });
    const jobs = await t.deps.db.kysely.selectFrom('jobs').select('ref_id').where('ref_id', '=', ch.id).execute();
    expect(jobs).toEqual([]);

    // The partner makes the channel's key; a send goes to Meta with the business's token.
    const key = await t.post(`/api/v2/partners/${pid}/channels/${ch.id}/api_keys`, { headers: partnerKey(partnerApiKey) });
    expect(key.status).toBe(201);
    graph.reset();
    const sent = await t.post('/messages', { headers: { 'd360-api-key': key.body.api_key }, json: { messaging_product: 'whatsapp', to: '4915123456789', type: 'text', text: { body: 'Hello' } } });
    expect(sent.status).toBe(200);
    expect(graph.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`)).toEqual([`POST /v23.0/${pnid}/messages Bearer ${token}`]);

    // The client is at "your numbers"; nothing pending stays in the session.
    const after = await t.deps.db.kysely.selectFrom('web_sessions').select('subject').execute();
    expect(after.some((s) => s.subject.includes(pnid))).toBe(false);
    // Never shown, answered or logged: token, PIN, app secret.
    const everything = [...seen, ...t.logs].join('\n');
    for (const secret of [token, pin, APP_SECRET]) expect(everything).not.toContain(secret);
    expect(everything).toContain(`+${number}`); // (the search itself works)

    // The operator attaches other credentials: the PIN kept from the signup belonged to them, and goes.
    await attachMetaChannel(t.deps, ch.id, { phoneNumberId: pnid, wabaId: WABA, accessToken: 'EAAG' + 'z'.repeat(40) });
    const reattached = await t.deps.db.kysely.selectFrom('meta_channels').select('pin_sealed').where('channel_id', '=', ch.id).executeTakeFirstOrThrow();
    expect(reattached.pin_sealed).toBeNull();
  });

  it('Meta refusing the code (used, expired) renders Facebook’s step again with Meta’s reason; nothing is created, nothing registered', async () => {
    const pnid = newPnid();
    const c = await atNumberStep();
    const before = (await channelsOf(pid)).length;
    const remove = graph.on((r) => (r.path.includes('/oauth/access_token') ? { status: 400, json: graphErrorBody(100, 'This authorization code has expired.', { subcode: 36007 }) } : undefined));
    let page = await connect(c, { code: 'AQDexpiredcode123', phone_number_id: pnid, waba_id: WABA });
    remove();
    expect(page.status).toBe(400);
    expect(page.html).toContain('id="es-connect"');
    expect(page.html).toContain('role="alert"');
    expect(page.html).toContain('This authorization code has expired.');
    expect(page.html).not.toContain(APP_SECRET);
    expect(graphCalls()).toEqual(['GET /v23.0/oauth/access_token']);

    // A code works once: the second exchange of the same code is refused by Meta.
    const code = 'AQDsinglecode456789';
    page = await connect(c, { code, phone_number_id: pnid, waba_id: WABA });
    expect(page.status).toBe(200);
    const c2 = await atNumberStep();
    page = await connect(c2, { code, phone_number_id: pnid, waba_id: WABA });
    expect(page.status).toBe(400);
    expect(page.html).toContain('This authorization code has been used.');
    expect(page.html).toContain('id="es-connect"');
    expect((await channelsOf(pid)).length).toBe(before);
    expect(graph.requests.some((r) => r.path.endsWith('/register') || r.path.endsWith('/subscribed_apps'))).toBe(false);
  });

  it('Meta unreachable (connection reset, no answer in time) renders the step again with a clear message, never a 500; nothing is created', async () => {
    const c = await atNumberStep();
    const before = (await channelsOf(pid)).length;
    graph.respond({ reset: true });
    let page = await connect(c, { code: 'AQDunreachable0001', phone_number_id: newPnid(), waba_id: WABA });
    expect(page.status).toBe(502);
    expect(page.html).toContain('Meta could not be reached to finish connecting your number');
    expect(page.html).toContain('id="es-connect"');
    graph.respond({ hang: true });
    page = await connect(c, { code: 'AQDunreachable0002', phone_number_id: newPnid(), waba_id: WABA });
    expect(page.status).toBe(502);
    expect(page.html).toContain('did not answer within 0.5 s');
    expect((await channelsOf(pid)).length).toBe(before);
    const logs = t.logs.join('\n');
    expect(logs).not.toContain('onboarding page failed');
    expect(logs).not.toContain(APP_SECRET);
  });

  it('Meta refusing the registration at the permission step: the reason is shown, nothing is created; granting again registers with the same sealed PIN', async () => {
    const pnid = newPnid();
    const c = await atNumberStep();
    const before = (await channelsOf(pid)).length;
    expect((await connect(c, { code: 'AQDregister-refused', phone_number_id: pnid, waba_id: WABA })).status).toBe(200);
    graph.reset();
    const remove = graph.on((r) => (r.path.endsWith('/register') ? { status: 400, json: graphErrorBody(133005, 'Two step verification PIN Mismatch') } : undefined));
    let page = await grant(c);
    remove();
    expect(page.status).toBe(400);
    expect(page.html).toContain('Two step verification PIN Mismatch');
    expect(page.html).toContain('name="grant"');
    expect((await channelsOf(pid)).length).toBe(before);
    const firstPin = graph.requests.find((r) => r.path.endsWith('/register'))!.json.pin;

    graph.reset();
    page = await grant(c);
    expect(page.status).toBe(303);
    expect(graph.requests.find((r) => r.path.endsWith('/register'))!.json.pin).toBe(firstPin);
    expect((await channelsOf(pid)).length).toBe(before + 1);
    // Meta unreachable at the permission step: the same page, a 502 with the reason.
    const c2 = await atNumberStep();
    expect((await connect(c2, { code: 'AQDpermission-unreach', phone_number_id: newPnid(), waba_id: WABA })).status).toBe(200);
    graph.respond({ reset: true });
    page = await grant(c2);
    expect(page.status).toBe(502);
    expect(page.html).toContain('Meta could not be reached');
    expect(page.html).toContain('name="grant"');
    expect((await channelsOf(pid)).length).toBe(before + 1);
  });

  it('a number already connected (by Meta phone_number_id, or by its phone number) is refused before Meta is asked anything more', async () => {
    const pnid = newPnid();
    const c = await atNumberStep();
    await connect(c, { code: 'AQDfirst-of-two-aaa', phone_number_id: pnid, waba_id: WABA });
    expect((await grant(c)).status).toBe(303);

    graph.reset();
    const again = await atNumberStep();
    const page = await connect(again, { code: 'AQDsecond-of-two-bb', phone_number_id: pnid, waba_id: WABA });
    expect(page.status).toBe(409);
    expect(page.html).toContain('already connected to Acme Bots');
    expect(graph.requests).toHaveLength(0);

    // Another partner's client cannot take it either (and is not told whose it is).
    const other = await t.tenant({ brandName: 'Globex' });
    await t.patch(`/api/v2/partners/${other.partner_id}`, { headers: partnerKey(other.partner_api_key), json: { partner_redirect_url: REDIRECT } });
    const c3 = new OnboardingClient(t.baseUrl);
    await c3.get(`/dashboard/app/${other.partner_id}/permissions`);
    await c3.post(`/dashboard/app/${other.partner_id}/signup`, { name: 'Eve', email: `eve.${kind}@globex.example`, password: 'correct horse battery' });
    const refused = await c3.post(`/dashboard/app/${other.partner_id}/embedded-signup`, { code: 'AQDthird-of-two-cc', phone_number_id: pnid, waba_id: WABA });
    expect(refused.status).toBe(409);
    expect(refused.html).toContain('already connected on this platform');
    expect(refused.html).not.toContain('Acme');

    // Another Meta id for a phone number the partner already has: refused after Meta named the number.
    const sameNumber = `999999${pnid.slice(-9)}`; // the fake names numbers by their id's last 4 digits
    graph.reset();
    const c4 = await atNumberStep();
    const dup = await connect(c4, { code: 'AQDsame-number-dddd', phone_number_id: sameNumber, waba_id: WABA });
    expect(dup.status).toBe(409);
    expect(dup.html).toContain(`+1555010${pnid.slice(-4)} is already connected to Acme Bots`);
  });

  it('malformed answers from the page are refused without asking Meta: ids must be digits, a code must be there', async () => {
    const c = await atNumberStep();
    for (const form of [
      { code: 'AQDgoodcode12345', phone_number_id: '10654035<script>', waba_id: WABA },
      { code: 'AQDgoodcode12345', phone_number_id: newPnid(), waba_id: '../me' },
      { code: '', phone_number_id: newPnid(), waba_id: WABA },
      { code: 'has spaces in it', phone_number_id: newPnid(), waba_id: WABA },
    ]) {
      const page = await connect(c, form);
      expect(page.status).toBe(400);
      expect(page.html).toContain('id="es-connect"');
    }
    expect(graph.requests).toHaveLength(0);
    // Without the session's CSRF token: 403.
    const raw = await c.postRaw(`${base()}/embedded-signup`, { code: 'AQDgoodcode12345', phone_number_id: newPnid(), waba_id: WABA });
    expect(raw.status).toBe(403);
    expect(graph.requests).toHaveLength(0);
  });
});

describeEachDb('Integrated Onboarding without Embedded Signup', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_SECRET_KEY: KEY_HEX, OPENWABA_META_APP_SECRET: APP_SECRET } });
  });
  afterAll(async () => t?.close());

  it('the number step is the sandbox’s, with the strict CSP, and the Facebook route does not exist', async () => {
    const tenant = await t.tenant();
    await t.patch(`/api/v2/partners/${tenant.partner_id}`, { headers: partnerKey(tenant.partner_api_key), json: { partner_redirect_url: REDIRECT } });
    const c = new OnboardingClient(t.baseUrl);
    await c.get(`/dashboard/app/${tenant.partner_id}/permissions`);
    const page = await c.post(`/dashboard/app/${tenant.partner_id}/signup`, { name: 'Dana', email: 'dana@shop.example', password: 'correct horse battery' });
    expect(page.html).toContain('name="number"');
    expect(page.html).not.toContain('es-connect');
    expect(page.headers['content-security-policy']).not.toContain('facebook');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self';");
    const res = await c.post(`/dashboard/app/${tenant.partner_id}/embedded-signup`, { code: 'AQDcode1234567', phone_number_id: '106540352200001', waba_id: WABA });
    expect(res.status).toBe(404);
  });
});
