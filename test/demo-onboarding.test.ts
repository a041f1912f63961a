// A developer runs `npm start` on an empty database, opens the onboarding link the banner prints,
// and goes through Integrated Onboarding for the demo partner: it ends on openwaba's own demo
// partner landing page (the demo's partner_redirect_url), which shows the new client and channel.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { Http } from './helpers/app.ts';
import { killAll, startServerProcess, type ServerProcess } from './helpers/processes.ts';
import { OnboardingClient, onboard } from './web/onboarding-client.ts';
import { loadConfig } from '../src/config.ts';
import { demoBanner, startServer } from '../src/server.ts';
import { bootstrapTenant } from '../src/services/bootstrap.ts';

afterAll(() => killAll());

/** A value printed on a line of the demo block, e.g. field(out, 'partner_id'). */
function field(out: string, label: string): string {
  const m = new RegExp(`^\\s+${label}\\s+(\\S+)`, 'm').exec(out);
  if (!m) throw new Error(`no "${label}" in:\n${out}`);
  return m[1]!;
}

describeEachDb('the demo tenant on first start: Integrated Onboarding out of the box', (kind) => {
  let database: TestDatabase;
  let server: ServerProcess;
  let http: Http;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startServerProcess({ DATABASE_URL: database.url, OPENWABA_ONBOARDING_SETUP_DELAY: '100ms' });
    http = new Http(server.url);
  });
  afterAll(async () => {
    server?.kill();
    await database?.drop();
  });

  it("has partner_redirect_url set to the built-in landing page on the server's public URL", async () => {
    const out = server.stdout();
    const res = await http.get(`/api/v2/partners/${field(out, 'partner_id')}`, { headers: { 'x-api-key': field(out, 'partner API key') } });
    expect(res.status).toBe(200);
    expect(res.body.partner_redirect_url).toBe(`${server.url}/demo/partner-return`);
  });

  it('prints the onboarding link, and going through it ends on the landing page showing the new client and channel', async () => {
    const out = server.stdout();
    const pid = field(out, 'partner_id');
    const link = /^\s+(http:\/\/\S+\/dashboard\/app\/\S+)$/m.exec(out)?.[1];
    expect(link).toBe(`${server.url}/dashboard/app/${pid}/permissions`);

    // The link as printed (with a state, as a partner's button would add), not a 409 page.
    const c = new OnboardingClient(server.url);
    const done = await onboard(c, pid, { query: 'state=try-1', name: 'Dora Demo', email: 'dora@shop.example', password: 'dora-secret-1', number: '4915112349001' });
    expect(done.status).toBe(303);
    const location = new URL(done.location!);
    expect(`${location.origin}${location.pathname}`).toBe(`${server.url}/demo/partner-return`);

    // The ids in the redirect are the client and channel the onboarding created.
    const key = { 'x-api-key': field(out, 'partner API key') };
    const clients = await http.get(`/api/v2/partners/${pid}/clients`, { headers: key, query: { filters: JSON.stringify({ name: 'Dora Demo' }) } });
    expect(clients.body.clients).toHaveLength(1);
    const clientId: string = clients.body.clients[0].id;
    const channels = await http.get(`/api/v2/partners/${pid}/channels`, { headers: key, query: { filters: JSON.stringify({ client_id: clientId }) } });
    expect(channels.body.partner_channels).toHaveLength(1);
    const channelId: string = channels.body.partner_channels[0].id;
    expect(location.search).toBe(`?client=${clientId}&channels=[${channelId}]&state=try-1`);

    // The browser follows the redirect: the landing page shows what it brought.
    const landing = await c.get(done.location!);
    expect(landing.status).toBe(200);
    expect(landing.headers['content-type']).toMatch(/text\/html/);
    expect(landing.html).toContain(`<dd class="mono" id="client">${clientId}</dd>`);
    expect(landing.html).toContain(`<li class="mono">${channelId}</li>`);
    expect(landing.html).toContain(`<dd class="mono" id="state">try-1</dd>`);
    // …and what the partner would do next, ready to paste.
    expect(landing.html).toContain(`curl -s -X POST $HUB/partners/$PID/channels/${channelId}/api_keys -H "X-API-Key: $KEY"`);
    expect(landing.html).toContain(`export HUB=${server.url}/api/v2 `);
    expect(landing.html).toContain('href="/hub"');
  });
});

it('the demo tenant made by startServer names OPENWABA_PUBLIC_URL in its redirect URL; the banner shows its onboarding link, a bootstrapped tenant’s does not', async () => {
  const database = await createTestDatabase('sqlite');
  const publicUrl = 'https://openwaba.example:8443/base';
  const server = await startServer(loadConfig({ PORT: '0', DATABASE_URL: database.url, OPENWABA_PUBLIC_URL: publicUrl, OPENWABA_DISPATCHER: 'false', LOG_LEVEL: 'silent' }));
  try {
    const demo = server.demo!;
    expect(demo.partner_redirect_url).toBe(`${publicUrl}/demo/partner-return`);
    const row = await server.deps.db.kysely.selectFrom('partners').select('partner_redirect_url').where('id', '=', demo.partner_id).executeTakeFirstOrThrow();
    expect(row.partner_redirect_url).toBe(`${publicUrl}/demo/partner-return`);
    expect(demoBanner(server.url, demo)).toContain(`\n    ${server.url}/dashboard/app/${demo.partner_id}/permissions\n`);
    // `openwaba bootstrap` prints the same block for its tenant, which has no redirect URL: a link
    // there would end on the "no redirect URL" page, so none is printed.
    const { partner_redirect_url: _, ...bootstrapped } = demo;
    expect(demoBanner(server.url, bootstrapped)).not.toContain('/dashboard/app/');
  } finally {
    await server.stop();
    await database.drop();
  }
});

describeEachDb('a later start on another address moves the demo redirect URL along', (kind) => {
  it('follows the new public URL while it is the URL openwaba wrote, and leaves any URL a partner set alone', async () => {
    const database = await createTestDatabase(kind);
    const start = (publicUrl: string) =>
      startServer(loadConfig({ PORT: '0', DATABASE_URL: database.url, OPENWABA_PUBLIC_URL: publicUrl, OPENWABA_DISPATCHER: 'false', LOG_LEVEL: 'silent' }));
    type Server = Awaited<ReturnType<typeof start>>;
    const redirectOf = async (server: Server, id: string) =>
      (await server.deps.db.kysely.selectFrom('partners').select('partner_redirect_url').where('id', '=', id).executeTakeFirstOrThrow()).partner_redirect_url;
    const setRedirect = (server: Server, id: string, url: string) => server.deps.db.kysely.updateTable('partners').set({ partner_redirect_url: url }).where('id', '=', id).execute();
    try {
      const first = await start('http://localhost:8082');
      const pid = first.demo!.partner_id;
      // Another partner whose own site happens to use the same path, and even the same origin.
      const other = await bootstrapTenant(first.deps, { brandName: 'Shop' });
      await setRedirect(first, other.partner_id, 'http://localhost:8082/demo/partner-return');
      await first.stop();

      const second = await start('http://localhost:9090');
      expect(second.demo).toBeUndefined();
      expect(await redirectOf(second, pid)).toBe('http://localhost:9090/demo/partner-return');
      expect(await redirectOf(second, other.partner_id)).toBe('http://localhost:8082/demo/partner-return');
      // The demo partner points it at a site of its own, on the same path: later starts keep it.
      await setRedirect(second, pid, 'https://shop.example/demo/partner-return');
      await second.stop();

      const third = await start('http://localhost:9191');
      expect(await redirectOf(third, pid)).toBe('https://shop.example/demo/partner-return');
      // A demo tenant made before openwaba kept what it wrote: the 'Demo Partner' with the landing page's path.
      await third.deps.db.kysely.deleteFrom('instance_settings').where('key', 'in', ['demo_partner_id', 'demo_partner_redirect_url']).execute();
      await setRedirect(third, pid, 'http://localhost:9191/demo/partner-return');
      await third.stop();

      const fourth = await start('http://localhost:9292');
      expect(await redirectOf(fourth, pid)).toBe('http://localhost:9292/demo/partner-return');
      expect(await redirectOf(fourth, other.partner_id)).toBe('http://localhost:8082/demo/partner-return');
      // A database that recorded the demo partner but not the URL written (made by an earlier build).
      await fourth.deps.db.kysely.deleteFrom('instance_settings').where('key', '=', 'demo_partner_redirect_url').execute();
      await fourth.stop();

      const fifth = await start('http://localhost:9393');
      expect(await redirectOf(fifth, pid)).toBe('http://localhost:9393/demo/partner-return');
      await fifth.stop();
    } finally {
      await database.drop();
    }
  });
});
