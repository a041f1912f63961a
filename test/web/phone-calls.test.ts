// Calls on the sandbox phone, in Chromium at phone size: the business calls the user (the page
// shows an incoming-call bar with Accept and Decline, live, without a reload); Accept connects it
// (the business gets the connect webhook with the SDP answer and ACCEPTED), Hang up ends it
// (COMPLETED); Decline refuses another (REJECTED, then FAILED); the user calls the business with
// the Call button and hangs up. Without JavaScript the same forms post and come back (303) to
// the page, which shows the call. The simulated user is set never to answer by themselves
// (OPENWABA_SANDBOX_CALL_ANSWER=never): the page answers.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { Receiver } from '../helpers/receiver.ts';
import { PhoneClient, signInPhone } from './phone-client.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const browserCheck = await checkBrowser();
const WA = '4917055509901';
const SDP = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=rtpmap:111 opus/48000/2', ''].join('\r\n');

describeBrowser('sandbox phone in Chromium: calls', browserCheck, () => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let session: IsolatedBrowser;
  let page: Page;
  /** The business's name as the phone shows it (the channel's phone name). */
  let NAME = '';
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const bar = () => page.locator('#call');
  const eventsOf = (id: string, done: (events: any[]) => boolean) =>
    receiver.waitForBody(`call events of ${id}`, (bodies) => {
      const events = bodies
        .filter((b: any) => b.entry?.[0]?.changes?.[0]?.field === 'calls')
        .map((b: any) => b.entry[0].changes[0].value)
        .flatMap((v: any) => [...(v.calls ?? []), ...(v.statuses ?? [])])
        .filter((e: any) => e.id === id);
      return done(events) ? events : undefined;
    });
  const names = (events: any[]) => events.map((e) => e.event ?? e.status);
  const businessCalls = async (to: string) => {
    const res = await t.post('/calling/calls', { headers: key(), json: { messaging_product: 'whatsapp', to, action: 'connect', session: { sdp_type: 'offer', sdp: SDP } } });
    expect(res.status, res.text).toBe(200);
    return res.body.calls[0].id as string;
  };
  const stateOf = async (id: string) => (await t.deps.db.kysely.selectFrom('calls').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
  async function shot(name: string) {
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow, `${name}: horizontal overflow`).toBeLessThanOrEqual(0);
    await screenshot(page, `phone-${name}`);
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_SANDBOX_CALL_ANSWER: 'never', OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY: '1' } });
    p = await t.tenant({ brandName: 'Pizza Bot' });
    NAME = (await t.deps.db.kysely.selectFrom('channels').select('phone_name').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).phone_name!;
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/cloud` } })).status).toBe(200);
    expect((await t.post('/calling/settings', { headers: key(), json: { calling: { status: 'ENABLED' } } })).status).toBe(200);
    // The user allowed the business to call them.
    const granted = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: WA, type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: true } } } });
    expect(granted.status, granted.text).toBe(200);
    session = await signInPhone(t.baseUrl, p.channel_api_key, { wa: WA, name: 'Jane' });
    page = session.page;
    await page.locator('#chat').waitFor();
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await receiver?.close();
  });

  it('the business calls: Accept and Decline ring in live; Accept connects, Hang up ends it with its duration', async () => {
    expect(await bar().isHidden()).toBe(true);
    await page.evaluate('window.stay = 1');
    const id = await businessCalls(WA);
    await page.getByRole('alert').filter({ hasText: `Incoming voice call from ${NAME}` }).waitFor({ timeout: 5000 });
    // While it rings the Call button is gone (one call at a time).
    expect(await page.getByRole('button', { name: 'Call the business' }).isHidden()).toBe(true);
    await shot('call-incoming');
    await page.getByRole('button', { name: 'Accept' }).click();
    await bar().getByText(`On a call with ${NAME}`).waitFor({ timeout: 5000 });
    expect(await bar().locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.getByRole('button', { name: 'Accept' }).count()).toBe(0);
    const accepted = await eventsOf(id, (es) => es.some((e) => e.status === 'ACCEPTED'));
    expect(names(accepted)).toEqual(['RINGING', 'connect', 'ACCEPTED']);
    expect(accepted[1]).toMatchObject({ direction: 'BUSINESS_INITIATED', to: WA, session: { sdp_type: 'answer' } });
    await shot('call-connected');
    await page.waitForTimeout(1100);
    await page.getByRole('button', { name: 'Hang up' }).click();
    await bar().waitFor({ state: 'hidden', timeout: 5000 });
    const ended = await eventsOf(id, (es) => es.some((e) => e.event === 'terminate'));
    expect(ended.find((e) => e.event === 'terminate')).toMatchObject({ status: 'COMPLETED', duration: expect.any(Number) });
    expect(ended.find((e) => e.event === 'terminate').duration).toBeGreaterThanOrEqual(1);
    expect(await stateOf(id)).toBe('ended');
    await page.getByRole('button', { name: 'Call the business' }).waitFor();
    // The ended call shows in the conversation as a log line, live.
    await page.locator('#chat li.call-log.from-business').filter({ hasText: /Incoming voice call · 0:0\d/ }).waitFor({ timeout: 5000 });
    // The live script did it all: the page was never reloaded.
    expect(await page.evaluate('window.stay')).toBe(1);

    const declined = await businessCalls(WA);
    await page.getByRole('button', { name: 'Decline' }).click();
    await bar().waitFor({ state: 'hidden', timeout: 5000 });
    expect(names(await eventsOf(declined, (es) => es.some((e) => e.event === 'terminate')))).toEqual(['RINGING', 'REJECTED', 'terminate']);
    expect(await stateOf(declined)).toBe('rejected');
    await page.locator('#chat li.call-log').filter({ hasText: 'Declined incoming voice call' }).waitFor({ timeout: 5000 });
    await shot('call-log');
  });

  it('the user calls the business with the Call button, then hangs up', async () => {
    await page.getByRole('button', { name: 'Call the business' }).click();
    await bar().getByText(`Calling ${NAME}…`).waitFor({ timeout: 5000 });
    const row = await t.deps.db.kysely.selectFrom('calls').select(['id', 'state', 'direction']).where('wa_id', '=', WA).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ direction: 'USER_INITIATED', state: 'ringing' });
    const [connect] = await eventsOf(row.id, (es) => es.length > 0);
    expect(connect).toMatchObject({ event: 'connect', direction: 'USER_INITIATED', from: WA, session: { sdp_type: 'offer' } });
    await shot('call-outgoing');
    // The business picks up: the page follows.
    const acc = await t.post('/calling/calls', { headers: key(), json: { messaging_product: 'whatsapp', call_id: row.id, action: 'accept', session: { sdp_type: 'answer', sdp: SDP } } });
    expect(acc.status, acc.text).toBe(200);
    await bar().getByText(`On a call with ${NAME}`).waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Hang up' }).click();
    await bar().waitFor({ state: 'hidden', timeout: 5000 });
    expect((await eventsOf(row.id, (es) => es.some((e) => e.event === 'terminate'))).find((e) => e.event === 'terminate')).toMatchObject({ status: 'COMPLETED', direction: 'USER_INITIATED' });
  });

  it('without JavaScript: the forms post and come back (303) to the page, which shows the call; a second call is refused', async () => {
    const phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: '4917055509902', name: 'Noscript' });
    expect(phone.last!.text).toContain('action="/sandbox/phone/call"');
    const call = await phone.post('/sandbox/phone/call', {});
    expect(call.status, call.text).toBe(303);
    expect(call.headers.location).toBe('/sandbox/phone');
    const page1 = await phone.get('/sandbox/phone');
    expect(page1.text).toContain(`Calling ${NAME}…`);
    const callId = /name="call_id" value="([^"]+)"/.exec(page1.text)![1]!;
    const again = await phone.post('/sandbox/phone/call', {});
    expect(again.status).toBe(409);
    expect(again.text).toContain('already in a call');
    // Another user's call is not this phone's to end.
    const other = await businessCalls(WA);
    const foreign = await phone.post('/sandbox/phone/call/end', { call_id: other });
    expect(foreign.status).toBe(404);
    expect(await stateOf(other)).toBe('ringing');
    const end = await phone.post('/sandbox/phone/call/end', { call_id: callId });
    expect(end.status).toBe(303);
    expect(await stateOf(callId)).toBe('ended');
    expect((await phone.get('/sandbox/phone')).text).not.toContain(`Calling ${NAME}…`);
    const stale = await phone.post('/sandbox/phone/call/end', { call_id: callId });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('That call has ended.');
    // A wrong CSRF token changes nothing.
    const forged = await phone.post('/sandbox/phone/call', { _csrf: 'forged' });
    expect(forged.status).toBe(403);
  });
});
