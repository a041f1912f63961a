// The Calling API's call lifecycle on the sandbox network, on both databases, with a clock the test
// moves: the simulated user hangs up or declines (POST /sandbox/v1/calls/{id}/terminate) and picks
// up (…/accept), calls nobody answers end after the ring time (a durable job: a scheduler started
// afresh, as after a restart, still ends them), and the simulated user's answer follows
// OPENWABA_SANDBOX_CALL_ANSWER (answer or decline after a delay, or never), unless the user has a
// setting of their own (POST /sandbox/v1/users/{wa_id} {"calls": …}).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { ManualClock } from '../../src/clock.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/config-error.ts';
import { RING_TIMEOUT_MS } from '../../src/messaging/call-lifecycle.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const SDP = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=rtpmap:111 opus/48000/2', ''].join('\r\n');
const offer = { sdp_type: 'offer', sdp: SDP };
const answer = { sdp_type: 'answer', sdp: SDP };

describe('OPENWABA_SANDBOX_CALL_ANSWER', () => {
  const load = (v?: string) => loadConfig({ DATABASE_URL: 'sqlite::memory:', ...(v === undefined ? {} : { OPENWABA_SANDBOX_CALL_ANSWER: v }) }).sandboxCallAnswer;
  it('answers after 1 s by default; takes a delay, answer=/decline= and never; refuses anything else naming the variable', () => {
    expect(load()).toEqual({ action: 'answer', ms: 1000 });
    expect(load('250ms')).toEqual({ action: 'answer', ms: 250 });
    expect(load('answer=3s')).toEqual({ action: 'answer', ms: 3000 });
    expect(load('decline=2s')).toEqual({ action: 'decline', ms: 2000 });
    expect(load('never').action).toBe('never');
    for (const bad of ['soon', 'decline', 'hangup=1s', '-1s']) {
      expect(() => load(bad), bad).toThrow(ConfigError);
      expect(() => load(bad), bad).toThrow(/OPENWABA_SANDBOX_CALL_ANSWER/);
    }
  });
});

describeEachDb('Calling API: hang-up, ring time and the simulated user\'s answer', (kind) => {
  const clock = new ManualClock(new Date('2026-06-01T10:00:00.000Z'));
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let n = 0;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const nextUser = () => `49176000020${String(++n).padStart(2, '0')}`;
  const calls = (json: unknown) => t.post('/calling/calls', { headers: key(), json });
  const userDoes = (id: string, action: 'accept' | 'terminate', opts: { headers?: Record<string, string>; json?: unknown } = {}) =>
    t.post(`/sandbox/v1/calls/${encodeURIComponent(id)}/${action}`, { headers: opts.headers ?? key(), ...(opts.json !== undefined ? { json: opts.json } : {}) });
  /**
   * The call webhooks (value.calls[] and value.statuses[]) for a call id so far, each once: moving
   * the clock past a delivery's lease while it is being recorded may deliver it again (webhooks are
   * at least once), which is not a second event.
   */
  const eventsNow = (id: string) => {
    const seen = new Set<string>();
    return receiver
      .bodies()
      .filter((b) => b.entry?.[0]?.changes?.[0]?.field === 'calls')
      .map((b) => b.entry[0].changes[0].value)
      .flatMap((v) => [...(v.calls ?? []), ...(v.statuses ?? [])])
      .filter((e: any) => {
        const k = JSON.stringify(e);
        if (e.id !== id || seen.has(k)) return false;
        seen.add(k);
        return true;
      });
  };
  const eventsOf = (id: string, done: (events: any[]) => boolean) =>
    receiver.waitForBody(`call events of ${id}`, () => {
      const events = eventsNow(id);
      return done(events) ? events : undefined;
    });
  const names = (events: any[]) => events.map((e) => e.event ?? e.status);
  /** Moves the clock and runs what fell due. */
  const after = async (ms: number, jobs = t.jobs!) => {
    clock.advance(ms);
    await jobs.runDue();
  };
  /** Gives the dispatcher time to deliver anything the last step queued, for "nothing more came" checks. */
  const settle = async (id: string) => {
    await new Promise((r) => setTimeout(r, 400));
    return eventsNow(id);
  };
  const grant = async (wa: string) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: wa, type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: true } } } });
    expect(res.status, res.text).toBe(200);
  };
  const businessCalls = async (wa: string) => {
    await grant(wa);
    const res = await calls({ messaging_product: 'whatsapp', to: wa, action: 'connect', session: offer });
    expect(res.status, res.text).toBe(200);
    const id = res.body.calls[0].id as string;
    // Webhooks to one receiver may overtake each other: the next step waits for this one.
    await eventsOf(id, (es) => es.some((e) => e.status === 'RINGING'));
    return id;
  };
  const userCalls = async (wa: string) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: wa, type: 'call' } });
    expect(res.status, res.text).toBe(200);
    const id = res.body.calls[0].id as string;
    await eventsOf(id, (es) => es.some((e) => e.event === 'connect'));
    return id;
  };
  const stateOf = async (id: string) => (await t.deps.db.kysely.selectFrom('calls').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
  const expectGraphError = (res: { status: number; body: any; text: string }, details: RegExp) => {
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, type: expect.any(String), fbtrace_id: expect.any(String) });
    expect(res.body.error.error_data.details).toMatch(details);
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // One delivery at a time to the receiver: webhooks arrive in the order they were written.
    t = await startTestApp(kind, { clock, dispatcher: true, env: { OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY: '1' } });
    // Jobs run when the test moves the clock.
    await t.jobs!.stop();
    p = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/cloud` } })).status).toBe(200);
    expect((await t.post('/calling/settings', { headers: key(), json: { calling: { status: 'ENABLED' } } })).status).toBe(200);
  });
  beforeEach(() => {
    t.deps.config.sandboxCallAnswer = { action: 'answer', ms: 1000 };
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('the user hangs up a connected business call: COMPLETED with the time talked', async () => {
    const id = await businessCalls(nextUser());
    await after(1000);
    await eventsOf(id, (es) => es.some((e) => e.status === 'ACCEPTED'));
    await after(42_000);
    const res = await userDoes(id, 'terminate');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true, call: { id, outcome: 'completed' } });
    const events = await eventsOf(id, (es) => es.some((e) => e.event === 'terminate'));
    expect(names(events)).toEqual(['RINGING', 'connect', 'ACCEPTED', 'terminate']);
    expect(events[3]).toMatchObject({ event: 'terminate', status: 'COMPLETED', direction: 'BUSINESS_INITIATED', duration: 42 });
    expect(Number(events[3].end_time) - Number(events[3].start_time)).toBe(42);
    expect(await stateOf(id)).toBe('ended');
    // Ended: neither side can act on it any more, and the ring time changes nothing.
    expectGraphError(await userDoes(id, 'terminate'), /has ended/);
    expectGraphError(await calls({ messaging_product: 'whatsapp', call_id: id, action: 'terminate' }), /has ended/);
    await after(RING_TIMEOUT_MS);
    expect(names(await settle(id))).toEqual(['RINGING', 'connect', 'ACCEPTED', 'terminate']);
  });

  it('the user declines a business call that rings: REJECTED, then a FAILED terminate; the answer job then does nothing', async () => {
    const id = await businessCalls(nextUser());
    const res = await userDoes(id, 'terminate', { json: {} });
    expect(res.status, res.text).toBe(200);
    expect(res.body.call).toEqual({ id, outcome: 'rejected' });
    await after(1000);
    const events = await eventsOf(id, (es) => es.some((e) => e.event === 'terminate'));
    expect(names(await settle(id))).toEqual(['RINGING', 'REJECTED', 'terminate']);
    expect(events.find((e) => e.event === 'terminate')).toMatchObject({ status: 'FAILED', direction: 'BUSINESS_INITIATED' });
    expect(events.find((e) => e.event === 'terminate').duration).toBeUndefined();
    expect(await stateOf(id)).toBe('rejected');
    expectGraphError(await userDoes(id, 'accept'), /has ended/);
  });

  it('the user calls and hangs up: before an answer a FAILED terminate, after one COMPLETED', async () => {
    const wa = nextUser();
    const early = await userCalls(wa);
    const gaveUp = await userDoes(early, 'terminate');
    expect(gaveUp.status, gaveUp.text).toBe(200);
    expect(gaveUp.body.call).toEqual({ id: early, outcome: 'cancelled' });
    const ev1 = await eventsOf(early, (es) => es.some((e) => e.event === 'terminate'));
    expect(names(ev1)).toEqual(['connect', 'terminate']);
    expect(ev1[1]).toMatchObject({ status: 'FAILED', direction: 'USER_INITIATED', from: wa });
    expectGraphError(await calls({ messaging_product: 'whatsapp', call_id: early, action: 'accept', session: answer }), /has ended/);

    const talked = await userCalls(wa);
    // The user's own call is answered by the business, not by the user.
    expectGraphError(await userDoes(talked, 'accept'), /user's own call/);
    expect((await calls({ messaging_product: 'whatsapp', call_id: talked, action: 'accept', session: answer })).status).toBe(200);
    await after(7_000);
    const hung = await userDoes(talked, 'terminate');
    expect(hung.body.call).toEqual({ id: talked, outcome: 'completed' });
    const ev2 = await eventsOf(talked, (es) => es.some((e) => e.event === 'terminate'));
    expect(ev2.find((e) => e.event === 'terminate')).toMatchObject({ status: 'COMPLETED', direction: 'USER_INITIATED', duration: 7 });
  });

  it('a user call the business leaves unanswered (or only pre-accepted) ends after the ring time, from the database: a scheduler started afresh ends it', async () => {
    const unanswered = await userCalls(nextUser());
    const preAccepted = await userCalls(nextUser());
    expect((await calls({ messaging_product: 'whatsapp', call_id: preAccepted, action: 'pre_accept', session: answer })).status).toBe(200);
    const answered = await userCalls(nextUser());
    expect((await calls({ messaging_product: 'whatsapp', call_id: answered, action: 'accept', session: answer })).status).toBe(200);
    // As after a restart: nothing in this process's memory, only the jobs table.
    const fresh = new JobScheduler(t.deps);
    await after(RING_TIMEOUT_MS - 1000, fresh);
    expect(await stateOf(unanswered)).toBe('ringing');
    expect(names(await settle(unanswered))).toEqual(['connect']);
    await after(1000, fresh);
    for (const id of [unanswered, preAccepted]) {
      const events = await eventsOf(id, (es) => es.some((e) => e.event === 'terminate'));
      expect(names(events)).toEqual(['connect', 'terminate']);
      expect(events[1]).toMatchObject({ status: 'FAILED', direction: 'USER_INITIATED' });
      expect(events[1].duration).toBeUndefined();
      expect(await stateOf(id)).toBe('ended');
    }
    // The business answers too late.
    expectGraphError(await calls({ messaging_product: 'whatsapp', call_id: unanswered, action: 'accept', session: answer }), /has ended/);
    // A connected call is not cut off by the ring time.
    expect(await stateOf(answered)).toBe('accepted');
    expect(names(await settle(answered))).toEqual(['connect']);
  });

  it('answer never: a business call rings until the ring time (a FAILED terminate), unless the user picks up', async () => {
    t.deps.config.sandboxCallAnswer = { action: 'never', ms: 1000 };
    const rings = await businessCalls(nextUser());
    const picked = await businessCalls(nextUser());
    await after(30_000);
    expect(names(await settle(rings))).toEqual(['RINGING']);
    const res = await userDoes(picked, 'accept');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true, call: { id: picked, outcome: 'accepted' } });
    expect(names(await eventsOf(picked, (es) => es.some((e) => e.status === 'ACCEPTED')))).toEqual(['RINGING', 'connect', 'ACCEPTED']);
    expectGraphError(await userDoes(picked, 'accept'), /connected already/);
    await after(RING_TIMEOUT_MS - 30_000);
    const events = await eventsOf(rings, (es) => es.some((e) => e.event === 'terminate'));
    expect(names(events)).toEqual(['RINGING', 'terminate']);
    expect(events[1]).toMatchObject({ status: 'FAILED', direction: 'BUSINESS_INITIATED' });
    expect(await stateOf(picked)).toBe('accepted');
    // The picked-up call goes on until someone hangs up.
    expect((await userDoes(picked, 'terminate')).body.call.outcome).toBe('completed');
    expect((await eventsOf(picked, (es) => es.some((e) => e.event === 'terminate'))).find((e) => e.event === 'terminate')).toMatchObject({ status: 'COMPLETED', duration: RING_TIMEOUT_MS / 1000 - 30 });
  });

  it('decline after a delay: REJECTED and a FAILED terminate at that time, not before', async () => {
    t.deps.config.sandboxCallAnswer = { action: 'decline', ms: 5000 };
    const id = await businessCalls(nextUser());
    await after(4000);
    expect(await stateOf(id)).toBe('ringing');
    await after(1000);
    const events = await eventsOf(id, (es) => es.some((e) => e.event === 'terminate'));
    expect(names(events)).toEqual(['RINGING', 'REJECTED', 'terminate']);
    expect(events[2]).toMatchObject({ status: 'FAILED' });
  });

  it('an answer delay past the ring time lets the call ring out', async () => {
    t.deps.config.sandboxCallAnswer = { action: 'answer', ms: RING_TIMEOUT_MS + 5000 };
    const id = await businessCalls(nextUser());
    await after(RING_TIMEOUT_MS + 5000);
    const events = await eventsOf(id, (es) => es.some((e) => e.event === 'terminate'));
    expect(names(await settle(id))).toEqual(['RINGING', 'terminate']);
    expect(events[1]).toMatchObject({ status: 'FAILED' });
  });

  const setUser = (wa: string, json: unknown) => t.post(`/sandbox/v1/users/${wa}`, { headers: key(), json });
  const listedCalls = async (wa: string) => ((await t.get('/sandbox/v1/users', { headers: key() })).body.users as any[]).find((u) => u.wa_id === wa)?.calls;

  it("a user's own call setting wins over the global one (decline, ignore, a delay of their own); a user without one follows the global", async () => {
    const [a, b, c, d] = [nextUser(), nextUser(), nextUser(), nextUser()];
    for (const [wa, calls] of [[a, 'decline'], [b, 'ignore'], [d, ' answer = 3s ']] as const) {
      const res = await setUser(wa, { calls });
      expect(res.status, res.text).toBe(200);
      expect(res.body.calls).toBe(calls.includes('=') ? 'answer=3s' : calls);
    }
    expect(await listedCalls(a)).toBe('decline');
    expect(await listedCalls(b)).toBe('ignore');
    const [ca, cb, cc, cd] = [await businessCalls(a), await businessCalls(b), await businessCalls(c), await businessCalls(d)];
    expect(await listedCalls(c)).toBe('default');
    // The global delay (1 s): A declines, C (no setting of their own) answers; D waits for their own 3 s.
    await after(1000);
    const declined = await eventsOf(ca, (es) => es.some((e) => e.event === 'terminate'));
    expect(names(declined)).toEqual(['RINGING', 'REJECTED', 'terminate']);
    expect(declined[2]).toMatchObject({ status: 'FAILED', direction: 'BUSINESS_INITIATED' });
    expect(names(await eventsOf(cc, (es) => es.some((e) => e.status === 'ACCEPTED')))).toEqual(['RINGING', 'connect', 'ACCEPTED']);
    expect(await stateOf(cd)).toBe('ringing');
    await after(2000);
    expect(names(await eventsOf(cd, (es) => es.some((e) => e.status === 'ACCEPTED')))).toEqual(['RINGING', 'connect', 'ACCEPTED']);
    // B ignores the call while the global setting says answer: it only rings.
    await after(20_000);
    expect(await stateOf(cb)).toBe('ringing');
    expect(names(await settle(cb))).toEqual(['RINGING']);
    // "default" hands the user back to the global setting.
    const back = await setUser(b, { calls: 'default' });
    expect(back.body.calls).toBe('default');
    expect(await stateOf(ca)).toBe('rejected');
  });

  it('a bad call setting answers 400 naming the allowed values, and changes nothing', async () => {
    const wa = nextUser();
    expect((await setUser(wa, { calls: 'decline=2s' })).body.calls).toBe('decline=2s');
    for (const calls of ['sometimes', 'never', 'answer=soon', 'decline=', 'answer=-1s', 42, true, {}, ['answer'], 'x'.repeat(100)]) {
      const res = await setUser(wa, { calls, name: 'Changed' });
      expectGraphError(res, /calls: .*"answer", "decline", "ignore" or "default"/);
    }
    const users = (await t.get('/sandbox/v1/users', { headers: key() })).body.users as any[];
    expect(users.find((u) => u.wa_id === wa)).toMatchObject({ calls: 'decline=2s', name: null });
  });

  it("the user's actions are the channel's own and take no body of substance", async () => {
    const id = await userCalls(nextUser());
    const other = await t.tenant();
    expectGraphError(await userDoes(id, 'terminate', { headers: { 'D360-API-KEY': other.channel_api_key } }), /no call/);
    expectGraphError(await userDoes('wacid.nothing', 'terminate'), /no call wacid\.nothing/);
    expectGraphError(await userDoes(id, 'terminate', { json: { reason: 'busy' } }), /reason/);
    expectGraphError(await userDoes(id, 'terminate', { json: [1] }), /body/);
    expect(await stateOf(id)).toBe('ringing');
    const noKey = await t.post(`/sandbox/v1/calls/${id}/terminate`, {});
    expect(noKey.status).toBe(401);
    expect(await stateOf(id)).toBe('ringing');
  });
});
