// Groups on the sandbox phone (src/web/phone/groups.ts), forms without JavaScript: a group made
// through the Groups API is joined by its invite link on the phone, listed on the chat page, shows
// the business's send and another participant's message with their senders; the user writes to it
// (the business's webhook gets the message with group_id, and the 1:1 chat does not show it) and
// leaves it (group_participants_remove initiated by the participant).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient, inboundMessages } from './phone-client.ts';

const WA = '4917099881001';
const BEN = '4917099881002';

describeEachDb('sandbox phone: groups', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const groupHooks = () => receiver.bodies().filter((b) => b.entry?.[0]?.changes?.[0]?.field === 'group_participants_update').map((b) => b.entry[0].changes[0].value.groups[0]);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: receiver.url } })).status).toBe(200);
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane Doe' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('join by invite link → group send and a participant show with senders → write (webhook has group_id) → leave', async () => {
    const created = await t.post('/groups', { headers: key(), json: { messaging_product: 'whatsapp', subject: 'Cars <&> Co' } });
    expect(created.status, created.text).toBe(200);
    const id = created.body.id as string;
    const link = (await t.get(`/groups/${id}/invite_link`, { headers: key() })).body.invite_link as string;
    expect(link).toMatch(/^https:\/\/chat\.whatsapp\.com\//);

    // Not in it yet: the chat page does not list it, its page is a 404.
    expect((await phone.get('/sandbox/phone')).text).not.toContain('Cars &lt;&amp;&gt; Co');
    expect((await phone.get(`/sandbox/phone/groups/${encodeURIComponent(id)}`)).status).toBe(404);

    // A bad link is a 400 on the phone page, the draft kept; the real one joins (as /sandbox/v1/group_join).
    const bad = await phone.post('/sandbox/phone/groups/join', { invite_link: 'https://example.com/x y' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('must be a group invite link');
    expect(bad.text).toContain('value="https://example.com/x y"');
    const joined = await phone.post('/sandbox/phone/groups/join', { invite_link: ` ${link} ` });
    expect(joined.status, joined.text).toBe(303);
    expect(joined.headers.location).toBe(`/sandbox/phone/groups/${encodeURIComponent(id)}`);
    const added = await receiver.waitForBody('participants add', () => groupHooks().find((g) => g.type === 'group_participants_add'));
    expect(added).toMatchObject({ group_id: id, reason: 'invite_link', added_participants: [{ wa_id: WA }] });
    // Joining again: the API's 409, said on the page.
    const again = await phone.post('/sandbox/phone/groups/join', { invite_link: link.slice(link.lastIndexOf('/') + 1) });
    expect(again.status).toBe(409);
    expect(again.text).toContain('is a participant of this group already');

    const list = await phone.get('/sandbox/phone');
    expect(list.text).toContain(`href="/sandbox/phone/groups/${encodeURIComponent(id)}">Cars &lt;&amp;&gt; Co</a>`);

    // The business sends to the group; another participant writes through the sandbox API.
    expect((await t.post('/sandbox/v1/group_join', { headers: key(), json: { from: BEN, invite_link: link } })).status).toBe(200);
    const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient_type: 'group', to: id, type: 'text', text: { body: 'Welcome <all>' } } });
    expect(sent.status, sent.text).toBe(200);
    const ben = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: BEN, name: 'Ben', group_id: id, type: 'text', text: { body: 'hi from ben' } } });
    expect(ben.status, ben.text).toBe(200);

    const view = await phone.get(`/sandbox/phone/groups/${encodeURIComponent(id)}`);
    expect(view.status).toBe(200);
    expect(view.text).toContain('Cars &lt;&amp;&gt; Co');
    const business = /<h1 id="chat-title">([^<]+) <span/.exec(list.text)![1]!;
    expect(view.text).toMatch(new RegExp(`<strong>${business}</strong></p>\\s*<p class="text">Welcome &lt;all&gt;</p>`));
    expect(view.text).toMatch(new RegExp(`<strong>Ben \\(\\+${BEN}\\)</strong></p>\\s*<p class="text">hi from ben</p>`));

    // The user writes from the phone: the business's webhook gets it with group_id.
    const wrote = await phone.post(`/sandbox/phone/groups/${encodeURIComponent(id)}/text`, { body: 'count me <in>' });
    expect(wrote.status, wrote.text).toBe(303);
    expect(wrote.headers.location).toBe(`/sandbox/phone/groups/${encodeURIComponent(id)}`);
    const mine = await receiver.waitForBody('group message', () => inboundMessages(receiver).find((m) => m.from === WA && m.text?.body === 'count me <in>'));
    expect(mine).toMatchObject({ group_id: id, type: 'text', contact: { wa_id: WA, profile: { name: 'Jane Doe' } } });
    const after = await phone.get(`/sandbox/phone/groups/${encodeURIComponent(id)}`);
    expect(after.text).toMatch(/<strong>You<\/strong><\/p>\s*<p class="text">count me &lt;in&gt;<\/p>/);
    // Not in the user's one-to-one chat with the business.
    expect((await phone.get('/sandbox/phone')).text).not.toContain('count me &lt;in&gt;');

    // An empty message is refused on the group's page; a stale CSRF token too.
    const empty = await phone.post(`/sandbox/phone/groups/${encodeURIComponent(id)}/text`, { body: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('The message is required.');
    const forged = await phone.post(`/sandbox/phone/groups/${encodeURIComponent(id)}/leave`, { _csrf: 'nope' });
    expect(forged.status).toBe(403);

    // Leave: the webhook says the participant left; the group is gone from the phone.
    const left = await phone.post(`/sandbox/phone/groups/${encodeURIComponent(id)}/leave`, {});
    expect(left.status, left.text).toBe(303);
    expect(left.headers.location).toBe('/sandbox/phone');
    const gone = await receiver.waitForBody('participant left', () => groupHooks().find((g) => g.type === 'group_participants_remove'));
    expect(gone).toMatchObject({ group_id: id, initiated_by: 'participant', removed_participants: [{ wa_id: WA }] });
    expect((await phone.get('/sandbox/phone')).text).not.toContain('Cars &lt;&amp;&gt; Co');
    expect((await phone.get(`/sandbox/phone/groups/${encodeURIComponent(id)}`)).status).toBe(404);
    const late = await phone.post(`/sandbox/phone/groups/${encodeURIComponent(id)}/text`, { body: 'still here?' });
    expect(late.status).toBe(404);
  });

  it('a group requiring approval: a pending request is listed, its page says so, and it can be withdrawn; hostile input is a 4xx', async () => {
    const created = await t.post('/groups', { headers: key(), json: { messaging_product: 'whatsapp', subject: 'Members only', join_approval_mode: 'approval_required' } });
    const id = created.body.id as string;
    const link = (await t.get(`/groups/${id}/invite_link`, { headers: key() })).body.invite_link as string;
    const asked = await phone.post('/sandbox/phone/groups/join', { invite_link: link });
    expect(asked.status, asked.text).toBe(303);
    expect(asked.headers.location).toBe('/sandbox/phone');
    expect((await phone.get('/sandbox/phone')).text).toMatch(/>Members only<\/a> <span class="muted">\(join request pending\)<\/span>/);
    const page = await phone.get(`/sandbox/phone/groups/${encodeURIComponent(id)}`);
    expect(page.text).toContain('id="group-requested"');
    expect(page.text).not.toContain('id="group-compose"');
    // Writing before approval: the API's refusal, on the group's page.
    const early = await phone.post(`/sandbox/phone/groups/${encodeURIComponent(id)}/text`, { body: 'let me in' });
    expect(early.status).toBe(400);
    expect(early.text).toContain('has not approved it yet');
    const withdrawn = await phone.post(`/sandbox/phone/groups/${encodeURIComponent(id)}/leave`, {});
    expect(withdrawn.status).toBe(303);
    const revoked = await receiver.waitForBody('request revoked', () => groupHooks().find((g) => g.type === 'group_join_request_revoked' && g.group_id === id));
    expect(revoked).toMatchObject({ wa_id: WA });

    expect((await phone.post('/sandbox/phone/groups/join', { invite_link: 'x'.repeat(300) })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/groups/join', { invite_link: '' })).status).toBe(400);
    expect((await phone.get(`/sandbox/phone/groups/${'A'.repeat(400)}`)).status).toBe(404);
    expect((await phone.post(`/sandbox/phone/groups/${encodeURIComponent(id)}/text`, { body: 'x'.repeat(5000) })).status).toBe(404);
  });
});
