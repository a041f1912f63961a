// Guards the review of Embedded Signup's Meta side (commit 07f901e):
// - the permission step runs the commit's local refusals (max_channels, the phone number or the Meta
//   number connected meanwhile) before it changes anything at Meta: a refused grant leaves no number
//   subscribed and registered with a PIN nobody keeps;
// - the two-step verification PIN is a function of the number (pinFor: HMAC-SHA256 under
//   OPENWABA_SECRET_KEY), so a registration that took effect at Meta while its answer was lost can be
//   repeated, from this session or another, without Meta's PIN mismatch (133005); the PIN is no longer
//   kept in the session;
// - code exchanges (requests signed with the one Meta app's secret, under its rate limit that every
//   partner shares) are bounded: MAX_CODE_EXCHANGES per onboarding session (429 page), and failed
//   ones per user and per address across sessions by the login throttle (429 with retry-after).
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, graphErrorBody } from '../helpers/fake-graph.ts';
import { OnboardingClient } from '../web/onboarding-client.ts';
import { openPin, pinFor } from '../../src/network/meta/embedded-signup.ts';
import { openSecret } from '../../src/network/meta/secret-box.ts';
import { MAX_CODE_EXCHANGES } from '../../src/web/onboarding/embedded-signup-routes.ts';

const KEY_HEX = 'e'.repeat(64);
const KEY = Buffer.from(KEY_HEX, 'hex');
const ES_ENV = {
  OPENWABA_SECRET_KEY: KEY_HEX,
  OPENWABA_META_APP_ID: '1234567890123',
  OPENWABA_META_ES_CONFIG_ID: '987654321098765',
  OPENWABA_META_APP_SECRET: 'app-secret-' + 'z'.repeat(24),
  OPENWABA_META_TIMEOUT: '500ms',
};
const WABA = '102290129377701';
const REDIRECT = 'https://partner.example/connected';
const PASSWORD = 'correct horse battery';

describe('pinFor: the two-step verification PIN of a Meta number', () => {
  it('is 6 digits, the same for one number under one key, another for another number or key', () => {
    const a = pinFor(KEY, '106540352299001');
    expect(a).toMatch(/^\d{6}$/);
    expect(pinFor(KEY, '106540352299001')).toBe(a);
    expect(pinFor(KEY, '106540352299002')).not.toBe(a);
    expect(pinFor(Buffer.from('f'.repeat(64), 'hex'), '106540352299001')).not.toBe(a);
  });

  it('is HMAC-SHA256 under the key over a domain-separated message, its first 8 bytes mod 10^6 (leading zeros kept)', () => {
    const expected = (pnid: string) => {
      const mac = createHmac('sha256', KEY).update(`openwaba two-step pin v1:${pnid}`).digest();
      return String(mac.readBigUInt64BE(0) % 1_000_000n).padStart(6, '0');
    };
    const pins = Array.from({ length: 2000 }, (_, i) => String(106540352200000 + i));
    for (const pnid of pins.slice(0, 50)) expect(pinFor(KEY, pnid)).toBe(expected(pnid));
    // Spread over the whole range, short ones padded: no first digit is missing or dominant.
    const firstDigits = new Map<string, number>();
    for (const pnid of pins) {
      const pin = pinFor(KEY, pnid);
      expect(pin).toMatch(/^\d{6}$/);
      firstDigits.set(pin[0]!, (firstDigits.get(pin[0]!) ?? 0) + 1);
    }
    expect(firstDigits.size).toBe(10);
    for (const n of firstDigits.values()) expect(n).toBeGreaterThan(120); // 200 expected each
  });
});

describeEachDb('Embedded Signup review: permission step, PIN, code exchanges', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let pid: string;
  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: { ...ES_ENV, OPENWABA_META_GRAPH_URL: graph.url } });
    const tenant = await t.tenant({ brandName: 'Acme Bots' });
    pid = tenant.partner_id;
    expect((await t.patch(`/api/v2/partners/${pid}`, { headers: partnerKey(tenant.partner_api_key), json: { partner_redirect_url: REDIRECT } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });
  beforeEach(() => graph.reset());
  const base = () => `/dashboard/app/${pid}`;
  const calls = () => graph.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
  const channelsOf = () => t.deps.db.kysely.selectFrom('channels').selectAll().where('partner_id', '=', pid).execute();

  async function signedUp(name: string): Promise<OnboardingClient> {
    const c = new OnboardingClient(t.baseUrl);
    await c.get(`${base()}/permissions`);
    expect((await c.post(`${base()}/signup`, { name, email: `${name.toLowerCase()}.${kind}@shop.example`, password: PASSWORD })).status).toBe(200);
    return c;
  }

  it('two windows of one new client (max_channels 1): the second grant is refused before Meta is asked anything', async () => {
    const email = `win.${kind}@shop.example`;
    const w1 = new OnboardingClient(t.baseUrl);
    await w1.get(`${base()}/permissions`);
    expect((await w1.post(`${base()}/signup`, { name: 'Win', email, password: PASSWORD })).status).toBe(200);
    const w2 = new OnboardingClient(t.baseUrl);
    await w2.get(`${base()}/permissions`);
    expect((await w2.post(`${base()}/login`, { email, password: PASSWORD })).status).toBe(200); // no client yet: at the number step

    // Each window connects a number with Facebook (both allowed: no client, no channel yet).
    expect((await w1.post(`${base()}/embedded-signup`, { code: `AQDwin1-${kind}-aaaaaaa`, phone_number_id: '106540352299001', waba_id: WABA })).status).toBe(200);
    expect((await w2.post(`${base()}/embedded-signup`, { code: `AQDwin2-${kind}-bbbbbbb`, phone_number_id: '106540352299002', waba_id: WABA })).status).toBe(200);

    expect((await w1.post(`${base()}/permission`, { grant: 'yes' })).status).toBe(303);
    const before = (await channelsOf()).length;
    graph.reset();
    const second = await w2.post(`${base()}/permission`, { grant: 'yes' });
    expect(second.status).toBe(403); // max_channels: refused, nothing created…
    expect(second.html).toContain('Your account can have 1 number and already has 1');
    expect(calls()).toEqual([]); // …and nothing subscribed or registered at Meta
    expect((await channelsOf()).length).toBe(before);
  });

  it('a phone number connected from another window meanwhile: the grant goes back to the number step before Meta is asked anything', async () => {
    // Two Meta ids, one phone number (the fake names numbers by their id's last 4 digits), two clients.
    const a = await signedUp('Ann');
    const b = await signedUp('Bob');
    expect((await a.post(`${base()}/embedded-signup`, { code: `AQDsame1-${kind}-aaaaaa`, phone_number_id: '106540352297777', waba_id: WABA })).status).toBe(200);
    expect((await b.post(`${base()}/embedded-signup`, { code: `AQDsame2-${kind}-bbbbbb`, phone_number_id: '999999352297777', waba_id: WABA })).status).toBe(200);
    expect((await a.post(`${base()}/permission`, { grant: 'yes' })).status).toBe(303);
    graph.reset();
    const refused = await b.post(`${base()}/permission`, { grant: 'yes' });
    expect(refused.status).toBe(409);
    expect(refused.html).toContain('The number +15550107777 is already connected');
    expect(refused.html).toContain('id="es-connect"'); // Facebook's step again: another number may do
    expect(calls()).toEqual([]);
  });

  it('register took effect at Meta but its answer timed out; the client connects the same number again: the same PIN, which Meta accepts', async () => {
    const pnid = '106540352299003';
    // Meta as it behaves: the first registration sets the number's PIN; later ones must repeat it (133005 otherwise).
    let metaPin: string | undefined;
    let hangFirst = true;
    graph.on((r) => {
      if (!r.path.endsWith(`/${pnid}/register`)) return undefined;
      const pin = (r.json as { pin: string }).pin;
      if (metaPin === undefined) metaPin = pin;
      if (hangFirst) {
        hangFirst = false;
        return { hang: true }; // registered, but the answer never comes (OPENWABA_META_TIMEOUT)
      }
      return pin === metaPin ? { status: 200, json: { success: true } } : { status: 400, json: graphErrorBody(133005, 'Two step verification PIN Mismatch') };
    });
    const c = await signedUp('Pin');
    expect((await c.post(`${base()}/embedded-signup`, { code: `AQDpin1-${kind}-aaaaaaa`, phone_number_id: pnid, waba_id: WABA })).status).toBe(200);
    // The PIN is not in the session: only the token is sealed there.
    const row = (await t.deps.db.kysely.selectFrom('web_sessions').select(['id_hash', 'subject']).execute()).find((r) => r.subject.includes(pnid))!;
    const sealed = (JSON.parse(row.subject) as { meta: { sealed: string } }).meta.sealed;
    expect(Object.keys(JSON.parse(openSecret(KEY, sealed, `onboarding-embedded-signup:${row.id_hash}`)) as object)).toEqual(['t']);

    const first = await c.post(`${base()}/permission`, { grant: 'yes' });
    expect(first.status).toBe(502);
    // The client takes the page's other way out ("Connect a different number"), and connects the same number again.
    await c.post(`${base()}/change-number`);
    expect((await c.post(`${base()}/embedded-signup`, { code: `AQDpin2-${kind}-bbbbbbb`, phone_number_id: pnid, waba_id: WABA })).status).toBe(200);
    const again = await c.post(`${base()}/permission`, { grant: 'yes' });
    const pins = graph.requests.filter((r) => r.path.endsWith(`/${pnid}/register`)).map((r) => (r.json as { pin: string }).pin);
    expect(pins).toHaveLength(2);
    expect(pins[1]).toBe(pins[0]);
    expect(pins[0]).toBe(pinFor(KEY, pnid));
    expect(again.status).toBe(303);
    // What was registered is kept with the channel, sealed (it still says so should the key be rotated).
    const ch = (await channelsOf()).find((x) => x.external_id === pnid)!;
    const meta = await t.deps.db.kysely.selectFrom('meta_channels').select('pin_sealed').where('channel_id', '=', ch.id).executeTakeFirstOrThrow();
    expect(openPin(KEY, meta.pin_sealed!, ch.id)).toBe(pins[0]);
  });

  it(`one sign-up has Meta exchange at most ${MAX_CODE_EXCHANGES} codes per session (code exchanges are signed with the app secret, shared by every partner)`, async () => {
    const c = await signedUp('Spam');
    graph.on((r) => (r.path.includes('/oauth/access_token') ? { status: 400, json: graphErrorBody(100, 'Invalid verification code format.') } : undefined));
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      statuses.push((await c.post(`${base()}/embedded-signup`, { code: `AQDbogus-${i}-xxxxxxxx`, phone_number_id: '106540352299004', waba_id: WABA })).status);
    }
    const exchanges = graph.requests.filter((r) => r.path.includes('/oauth/access_token')).length;
    expect(exchanges).toBe(MAX_CODE_EXCHANGES);
    expect(MAX_CODE_EXCHANGES).toBeLessThanOrEqual(10);
    expect(statuses.slice(0, MAX_CODE_EXCHANGES).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(MAX_CODE_EXCHANGES).every((s) => s === 429)).toBe(true);
    expect(c.last!.html).toContain(`You connected with Facebook ${MAX_CODE_EXCHANGES} times already in this visit: open the link from Acme Bots again to start over.`);
    expect(c.last!.html).toContain('id="es-connect"');
  });
});

describeEachDb('Embedded Signup review: failed code exchanges are throttled across sessions', (kind) => {
  const MAX_FAILURES = 3;
  let graph: FakeGraph;
  let t: TestApp;
  let pid: string;
  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: { ...ES_ENV, OPENWABA_META_GRAPH_URL: graph.url, OPENWABA_LOGIN_MAX_FAILURES: String(MAX_FAILURES) } });
    const tenant = await t.tenant({ brandName: 'Acme Bots' });
    pid = tenant.partner_id;
    expect((await t.patch(`/api/v2/partners/${pid}`, { headers: partnerKey(tenant.partner_api_key), json: { partner_redirect_url: REDIRECT } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });
  const base = () => `/dashboard/app/${pid}`;

  it('opening the link again starts a new session, but not a new allowance of failed exchanges: 429 with retry-after, Meta not asked', async () => {
    graph.on((r) => (r.path.includes('/oauth/access_token') ? { status: 400, json: graphErrorBody(100, 'Invalid verification code format.') } : undefined));
    const email = `again.${kind}@shop.example`;
    let exchanges = 0;
    for (let visit = 0; visit < 3; visit++) {
      const c = new OnboardingClient(t.baseUrl);
      await c.get(`${base()}/permissions`);
      if (visit === 0) await c.post(`${base()}/signup`, { name: 'Again', email, password: PASSWORD });
      else expect((await c.post(`${base()}/login`, { email, password: PASSWORD })).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const page = await c.post(`${base()}/embedded-signup`, { code: `AQDagain-${visit}-${i}-xxxxxx`, phone_number_id: '106540352299005', waba_id: WABA });
        const now = graph.requests.filter((r) => r.path.includes('/oauth/access_token')).length;
        if (exchanges < MAX_FAILURES) {
          expect(page.status).toBe(400);
          expect(now).toBe(exchanges + 1);
        } else {
          expect(page.status).toBe(429);
          expect(Number(page.headers['retry-after'])).toBeGreaterThan(0);
          expect(page.html).toContain('Too many failed connections with Facebook');
          expect(now).toBe(exchanges);
        }
        exchanges = now;
      }
    }
    expect(exchanges).toBe(MAX_FAILURES);
    // (Logging in again worked all along: failed connections have counters of their own.) Another
    // account from the same address is refused too: the address's failures count for all of them.
    const other = new OnboardingClient(t.baseUrl);
    await other.get(`${base()}/permissions`);
    expect((await other.post(`${base()}/signup`, { name: 'Other', email: `other.${kind}@shop.example`, password: PASSWORD })).status).toBe(200);
    const page = await other.post(`${base()}/embedded-signup`, { code: 'AQDother-xxxxxxxx', phone_number_id: '106540352299006', waba_id: WABA });
    expect(page.status).toBe(429);
    expect(graph.requests.filter((r) => r.path.includes('/oauth/access_token')).length).toBe(MAX_FAILURES);
  });
});
