// Usernames on the pages. The Hub is the business's side: it shows a user's @username, and for a
// user who hides their number the username and BSUID instead of the number, on every row of that
// user (Meta's rule: a business sees the username and the BSUID, the number only when the user
// shares it). The sandbox phone is the user's own device: it shows their username beside their
// own number, and tells a user who hides it how the business sees them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { sandboxBsuid } from '../../src/network/bsuid.ts';
import { HubClient } from './hub-client.ts';
import { PhoneClient } from './phone-client.ts';

const NAMED = '4917612370001';
const HIDDEN = '4917612370002';
const PLAIN = '4917612370003';
const ODD = '4917612370004';

/** The cells of the Hub's recent-messages table, one array per row, tags stripped. */
function messageRows(html: string): { user: string; cellHtml: string; direction: string }[] {
  const table = /<table id="messages">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr>\s*<td>[^<]*<\/td>\s*<td>([^<]*)<\/td>\s*<td class="user">([\s\S]*?)<\/td>/g)].map((m) => ({
    direction: m[1]!.trim(),
    cellHtml: m[2]!,
    user: m[2]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim(),
  }));
}

describeEachDb('usernames on the Hub and the sandbox phone', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let hub: HubClient;
  const key = () => ({ 'D360-API-KEY': a.channel_api_key });
  const bsuid = (waId: string) => sandboxBsuid(t.deps.config.secretKey, a.partner_id, waId);
  const setUser = async (waId: string, json: Record<string, unknown>) => expect((await t.post(`/sandbox/v1/users/${waId}`, { headers: key(), json })).status).toBe(200);
  const userWrites = async (from: string, name: string) =>
    expect((await t.post('/sandbox/v1/inbound', { headers: key(), json: { from, name, type: 'text', text: { body: `hi from ${name}` } } })).status).toBe(200);
  const businessSends = async (to: Record<string, string>) => {
    const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', ...to, type: 'text', text: { body: 'Thanks!' } } });
    expect(res.status, res.text).toBe(200);
  };
  const channelPage = async () => {
    const page = await hub.get(`/hub/partner/${a.partner_id}/channels/${a.channel_id}`);
    expect(page.status).toBe(200);
    return page.html;
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_SECRET_KEY: 'f'.repeat(64) } });
    a = await t.tenant();
    await setUser(NAMED, { name: 'Jane', username: 'jane.doe' });
    await setUser(HIDDEN, { name: 'Max', username: 'max_m', hide_number: true });
    await setUser(PLAIN, { name: 'Plain' });
    for (const [waId, name] of [[NAMED, 'Jane'], [HIDDEN, 'Max'], [PLAIN, 'Plain']] as const) await userWrites(waId, name);
    // The business answers the hidden user by BSUID, and also (it had the number from before) by number.
    await businessSends({ recipient: bsuid(HIDDEN) });
    await businessSends({ to: HIDDEN });
    await businessSends({ to: NAMED });
    hub = new HubClient(t.baseUrl);
    expect((await hub.login(a.username, a.password)).status).toBe(303);
  });
  afterAll(async () => t?.close());

  it('Hub: every row names its user by @username; one who hides their number by username and BSUID, never the number', async () => {
    const html = await channelPage();
    expect(html).toContain('<th scope="col">User</th>');
    const rows = messageRows(html);
    expect(rows).toHaveLength(6);
    const of = (text: string) => rows.filter((r) => r.user === text);
    // Newest first: the three answers, then the three users' messages.
    expect(rows.map((r) => r.direction)).toEqual(['→ out', '→ out', '→ out', '← in', '← in', '← in']);
    expect(of(`@jane.doe ${NAMED}`)).toHaveLength(2);
    expect(of(PLAIN)).toHaveLength(1);
    // The hidden user's message and both answers (by BSUID and by number) show the same: username and BSUID.
    const hidden = of(`@max_m ${bsuid(HIDDEN)}`);
    expect(hidden).toHaveLength(3);
    expect(hidden[0]!.cellHtml).toContain(`<code class="bsuid" title="Business-scoped user ID (the number is not shown to the business)">${bsuid(HIDDEN)}</code>`);
    expect(html).not.toContain(HIDDEN);
    // A user with nothing to hide shows no BSUID: the number is the id the business has.
    expect(html).not.toContain(bsuid(NAMED));
  });

  it('Hub: a user who stops hiding their number shows it again; a username is escaped like everything else', async () => {
    await setUser(HIDDEN, { hide_number: false });
    let rows = messageRows(await channelPage());
    expect(rows.filter((r) => r.user === `@max_m ${HIDDEN}`)).toHaveLength(3);
    await setUser(HIDDEN, { hide_number: true });
    // No username the API takes holds markup; one written past it is still shown as text.
    await userWrites(ODD, 'Odd');
    await t.deps.db.kysely.updateTable('sandbox_users').set({ username: '<img src=x onerror=alert(1)>' }).where('wa_id', '=', ODD).execute();
    const html = await channelPage();
    expect(html).toContain('@&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img src=x');
    rows = messageRows(html);
    expect(rows[0]!.user).toBe(`@&lt;img src=x onerror=alert(1)&gt; ${ODD}`);
    expect(rows[0]!.cellHtml).toContain(`<span class="wa-id">${ODD}</span>`);
    expect(html).not.toContain(HIDDEN);
    await t.deps.db.kysely.updateTable('sandbox_users').set({ username: 'odd_one' }).where('wa_id', '=', ODD).execute();
  });

  it('Hub: another partner’s channel page, with these users’ rows, is not found', async () => {
    const b = await t.tenant();
    const other = new HubClient(t.baseUrl);
    expect((await other.login(b.username, b.password)).status).toBe(303);
    const page = await other.get(`/hub/partner/${b.partner_id}/channels/${a.channel_id}`);
    expect(page.status).toBe(404);
    expect(page.html).not.toContain('max_m');
  });

  it('phone: a user who hides their number sees their own number and username, and how the business sees them', async () => {
    const phone = new PhoneClient(t);
    await phone.open(a.channel_api_key, { wa_id: HIDDEN, name: 'Max' });
    const html = phone.last!.text;
    expect(html).toContain(`<p class="who">You are <strong>Max</strong> <span class="username" id="chat-username">@max_m</span> <span class="muted">+${HIDDEN}</span></p>`);
    expect(html).toContain(`<p class="hidden-number muted" id="hidden-number">Your number is hidden: the business sees you as @max_m (ID <code>${bsuid(HIDDEN)}</code>), not by your number.</p>`);
    // The conversation is the same whether the business answered by BSUID or by number.
    const items = await phone.items();
    expect(items.filter((i) => i.from === 'business')).toHaveLength(2);
  });

  it('phone: a user with a username who shows their number gets no such note; one without a username shows none', async () => {
    const named = new PhoneClient(t);
    await named.open(a.channel_api_key, { wa_id: NAMED, name: 'Jane' });
    expect(named.last!.text).toContain(`You are <strong>Jane</strong> <span class="username" id="chat-username">@jane.doe</span> <span class="muted">+${NAMED}</span>`);
    expect(named.last!.text).not.toContain('id="hidden-number"');
    const plain = new PhoneClient(t);
    await plain.open(a.channel_api_key, { wa_id: PLAIN, name: 'Plain <b>P</b>' });
    expect(plain.last!.text).toContain(`You are <strong>Plain &lt;b&gt;P&lt;/b&gt;</strong> <span class="muted">+${PLAIN}</span>`);
    expect(plain.last!.text).not.toContain('class="username"');
  });

  it("phone: the list of the channel's users names each by @username beside the number, marks a hidden one, and escapes names", async () => {
    const phone = new PhoneClient(t);
    await phone.open(a.channel_api_key, { wa_id: NAMED, name: 'Jane' });
    expect((await phone.post('/sandbox/phone/switch', {})).status).toBe(303);
    await setUser(PLAIN, { name: '<script>alert(1)</script>' });
    const html = (await phone.get('/sandbox/phone')).text;
    const buttons = [...html.matchAll(/<button type="submit" class="secondary">([\s\S]*?)<\/button>/g)].map((m) => m[1]!);
    const of = (waId: string) => buttons.find((b) => b.includes(`+${waId}`));
    expect(of(HIDDEN)).toBe(`Max <span class="username">@max_m</span> <span class="muted">+${HIDDEN} (hidden from the business)</span>`);
    expect(of(NAMED)).toBe(`Jane <span class="username">@jane.doe</span> <span class="muted">+${NAMED}</span>`);
    expect(of(PLAIN)).toBe(`&lt;script&gt;alert(1)&lt;/script&gt; <span class="muted">+${PLAIN}</span>`);
    expect(html).not.toContain('<script>alert(1)');
  });
});
