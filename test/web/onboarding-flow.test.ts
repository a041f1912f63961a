// A business follows a partner's connect link: signs up, connects and verifies a number, grants
// the partner access, and lands back on the partner's page with ?client=…&channels=[…]; the
// partner hears client_created, channel_created, channel_submitted and, after the setup delay,
// channel_ready.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import { OnboardingClient, onboard } from './onboarding-client.ts';

const SETUP_DELAY_MS = 1500;

describeEachDb('Integrated Onboarding: the whole flow', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let pid: string;
  let key: string;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ONBOARDING_SETUP_DELAY: `${SETUP_DELAY_MS}ms` } });
    const tenant = await t.tenant({ brandName: 'Acme Bots' });
    pid = tenant.partner_id;
    key = tenant.partner_api_key;
    const res = await t.patch(`/api/v2/partners/${pid}`, {
      headers: partnerKey(key),
      json: { webhook_url: `${receiver.url}/partner-events`, partner_redirect_url: 'https://partner.example/connected?src=io' },
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** Partner events about this client, by name, once `names` have all arrived. */
  async function eventsFor(clientId: string, names: string[], timeoutMs = 10_000): Promise<Map<string, any>> {
    let found = new Map<string, any>();
    const collect = () => {
      found = new Map();
      for (const body of receiver.bodies()) {
        const cid = body.event === 'client_created' ? body.data.id : body.data?.client_id;
        if (cid === clientId) found.set(body.event, body);
      }
      return names.every((n) => found.has(n)) ? found : undefined;
    };
    try {
      return await waitUntil(`events ${names.join(', ')} for ${clientId}`, collect, { timeoutMs, everyMs: 50 });
    } catch (err) {
      throw new Error(`${(err as Error).message}; got ${[...found.keys()].join(', ')}`);
    }
  }

  async function ids(email: string): Promise<{ clientId: string; channelIds: string[] }> {
    const user = await t.deps.db.kysely.selectFrom('onboarding_users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    const channels = await t.deps.db.kysely.selectFrom('channels').select('id').where('client_id', '=', user.client_id!).orderBy('created_at').orderBy('id').execute();
    return { clientId: user.client_id!, channelIds: channels.map((c) => c.id) };
  }

  it('walks from the connect link to the partner redirect, creating client and channel, with all partner events', async () => {
    const c = new OnboardingClient(t.baseUrl);
    const query = 'number=%2B49%20151%2012345670&email=jane%40shop.example&name=Jane%20%3Cb%3EDoe%3C%2Fb%3E&partner=crm-4711&state=xyz%2F1%20ok&plan_selection=premium';
    const entry = await c.get(`/dashboard/app/${pid}/permissions?${query}`);
    expect(entry.status).toBe(200);
    expect(entry.headers['content-type']).toMatch(/text\/html/);
    expect(entry.headers['set-cookie']).toMatch(/ow_onb=.*HttpOnly.*SameSite=Lax/i);
    expect(entry.html).toContain('Acme Bots');
    expect(entry.html).toContain('value="jane@shop.example"');
    // Prefilled, and escaped: the name from the link is text, never markup.
    expect(entry.html).toContain('value="Jane &lt;b&gt;Doe&lt;/b&gt;"');
    expect(entry.html).not.toContain('<b>Doe');

    let page = await c.post(`/dashboard/app/${pid}/signup`, { name: 'Jane Doe', email: 'Jane@Shop.example', password: 'correct horse' });
    expect(page.status).toBe(200);
    expect(page.html).toContain('value="4915112345670"'); // the link's number, digits only
    page = await c.post(`/dashboard/app/${pid}/phone`, { number: '+49 151 12345670', display_name: 'Jane’s Shop' });
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/Sandbox: no SMS is sent\. Your code is <strong[^>]*>\d{6}</);
    const code = c.code();
    // The code is not stored in the clear anywhere.
    const sessions = await t.deps.db.kysely.selectFrom('web_sessions').select('subject').execute();
    expect(sessions.some((s) => s.subject.includes(code))).toBe(false);

    page = await c.post(`/dashboard/app/${pid}/verify`, { code });
    expect(page.status).toBe(200);
    expect(page.html).toContain('Allow Acme Bots to use your number');
    expect(page.html).toMatch(/value="premium" checked/);
    const before = Date.now();
    const grant = await c.send('POST', `/dashboard/app/${pid}/permission`, { _csrf: c.csrf!, grant: 'yes', plan: 'premium' });
    const after = Date.now();
    expect(grant.status).toBe(303);

    const { clientId, channelIds } = await ids('jane@shop.example');
    expect(channelIds).toHaveLength(1);
    const channelId = channelIds[0]!;
    // Literal brackets, the partner's own query kept, state passed back.
    expect(grant.location).toBe(`https://partner.example/connected?src=io&client=${clientId}&channels=[${channelId}]&state=xyz%2F1%20ok`);
    // A second press of the button (the browser shows its answer) sends the client back again; nothing new is created.
    const again = await c.send('POST', `/dashboard/app/${pid}/permission`, { _csrf: c.csrf!, grant: 'yes' });
    expect(again.status).toBe(303);
    expect(again.location).toBe(grant.location);
    expect((await ids('jane@shop.example')).channelIds).toEqual([channelId]);

    const client = await t.get(`/api/v2/partners/${pid}/clients`, { headers: partnerKey(key), query: { filters: JSON.stringify({ id: clientId }) } });
    expect(client.status).toBe(200);
    expect(client.body.clients).toHaveLength(1);
    expect(client.body.clients[0]).toMatchObject({ id: clientId, name: 'Jane Doe', partner_payload: 'crm-4711', contact_user: { email: 'jane@shop.example', name: 'Jane Doe' } });
    const user = await t.deps.db.kysely.selectFrom('onboarding_users').selectAll().where('client_id', '=', clientId).executeTakeFirstOrThrow();
    expect(user.plan).toBe('premium');
    expect(user.password_hash).toMatch(/^scrypt\$/);

    const channelNow = async () => {
      const list = await t.get(`/api/v2/partners/${pid}/channels`, { headers: partnerKey(key), query: { filters: JSON.stringify({ id: channelId }) } });
      return list.body.partner_channels[0];
    };
    const submitted = await channelNow();
    expect(submitted).toMatchObject({ client_id: clientId, account_mode: 'sandbox', setup_info: { phone_number: '4915112345670', phone_name: 'Jane’s Shop' } });
    // Right after the grant the number is still being set up; a durable job makes it ready later.
    expect(submitted).toMatchObject({ status: 'submitted', availability_status: 'setting_up' });
    const job = await t.deps.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', 'onboarding_channel_ready').where('ref_id', '=', channelId).executeTakeFirstOrThrow();
    expect(Date.parse(job.available_at)).toBeGreaterThanOrEqual(before + SETUP_DELAY_MS);
    expect(Date.parse(job.available_at)).toBeLessThanOrEqual(after + SETUP_DELAY_MS);

    const events = await eventsFor(clientId, ['client_created', 'channel_created', 'channel_submitted', 'channel_ready']);
    expect(events.get('client_created').data).toMatchObject({ id: clientId, partner_payload: 'crm-4711' });
    expect(events.get('channel_created').data).toMatchObject({ id: channelId, status: 'created', availability_status: 'setting_up' });
    expect(events.get('channel_submitted').data).toMatchObject({ id: channelId, status: 'submitted', availability_status: 'setting_up' });
    expect(events.get('channel_ready').data).toMatchObject({ id: channelId, status: 'ready', availability_status: 'ready' });
    const ready = await channelNow();
    expect(ready).toMatchObject({ status: 'ready', availability_status: 'ready' });
    expect(Date.now()).toBeGreaterThanOrEqual(before + SETUP_DELAY_MS);
    // The job is gone once it ran.
    expect(await t.deps.db.kysely.selectFrom('jobs').select('id').where('ref_id', '=', channelId).execute()).toEqual([]);
  });

  it('uses the link’s redirect_url on the partner’s origin, keeping its query and fragment', async () => {
    const c = new OnboardingClient(t.baseUrl);
    // Another page on the origin of partner_redirect_url (https://partner.example): honoured.
    const target = 'https://partner.example/done?x=1&y=a%20b#top';
    const res = await onboard(c, pid, {
      query: `redirect_url=${encodeURIComponent(target)}`,
      name: 'Bob',
      email: 'bob@shop.example',
      password: 'bob-password-1',
      number: '4915112345671',
    });
    expect(res.status).toBe(303);
    const { clientId, channelIds } = await ids('bob@shop.example');
    expect(res.location).toBe(`https://partner.example/done?x=1&y=a%20b&client=${clientId}&channels=[${channelIds[0]}]#top`);
    // No state in the link: none on the way back.
    expect(res.location).not.toContain('state=');
  });

  it('pages answer again on a warm server, with their stylesheet (their speed: npm run bench:pages)', async () => {
    const c = new OnboardingClient(t.baseUrl);
    await c.get(`/dashboard/app/${pid}?email=a%40b.example`);
    for (let i = 0; i < 2; i++) {
      expect((await c.get(`/dashboard/app/${pid}/onboarding`)).status).toBe(200);
      expect((await c.get(`/dashboard/app/${pid}/permissions?number=4915100000000`)).status).toBe(200);
    }
    const css = await t.get('/assets/onboarding.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
  });
});
