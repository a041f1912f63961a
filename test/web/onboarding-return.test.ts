// A client who already onboarded comes back through the partner's link: logs in (next=login),
// sees their numbers, adds another where the partner and max_channels allow it, withdraws one,
// and goes back to the partner with channels=[…]&revoked=[…].
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import { addNumber, OnboardingClient, onboard } from './onboarding-client.ts';

describeEachDb('Integrated Onboarding: a returning client', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let pid: string;
  let key: string;
  let otherChannel: string;
  let clientId: string;
  let first: string;
  let second: string;
  const REDIRECT = 'https://partner.example/io';
  const c = new OnboardingClient('');

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ONBOARDING_SETUP_DELAY: '100ms' } });
    Object.assign(c, { baseUrl: t.baseUrl });
    const tenant = await t.tenant({ brandName: 'Acme Bots' });
    pid = tenant.partner_id;
    key = tenant.partner_api_key;
    otherChannel = tenant.channel_id;
    await t.patch(`/api/v2/partners/${pid}`, { headers: partnerKey(key), json: { webhook_url: `${receiver.url}/events`, partner_redirect_url: REDIRECT } });
    const done = await onboard(c, pid, { name: 'Carol', email: 'carol@shop.example', password: 'carol-secret-1', number: '4915112340001' });
    expect(done.status).toBe(303);
    const u = await t.deps.db.kysely.selectFrom('onboarding_users').selectAll().where('email', '=', 'carol@shop.example').executeTakeFirstOrThrow();
    clientId = u.client_id!;
    first = /channels=\[([A-Za-z0-9]+)\]/.exec(done.location!)![1]!;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const base = () => `/dashboard/app/${pid}`;

  it('logs in with next=login and sees the number, without the option to add one beyond max_channels', async () => {
    const fresh = new OnboardingClient(t.baseUrl);
    const entry = await fresh.get(`${base()}?next=login&email=carol%40shop.example&state=s2`);
    expect(entry.status).toBe(200);
    expect(entry.html).toContain('action="/dashboard/app/' + pid + '/login"');
    expect(entry.html).toContain('value="carol@shop.example"');
    const wrong = await fresh.post(`${base()}/login`, { email: 'carol@shop.example', password: 'not-it-at-all' });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('Wrong email or password.');
    const page = await fresh.post(`${base()}/login`, { email: 'CAROL@shop.example', password: 'carol-secret-1' });
    expect(page.status).toBe(200);
    expect(page.html).toContain('Your WhatsApp numbers');
    expect(page.html).toContain('+4915112340001');
    expect(page.html).not.toContain('Add another number');
    expect(page.html).toContain('Your account can have 1 number and already has 1.');
    const refused = await fresh.post(`${base()}/add-number`);
    expect(refused.status).toBe(403);
    Object.assign(c, { cookie: fresh.cookie, csrf: fresh.csrf });
  });

  it('adds a second number once max_channels allows it; the redirect lists both', async () => {
    const patch = await t.patch(`/api/v2/partners/${pid}/clients/${clientId}`, { headers: partnerKey(key), json: { max_channels: 2 } });
    expect(patch.status).toBe(200);
    const page = await c.get(`${base()}/onboarding`);
    expect(page.html).toContain('Add another number');
    const phone = await c.post(`${base()}/add-number`);
    expect(phone.status).toBe(200);
    expect(phone.html).toContain('name="number"');
    const done = await addNumber(c, pid, { number: '4915112340002', displayName: 'Carol Two' });
    expect(done.status).toBe(303);
    const rows = await t.deps.db.kysely.selectFrom('channels').select('id').where('client_id', '=', clientId).orderBy('created_at').orderBy('id').execute();
    expect(rows.map((r) => r.id)).toContain(first);
    second = rows.map((r) => r.id).find((id) => id !== first)!;
    expect(done.location).toBe(`${REDIRECT}?client=${clientId}&channels=[${rows.map((r) => r.id).join(',')}]&state=s2`);
    // Only one client: the second number joined the existing one (no second client_created).
    expect(await t.deps.db.kysely.selectFrom('clients').select('id').where('partner_id', '=', pid).execute()).toHaveLength(2);
  });

  it('comes back still logged in, withdraws a number, and the redirect reports it revoked', async () => {
    const page = await c.get(`${base()}/permissions?state=s3`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Your WhatsApp numbers');
    expect(page.html).not.toContain('Add another number'); // 2 of 2
    // The first press asks; nothing is withdrawn yet.
    const ask = await c.post(`${base()}/withdraw`, { channel_id: first });
    expect(ask.status).toBe(200);
    expect(ask.html).toContain('Yes, withdraw it');
    expect((await t.deps.db.kysely.selectFrom('channels').select('cancellation_requested_at').where('id', '=', first).executeTakeFirstOrThrow()).cancellation_requested_at).toBeNull();
    const after = await c.post(`${base()}/withdraw`, { channel_id: first, confirm: 'yes' });
    expect(after.status).toBe(200);
    expect(after.html).toMatch(new RegExp(`id="ch-${first}"[\\s\\S]*?access withdrawn`));
    const fin = await c.send('POST', `${base()}/finish`, { _csrf: c.csrf! });
    expect(fin.status).toBe(303);
    expect(fin.location).toBe(`${REDIRECT}?client=${clientId}&channels=[${second}]&revoked=[${first}]&state=s3`);
    await receiver.waitFor(1);
    const cancellation = await waitUntil(
      'the cancellation_request event',
      () => receiver.bodies().find((b) => b.event === 'cancellation_request' && b.data.id === first),
      { timeoutMs: 10_000, everyMs: 50 },
    );
    expect(cancellation.data).toMatchObject({ id: first, client_id: clientId });
    const ch = await t.get(`/api/v2/partners/${pid}/channels`, { headers: partnerKey(key), query: { filters: JSON.stringify({ id: first }) } });
    expect(ch.body.partner_channels[0].cancellation_requested_at).not.toBeNull();
  });

  it('cannot withdraw another client’s channel', async () => {
    await c.get(`${base()}/onboarding`);
    for (const confirm of ['', 'yes']) {
      const res = await c.post(`${base()}/withdraw`, { channel_id: otherChannel, confirm });
      expect(res.status).toBe(404);
    }
    const ch = await t.deps.db.kysely.selectFrom('channels').select('cancellation_requested_at').where('id', '=', otherChannel).executeTakeFirstOrThrow();
    expect(ch.cancellation_requested_at).toBeNull();
  });

  it('has no add option, and refuses one with 403, where the partner does not allow clients to add numbers', async () => {
    await t.patch(`/api/v2/partners/${pid}/clients/${clientId}`, { headers: partnerKey(key), json: { max_channels: 5 } });
    await t.patch(`/api/v2/partners/${pid}`, { headers: partnerKey(key), json: { allow_client_to_add_phone_no: false } });
    const page = await c.get(`${base()}/onboarding`);
    expect(page.html).not.toContain('Add another number');
    expect(page.html).toContain('Acme Bots does not allow clients to add phone numbers themselves');
    const refused = await c.post(`${base()}/add-number`);
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('does not allow clients to add phone numbers');
  });

  it('logs out: the next visitor starts at the login form', async () => {
    await c.get(`${base()}/onboarding`);
    const out = await c.post(`${base()}/logout`);
    expect(out.status).toBe(200);
    expect(out.html).toContain(`action="/dashboard/app/${pid}/login"`);
    const again = await c.post(`${base()}/finish`);
    expect(again.status).toBe(409);
  });
});
