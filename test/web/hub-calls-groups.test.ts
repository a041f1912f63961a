// The Hub's channel page shows the channel's calls (Calling API) and groups (Groups API), made
// through the APIs, escaped; another partner's Hub sees none of them. Both databases.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { HubClient } from './hub-client.ts';

const CALLER = '4917600009001';
const RINGER = '4917600009002';
const MEMBER = '4915550009101';
const ASKER = '4915550009102';
const SUBJECT = '<b>Bold</b> & co';
const answer = { sdp_type: 'answer', sdp: ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=setup:active', 'a=rtpmap:111 opus/48000/2', ''].join('\r\n') };

describeEachDb('Partner Hub: a channel\'s calls and groups', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let hubA: HubClient;
  let hubB: HubClient;
  let groupId: string;
  const key = () => ({ 'D360-API-KEY': a.channel_api_key });
  const ok = async (res: Promise<{ status: number; body: any; text: string }>) => {
    const r = await res;
    expect(r.status, r.text).toBe(200);
    return r.body;
  };
  /** The part of the page from `<h2>{title}</h2>` to the next heading (or the end). */
  const section = (html: string, title: string) => {
    const start = html.indexOf(`<h2>${title}</h2>`);
    expect(start, title).toBeGreaterThan(-1);
    const end = html.indexOf('<h2>', start + 1);
    return html.slice(start, end === -1 ? undefined : end);
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    b = await t.tenant();
    await ok(t.post('/calling/settings', { headers: key(), json: { calling: { status: 'ENABLED' } } }));
    // A user's call that was answered and ended, and one still ringing.
    const done = (await ok(t.post('/sandbox/v1/inbound', { headers: key(), json: { from: CALLER, type: 'call' } }))).calls[0].id;
    await ok(t.post('/calling/calls', { headers: key(), json: { messaging_product: 'whatsapp', call_id: done, action: 'accept', session: answer } }));
    await ok(t.post('/calling/calls', { headers: key(), json: { messaging_product: 'whatsapp', call_id: done, action: 'terminate' } }));
    await ok(t.post('/sandbox/v1/inbound', { headers: key(), json: { from: RINGER, type: 'call' } }));
    // A group with one member and one open join request.
    groupId = (await ok(t.post('/groups', { headers: key(), json: { messaging_product: 'whatsapp', subject: SUBJECT, join_approval_mode: 'approval_required' } }))).id;
    await ok(t.post('/sandbox/v1/group_join', { headers: key(), json: { from: ASKER, group_id: groupId } }));
    // The member: added by approving a request.
    const asked = await ok(t.post('/sandbox/v1/group_join', { headers: key(), json: { from: MEMBER, group_id: groupId } }));
    await ok(t.post(`/groups/${groupId}/join_requests`, { headers: key(), json: { messaging_product: 'whatsapp', join_requests: [asked.join_request_id] } }));
    hubA = new HubClient(t.baseUrl);
    hubB = new HubClient(t.baseUrl);
    expect((await hubA.login(a.username, a.password)).status).toBe(303);
    expect((await hubB.login(b.username, b.password)).status).toBe(303);
  });
  afterAll(() => t?.close());

  it('the channel page lists the calls: time, direction, user, state, duration', async () => {
    const page = await hubA.get(`/hub/partner/${a.partner_id}/channels/${a.channel_id}`);
    expect(page.status).toBe(200);
    const calls = section(page.html, 'Calls');
    const rows = calls.split('<tr>').slice(2);
    expect(rows).toHaveLength(2);
    // Newest first: the ringing call, then the ended one with its duration.
    expect(rows[0]).toContain(RINGER);
    expect(rows[0]).toContain('>ringing<');
    expect(rows[0]).toContain('← in');
    expect(rows[0]).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    expect(rows[1]).toContain(CALLER);
    expect(rows[1]).toContain('>ended<');
    expect(rows[1]).toMatch(/<td>\d+ s<\/td>/);
  });

  it('the channel page lists the groups, the subject escaped, with participant and join request counts', async () => {
    const page = await hubA.get(`/hub/partner/${a.partner_id}/channels/${a.channel_id}`);
    const groups = section(page.html, 'Groups');
    expect(groups).toContain('<span class="group-subject">&lt;b&gt;Bold&lt;/b&gt; &amp; co</span>');
    expect(page.html).not.toContain('<b>Bold</b>');
    const row = groups.split('<tr>')[2]!;
    expect(row).toContain(groupId);
    expect(row.match(/<td>([^<]*)<\/td>/g)).toEqual(['<td>1</td>', '<td>no</td>', '<td>yes</td>', '<td>1</td>']);
  });

  it("another partner's Hub sees none of them: its own channel shows none, and A's channel is refused", async () => {
    const own = await hubB.get(`/hub/partner/${b.partner_id}/channels/${b.channel_id}`);
    expect(own.status).toBe(200);
    expect(own.html).toContain('id="calls-empty"');
    expect(own.html).toContain('id="groups-empty"');
    for (const path of [`/hub/partner/${b.partner_id}/channels/${a.channel_id}`, `/hub/partner/${a.partner_id}/channels/${a.channel_id}`]) {
      const res = await hubB.get(path);
      expect([403, 404], path).toContain(res.status);
      for (const s of [groupId, 'Bold', CALLER, RINGER]) expect(res.html, path).not.toContain(s);
    }
  });
});
