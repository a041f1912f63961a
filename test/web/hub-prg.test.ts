// Post/redirect/get in the Partner Hub, on both databases: every successful form POST answers 303
// to a GET page, so a reload re-posts nothing and every address the browser shows answers a GET.
// A new secret reaches that page through a flash of the session: shown once, never in the URL, a
// cookie or (readable) in the database, and only to the session that posted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { Clock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { FLASH_TTL_MS } from '../../src/web/sessions.ts';
import { HubClient, type PageResponse } from './hub-client.ts';

/** Real time, moved forward by hand (to let a flash expire). */
class ShiftedClock implements Clock {
  shift = 0;
  now() {
    return new Date(Date.now() + this.shift);
  }
}

describeEachDb('Partner Hub: post/redirect/get', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let hub: HubClient;
  let receiver: Receiver;
  let base: string;
  const clock = new ShiftedClock();
  const api = (path: string) => t.get(`/api/v2/partners/${a.partner_id}${path}`, { headers: partnerKey(a.partner_api_key) });
  const sessionRows = async () => (await t.deps.db.kysely.selectFrom('web_sessions').select('subject').execute()).map((r) => r.subject).join('\n');
  const signedIn = async () => {
    const c = new HubClient(t.baseUrl);
    expect((await c.login(a.username, a.password)).status).toBe(303);
    return c;
  };
  /** A successful form POST: 303 to a page of this partner, carrying nothing in a cookie. */
  const posted = (res: PageResponse, location: RegExp) => {
    expect(res.status, res.html.slice(0, 300)).toBe(303);
    expect(res.location).toMatch(location);
    expect(res.headers['set-cookie']).toBeUndefined();
    return res;
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { clock, dispatcher: true });
    a = await t.tenant();
    base = `/hub/partner/${a.partner_id}`;
    expect((await t.patch(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key), json: { webhook_url: `${receiver.url}/partner` } })).status).toBe(200);
    hub = await signedIn();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  describe('a new partner API key', () => {
    it('is shown once on the page the POST redirects to; a reload shows it no more and creates no other key', async () => {
      await hub.get(`${base}/api-keys`);
      const res = posted(await hub.post(`${base}/api-keys`, { name: 'CRM' }), new RegExp(`^${base}/api-keys\\?created=pak_\\w+$`));
      const created = await hub.follow(res);
      expect(created.status).toBe(200);
      const key = /<code id="new-api-key" class="secret">(owpk_[A-Za-z0-9]+)<\/code>/.exec(created.html)?.[1];
      expect(key).toBeDefined();
      expect(res.location).not.toContain(key!);
      expect((await t.get(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(key!) })).status).toBe(200);

      const reload = await hub.get(res.location!);
      expect(reload.status).toBe(200);
      expect(reload.html).not.toContain(key!);
      expect(reload.html).not.toContain('id="new-api-key"');
      expect(reload.html).toContain('The key “CRM” was shown once, when it was created, and cannot be shown again.');
      const names = (await api('/api_keys')).body.api_keys.map((k: { name: string }) => k.name);
      expect(names.filter((n: string) => n === 'CRM')).toHaveLength(1);
    });

    it('waits for its page sealed: the session row never holds the key as text', async () => {
      const res = posted(await hub.post(`${base}/api-keys`, { name: 'Sealed' }), /\?created=/);
      const rows = await sessionRows();
      expect(rows).toContain('_flashes');
      const page = await hub.follow(res);
      const key = /id="new-api-key" class="secret">([^<]+)</.exec(page.html)![1]!;
      expect(rows).not.toContain(key);
      expect(rows).not.toContain(key.slice(5)); // nor its random part
      // Taken: gone from the row too.
      expect(await sessionRows()).not.toContain('_flashes');
    });

    it("belongs to the session that posted: another session of the same user, or none, doesn't see it", async () => {
      const other = await signedIn();
      const res = posted(await hub.post(`${base}/api-keys`, { name: 'Mine' }), /\?created=/);
      const elsewhere = await other.get(res.location!);
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.html).not.toContain('id="new-api-key"');
      expect(elsewhere.html).toContain('was shown once');
      const loggedOut = await new HubClient(t.baseUrl).get(res.location!);
      expect(loggedOut.status).toBe(303);
      expect(loggedOut.location).toMatch(/^\/hub\?next=/);
      // The other session's look did not use it up.
      expect((await hub.follow(res)).html).toMatch(/<code id="new-api-key" class="secret">owpk_/);
    });

    it('is short-lived: a page opened after FLASH_TTL_MS shows no secret', async () => {
      const res = posted(await hub.post(`${base}/api-keys`, { name: 'Late' }), /\?created=/);
      clock.shift += FLASH_TTL_MS + 1000;
      try {
        const late = await hub.follow(res);
        expect(late.status).toBe(200);
        expect(late.html).not.toContain('id="new-api-key"');
        expect(late.html).toContain('was shown once');
      } finally {
        clock.shift = 0;
      }
    });

    it('a refused name keeps its 400 with the form, whose address answers a GET; revoking redirects too', async () => {
      const before = (await api('/api_keys')).body.api_keys.length;
      const bad = await hub.post(`${base}/api-keys`, { name: ' ' });
      expect(bad.status).toBe(400);
      expect(bad.html).toContain(`<form method="post" action="${base}/api-keys"`);
      expect((await hub.get(`${base}/api-keys`)).status).toBe(200);
      expect((await api('/api_keys')).body.api_keys.length).toBe(before);

      const keys = (await api('/api_keys')).body.api_keys as { id: string; name: string }[];
      const mine = keys.find((k) => k.name === 'Mine')!;
      const revoked = posted(await hub.post(`${base}/api-keys/${mine.id}/revoke`), new RegExp(`^${base}/api-keys\\?revoked=1$`));
      expect((await hub.follow(revoked)).html).toContain('The key was revoked');
    });
  });

  it('a new channel key is shown once on the channel page; a reload neither shows it nor replaces it', async () => {
    const channelPage = `${base}/channels/${a.channel_id}`;
    const res = posted(await hub.post(`${channelPage}/api-key`), new RegExp(`^${channelPage}\\?new_key=\\w+$`));
    const shown = await hub.follow(res);
    const key = /<code id="new-channel-key" class="secret">([A-Za-z0-9]+)<\/code>/.exec(shown.html)?.[1];
    expect(key).toBeDefined();
    expect(res.location).not.toContain(key!);
    const reload = await hub.get(res.location!);
    expect(reload.status).toBe(200);
    expect(reload.html).not.toContain(key!);
    expect(reload.html).toContain('The new key was shown once, when it was generated, and cannot be shown again.');
    // The reload generated nothing: the key shown is still the channel's one key.
    expect((await t.get('/v1/configs/webhook', { headers: { 'D360-API-KEY': key! } })).status).toBe(200);
    expect((await api(`/channels/${a.channel_id}/api_keys`)).body.api_keys).toHaveLength(1);
  });

  it('the webhook secret: revealed and rotated through redirects, shown once; a reload rotates nothing', async () => {
    const secret = async () => (await api('/webhook_secret')).body.webhook_secret as string;
    const current = await secret();
    const reveal = posted(await hub.post(`${base}/webhook-secret`), new RegExp(`^${base}\\?secret=shown#signing-secret$`));
    expect((await hub.follow(reveal)).html).toContain(`value="${current}"`);
    const again = await hub.get(reveal.location!);
    expect(again.html).not.toContain(current);
    expect(again.html).toContain('The secret was shown once; reveal it again to see it.');

    const rotate = posted(await hub.post(`${base}/webhook-secret/rotate`), new RegExp(`^${base}\\?secret=rotated#signing-secret$`));
    const rotated = await secret();
    expect(rotated).not.toBe(current);
    const page = await hub.follow(rotate);
    expect(page.html).toContain(`value="${rotated}"`);
    expect(page.html).toContain('A new signing secret is in use');
    const reload = await hub.get(rotate.location!);
    expect(reload.html).not.toContain(rotated);
    expect(reload.html).toContain('The signing secret was rotated');
    expect(await secret()).toBe(rotated);
  });

  it('a test event: the redirect names it, and a reload shows it again without sending another', async () => {
    const tests = () => receiver.requests.filter((r) => r.url === '/partner' && JSON.parse(r.body).event === 'test').length;
    const before = tests();
    const res = posted(await hub.post(`${base}/webhook-test`), new RegExp(`^${base}\\?test=\\w+#test-event$`));
    const id = /\?test=(\w+)/.exec(res.location!)![1]!;
    for (const page of [await hub.follow(res), await hub.get(res.location!)]) {
      expect(page.status).toBe(200);
      expect(page.html).toContain(`<code>${id}</code>`);
      expect(page.html).toContain('<span class="badge delivered" id="test-status">delivered</span>');
      expect(page.html).toContain('<dd id="test-code">200</dd>');
    }
    expect(tests()).toBe(before + 1);
    // Another partner's event, or one that is no test event, is not shown here.
    const b = await t.tenant();
    const theirs = (await t.get(`/api/v2/partners/${b.partner_id}/webhook_events`, { headers: partnerKey(b.partner_api_key) })).body.webhook_events[0].id as string;
    expect((await hub.get(`${base}?test=${theirs}`)).html).not.toContain('id="test-result"');
    const created = (await api('/webhook_events')).body.webhook_events.find((e: { event_type: string }) => e.event_type !== 'test');
    if (created) expect((await hub.get(`${base}?test=${created.id}`)).html).not.toContain('id="test-result"');
  });

  it('saving the URLs redirects; a refused URL keeps its 400 with the form', async () => {
    const ok = posted(await hub.post(`${base}/settings`, { webhook_url: `${receiver.url}/partner`, partner_redirect_url: 'https://example.com/done' }), new RegExp(`^${base}\\?saved=1$`));
    expect((await hub.follow(ok)).html).toContain('Saved.');
    const bad = await hub.post(`${base}/settings`, { webhook_url: 'ftp://x', partner_redirect_url: '' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('id="webhook_url-error"');
  });

  it('every form address answers a GET: the page the form is on', async () => {
    const event = (await api('/webhook_events')).body.webhook_events[0].id as string;
    const cases: [string, string][] = [
      [`${base}/settings`, base],
      [`${base}/webhook-secret`, `${base}#signing-secret`],
      [`${base}/webhook-secret/rotate`, `${base}#signing-secret`],
      [`${base}/webhook-test`, `${base}#test-event`],
      [`${base}/api-keys/pak_x/revoke`, `${base}/api-keys`],
      [`${base}/channels/${a.channel_id}/api-key`, `${base}/channels/${a.channel_id}`],
      [`${base}/webhooks/${event}/retry`, `${base}/webhooks/${event}`],
      [`${base}/webhooks/retry-failed`, `${base}/webhooks?status=failed`],
      ['/hub/login', '/hub'],
      ['/hub/logout', '/hub'],
    ];
    const secretBefore = (await api('/webhook_secret')).body.webhook_secret;
    const keysBefore = (await api('/api_keys')).body.api_keys.length;
    for (const [form, page] of cases) {
      const res = await hub.get(form);
      expect(res.status, form).toBe(303);
      expect(res.location, form).toBe(page);
    }
    // The partner pages among them open; the login page sends a signed-in user home.
    for (const [, page] of cases.slice(0, 8)) expect((await hub.get(page)).status, page).toBe(200);
    expect((await hub.get('/hub')).location).toBe(base);
    // A GET changed nothing, and logged nobody out.
    expect((await api('/webhook_secret')).body.webhook_secret).toBe(secretBefore);
    expect((await api('/api_keys')).body.api_keys.length).toBe(keysBefore);
    expect((await hub.get(base)).status).toBe(200);
    // A failed login's address leads back to the login form, keeping where it was to lead.
    const next = `${base}/clients`;
    expect((await new HubClient(t.baseUrl).get(`/hub/login?next=${encodeURIComponent(next)}`)).location).toBe(`/hub?next=${encodeURIComponent(next)}`);
  });
});
