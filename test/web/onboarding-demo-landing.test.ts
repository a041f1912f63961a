// The demo partner's landing page (/demo/partner-return), where the demo tenant's onboarding ends:
// it shows only what the query carried, as text, and never puts a value that is not an id into the
// commands a developer might paste into a shell.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { parseIdList } from '../../src/web/onboarding/demo-partner-return.ts';

it('reads the channel lists as 360dialog writes them, and as partners tolerate them (quotes)', () => {
  expect(parseIdList('[AbcCH,DefCH]')).toEqual(['AbcCH', 'DefCH']);
  expect(parseIdList("['AbcCH', \"DefCH\"]")).toEqual(['AbcCH', 'DefCH']);
  expect(parseIdList('[]')).toEqual([]);
  expect(parseIdList('AbcCH')).toEqual(['AbcCH']);
  expect(parseIdList(undefined)).toEqual([]);
});

describeEachDb('the demo partner landing page', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('escapes hostile query values and keeps them out of the shell commands', async () => {
    const hostile = {
      client: '<script>alert(1)</script>',
      channels: '[<img src=x onerror=alert(1)>,$(touch /tmp/ow-pwned),GoodOneCH]',
      revoked: '["><svg onload=alert(2)>]',
      state: '"><b>bold</b>\'',
    };
    const res = await t.get('/demo/partner-return', { query: hostile });
    expect(res.status).toBe(200);
    const html = res.text;
    for (const raw of ['<script>alert', '<img src=x', '<svg onload', '<b>bold']) expect(html).not.toContain(raw);
    expect(html).toContain('<dd class="mono" id="client">&lt;script&gt;alert(1)&lt;/script&gt;</dd>');
    expect(html).toContain('<li class="mono">&lt;img src=x onerror=alert(1)&gt;</li>');
    expect(html).toContain('<li class="mono">&quot;&gt;&lt;svg onload=alert(2)&gt;</li>');
    expect(html).toContain('<dd class="mono" id="state">&quot;&gt;&lt;b&gt;bold&lt;/b&gt;&#39;</dd>');
    // Only the well-formed id becomes a command; the others are flagged, not pasted.
    const commands = /<pre class="payload" id="commands">([\s\S]*?)<\/pre>/.exec(html)![1]!;
    expect(commands).toContain('/channels/GoodOneCH/api_keys');
    expect(commands).not.toContain('touch');
    expect(commands).not.toContain('img');
    expect(html).toContain('id="malformed"');
    // The page's usual protections: no framing, no scripts from elsewhere, nothing cached.
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('shows nothing beyond the query: without one it says how to get here, and looks up no client', async () => {
    const tenant = await t.tenant({ brandName: 'Secret Brand' });
    const empty = await t.get('/demo/partner-return');
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('id="no-result"');
    expect(empty.text).toContain('<dd class="mono" id="client">(none)</dd>');
    expect(empty.text).not.toContain('id="malformed"');
    // A real client id in the query is shown as given; nothing about the client is added.
    const real = await t.get('/demo/partner-return', { query: { client: tenant.client_id, channels: `[${tenant.channel_id}]` } });
    expect(real.status).toBe(200);
    expect(real.text).toContain(`<dd class="mono" id="client">${tenant.client_id}</dd>`);
    for (const secret of ['Secret Brand', tenant.partner_id, tenant.phone_number, tenant.waba_account_id, tenant.partner_api_key, tenant.channel_api_key]) {
      expect(real.text).not.toContain(secret);
    }
    expect(real.text).not.toContain('id="no-result"');
  });

  it('a tenant made by bootstrap (the CLI’s) gets no redirect URL: only the demo does', async () => {
    const tenant = await t.tenant();
    const row = await t.deps.db.kysely.selectFrom('partners').select('partner_redirect_url').where('id', '=', tenant.partner_id).executeTakeFirstOrThrow();
    expect(row.partner_redirect_url).toBeNull();
  });
});

describe('without the demo (OPENWABA_DEMO=false)', () => {
  it('there is no landing page: a production gateway serves no page that shows what a link says', async () => {
    const t = await startTestApp('sqlite', { env: { OPENWABA_DEMO: 'false' } });
    try {
      const res = await t.get('/demo/partner-return?client=abcCL&channels=[xyzCH]');
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain('abcCL');
    } finally {
      await t.close();
    }
  });
});
