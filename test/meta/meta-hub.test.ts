// The Hub's channel page names a Meta number's ids at Meta (never its token); a sandbox number's stays as it was.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { HubClient } from '../web/hub-client.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';

const TOKEN = 'EAAGhubPageToken' + 'H'.repeat(40);

describeEachDb('the Hub and a Meta number', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_SECRET_KEY: 'c'.repeat(64) } });
  });
  afterAll(() => t?.close());

  it("shows Meta's phone number id and WABA, not the token", async () => {
    const a = await t.tenant();
    const hub = new HubClient(t.baseUrl);
    expect((await hub.login(a.username, a.password)).status).toBe(303);
    const page = () => hub.get(`/hub/partner/${a.partner_id}/channels/${a.channel_id}`);
    const before = await page();
    expect(before.status).toBe(200);
    expect(before.html).toContain('sandbox (cloud_api)');
    expect(before.html).not.toContain('channel-meta-phone-number-id');
    await attachMetaChannel(t.deps, a.channel_id, { phoneNumberId: '106540352233301', wabaId: '102290129340355', accessToken: TOKEN });
    const after = await page();
    expect(after.status).toBe(200);
    expect(after.html).toMatch(/Meta Cloud API \(cloud_api\) · phone number ID <code id="channel-meta-phone-number-id">106540352233301<\/code> · Meta WABA <code id="channel-meta-waba-id">102290129340355<\/code>/);
    expect(after.html).not.toContain(TOKEN);
  });
});
