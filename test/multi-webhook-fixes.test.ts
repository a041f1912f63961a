// Multiple webhooks per number (/multi_webhook), three rules:
// 1. copies not yet delivered to a destination that is removed (POST with a list without it) or
//    switched off (POST {"enabled":false}) end at once as failed, with the reason; a destination
//    added again under the same name does not bring them back (nor does the main webhook revive an
//    ended event: only a replay does, and a replayed copy of a removed destination ends again);
// 2. Cloud API numbers only: an On-Premise number is refused on every method (400 {"error"}),
//    and a number whose hosting became On-Premise sends its stored destinations nothing;
// 3. a destination's Content-Type header (taken as 360dialog's sample sends it) passes every check
//    of other headers, and only as application/json (parameters allowed).
// The dispatcher is driven by hand on a manual clock, so that "at once" and "not retried" are
// exact: a failed copy's next attempt is due 5 s later (the default schedule), and nothing moves
// unless the test moves the clock.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { Dispatcher } from '../src/webhooks/dispatcher.ts';
import { COPIES_GIVEN_UP } from '../src/messaging/multi-webhook-delivery.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type HttpResponse, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';

const PATH = '/multi_webhook';
const ADMIN = 'c'.repeat(32);

function expectError(res: HttpResponse, status: number, text: string) {
  expect(res.status, res.text).toBe(status);
  expect(Object.keys(res.body ?? {})).toEqual(['error']);
  expect(res.body.error).toContain(text);
}

describeEachDb('multiple webhooks: given-up copies, Cloud API numbers only, Content-Type', (kind) => {
  const clock = new ManualClock(new Date('2026-05-04T10:00:00.000Z'));
  let t: TestApp;
  let dispatcher: Dispatcher;
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };
  const db = () => t.deps.db.kysely;
  const key = (p: BootstrapResult | string) => ({ 'D360-API-KEY': typeof p === 'string' ? p : p.channel_api_key });
  const call = (method: string, p: BootstrapResult | string, json?: unknown) => t.request(method, PATH, { headers: key(p), ...(json === undefined ? {} : { json }) });

  /** A number with its main webhook on `main` and these destinations, enabled. */
  const number = async (main: Receiver, destinations: { name: string; url: string }[]) => {
    const p = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: key(p), json: { url: `${main.url}/main` } })).status).toBe(200);
    expect((await call('POST', p, { enabled: true, destinations })).status).toBe(200);
    return p;
  };
  const inbound = async (p: BootstrapResult, body: string) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key(p), json: { from: '4917600000401', name: 'Ann', type: 'text', text: { body } } });
    expect(res.status, res.text).toBe(200);
  };
  const destinationId = async (p: BootstrapResult, name: string) =>
    (await db().selectFrom('channel_webhook_destinations').select('id').where('channel_id', '=', p.channel_id).where('name', '=', name).executeTakeFirst())?.id;
  /** The copies (outbox events) of one destination, oldest first. */
  const copiesOf = (destination: string) =>
    db()
      .selectFrom('webhook_events')
      .select(['id', 'status', 'attempts', 'failed_at', 'last_error'])
      .where('target_type', '=', 'channel_destination')
      .where('target_id', '=', destination)
      .orderBy('id')
      .execute();
  const attemptsOf = (eventId: string) => db().selectFrom('webhook_attempts').select(['attempt', 'outcome', 'url', 'error']).where('event_id', '=', eventId).orderBy('attempt').execute();
  /** Moves the clock past every retry the default schedule would make soon, and delivers what is due. */
  const later = async (ms = 3_600_000) => {
    clock.advance(ms);
    await dispatcher.drain();
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    dispatcher = new Dispatcher(t.deps);
  });
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });
  afterAll(async () => {
    await dispatcher.stop(1000);
    await t.close();
  });

  describe('1. copies of a removed or switched-off destination end at once', () => {
    it('POST replacing the list ends the removed destination\'s pending copy as failed, with the reason; the same name added again gets no old copy', async () => {
      const main = await receiver();
      const crm = await receiver();
      const keep = await receiver();
      crm.always({ status: 500 });
      const p = await number(main, [
        { name: 'crm', url: `${crm.url}/crm` },
        { name: 'keep', url: `${keep.url}/keep` },
      ]);
      await inbound(p, 'before the removal');
      await dispatcher.drain();
      expect([main.requests.length, crm.requests.length, keep.requests.length]).toEqual([1, 1, 1]);
      const oldId = (await destinationId(p, 'crm'))!;
      const [pending] = await copiesOf(oldId);
      expect(pending).toMatchObject({ status: 'pending', attempts: 1 });

      const removedAt = clock.now().toISOString();
      expect((await call('POST', p, { enabled: true, destinations: [{ name: 'keep', url: `${keep.url}/keep` }] })).status).toBe(200);
      // At once: no dispatcher run, no time passed.
      expect(await copiesOf(oldId)).toEqual([{ id: pending!.id, status: 'failed', attempts: 1, failed_at: removedAt, last_error: COPIES_GIVEN_UP.removed }]);
      await later();
      expect(crm.requests).toHaveLength(1);

      // Added again under the same name: a new destination (new id); the old copy stays ended.
      crm.always({ status: 200 });
      expect((await call('PUT', p, { destinations: [{ name: 'crm', url: `${crm.url}/crm` }] })).status).toBe(200);
      const newId = (await destinationId(p, 'crm'))!;
      expect(newId).not.toBe(oldId);
      await later();
      expect(crm.requests).toHaveLength(1);
      expect((await copiesOf(oldId))[0]!.status).toBe('failed');
      expect(await copiesOf(newId)).toEqual([]);
      // New events reach it as usual.
      await inbound(p, 'after re-adding');
      await dispatcher.drain();
      expect(crm.requests).toHaveLength(2);
      expect(crm.requests[1]!.body).toBe(main.requests[1]!.body);
    });

    it('POST {"enabled":false} ends every pending copy of the number; switching on again does not bring them back', async () => {
      const main = await receiver();
      const a = await receiver();
      a.always({ status: 503 });
      const p = await number(main, [{ name: 'a', url: `${a.url}/a` }]);
      await inbound(p, 'before the switch');
      await dispatcher.drain();
      const id = (await destinationId(p, 'a'))!;
      expect((await copiesOf(id)).map((c) => c.status)).toEqual(['pending']);

      expect((await call('POST', p, { enabled: false })).status).toBe(200);
      expect(await copiesOf(id)).toMatchObject([{ status: 'failed', attempts: 1, last_error: COPIES_GIVEN_UP.disabled }]);
      a.always({ status: 200 });
      expect((await call('POST', p, { enabled: true })).status).toBe(200);
      await later();
      expect(a.requests).toHaveLength(1);
      expect((await copiesOf(id)).map((c) => c.status)).toEqual(['failed']);
    });

    it('a copy whose destination is gone when it comes due (written concurrently, or replayed) ends at that attempt: no_endpoint, no retry', async () => {
      const main = await receiver();
      const gone = await receiver();
      gone.always({ status: 500 });
      const p = await number(main, [{ name: 'gone', url: `${gone.url}/gone` }]);
      await inbound(p, 'orphaned');
      await dispatcher.drain();
      const id = (await destinationId(p, 'gone'))!;
      const [copy] = await copiesOf(id);
      expect(copy).toMatchObject({ status: 'pending', attempts: 1 });
      // As if the copy had been written by a transaction that still saw the destination while
      // POST removed it (PostgreSQL, read committed): the row goes, the copy stays pending.
      await db().deleteFrom('channel_webhook_destinations').where('id', '=', id).execute();
      clock.advance(5_000);
      await dispatcher.drain();
      expect(gone.requests).toHaveLength(1);
      expect(await copiesOf(id)).toMatchObject([{ status: 'failed', attempts: 2, failed_at: clock.now().toISOString(), last_error: COPIES_GIVEN_UP.removed }]);
      expect((await attemptsOf(copy!.id))[1]).toEqual({ attempt: 2, outcome: 'no_endpoint', url: null, error: COPIES_GIVEN_UP.removed });

      // A replay (the events API) of the ended copy: due at once, and ended again at once.
      const replay = await t.post(`/api/v2/partners/${p.partner_id}/webhook_events/${copy!.id}/retry`, { headers: partnerKey(p.partner_api_key) });
      expect(replay.status, replay.text).toBe(200);
      await dispatcher.drain();
      expect(await copiesOf(id)).toMatchObject([{ status: 'failed', attempts: 3 }]);
      await later();
      expect(gone.requests).toHaveLength(1);
      expect(await copiesOf(id)).toMatchObject([{ status: 'failed', attempts: 3 }]);
    });
  });

  describe('2. Cloud API numbers only', () => {
    /** An On-Premise number of a fresh tenant, and its channel key. */
    const onPremiseNumber = async () => {
      const p = await t.tenant();
      const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
        headers: { authorization: `Bearer ${ADMIN}` },
        json: { hosting_type: 'onpremise', phone_number: `4930${String(Date.now()).slice(-8)}`, phone_name: 'Legacy' },
      });
      expect(ch.status, ch.text).toBe(201);
      const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
      expect([200, 201], k.text).toContain(k.status);
      return { channelId: ch.body.id as string, key: k.body.api_key as string };
    };

    it('every method answers 400 {"error"} stating the rule for an On-Premise number, and stores nothing', async () => {
      const onprem = await onPremiseNumber();
      const bodies: [string, unknown][] = [
        ['GET', undefined],
        ['POST', { enabled: true, destinations: [{ name: 'crm', url: 'https://crm.example.com/hook' }] }],
        ['PUT', { destinations: [{ name: 'crm', url: 'https://crm.example.com/hook' }] }],
        ['PATCH', { name: 'crm', url: 'https://crm.example.com/hook' }],
        // The rule comes before the body's checks.
        ['POST', { enabled: 'yes' }],
      ];
      for (const [method, json] of bodies) expectError(await call(method, onprem.key, json), 400, 'Multiple webhooks are available for Cloud API numbers only; this number is hosted On-Premise');
      expect(await db().selectFrom('channel_multi_webhooks').selectAll().where('channel_id', '=', onprem.channelId).execute()).toEqual([]);
      expect(await db().selectFrom('channel_webhook_destinations').selectAll().where('channel_id', '=', onprem.channelId).execute()).toEqual([]);
    });

    it('a number whose hosting became On-Premise sends its stored destinations no new copy, and its pending copies end when due', async () => {
      const main = await receiver();
      const failing = await receiver();
      const fine = await receiver();
      failing.always({ status: 500 });
      const p = await number(main, [
        { name: 'failing', url: `${failing.url}/f` },
        { name: 'fine', url: `${fine.url}/ok` },
      ]);
      await inbound(p, 'on Cloud');
      await dispatcher.drain();
      expect([main.requests.length, failing.requests.length, fine.requests.length]).toEqual([1, 1, 1]);

      await db().updateTable('channels').set({ hosting_type: 'onpremise' }).where('id', '=', p.channel_id).execute();
      await inbound(p, 'now On-Premise');
      await dispatcher.drain();
      expect(main.requests).toHaveLength(2);
      expect(fine.requests).toHaveLength(1);
      expect((await copiesOf((await destinationId(p, 'fine'))!)).map((c) => c.status)).toEqual(['delivered']);
      clock.advance(5_000);
      await dispatcher.drain();
      expect(failing.requests).toHaveLength(1);
      expect(await copiesOf((await destinationId(p, 'failing'))!)).toMatchObject([{ status: 'failed', attempts: 2, last_error: COPIES_GIVEN_UP.onPremise }]);
    });
  });

  describe("3. a destination's Content-Type: the checks of every header, and application/json only", () => {
    const post = (p: BootstrapResult, headers: Record<string, string>) => call('POST', p, { enabled: true, destinations: [{ name: 'crm', url: 'https://crm.example.com/hook', headers }] });
    const REFUSED = '"Content-Type" is set by openwaba on every delivery and cannot be replaced';

    it.each([
      ['application/json', 'application/json'],
      ['Application/JSON; charset=UTF-8', 'Application/JSON; charset=UTF-8'],
      ['application/json;charset="utf-8"', 'application/json;charset="utf-8"'],
      ['application/json ; charset=utf-8 ; ; q=1 ', 'application/json ; charset=utf-8 ; ; q=1 '],
    ])('%j is taken and echoed', async (value, echoed) => {
      const p = await t.tenant();
      expect((await post(p, { 'Content-Type': value })).status).toBe(200);
      expect((await call('GET', p)).body.destinations[0].headers).toEqual({ 'Content-Type': echoed });
    });

    it.each([
      ['a line break', { 'Content-Type': 'application/json\r\n' }, 'without line breaks'],
      ['a NUL', { 'Content-Type': 'application/json;\u0000' }, 'without line breaks'],
      ['a value over 4096 characters', { 'Content-Type': `application/json; a=${'b'.repeat(5000)}` }, 'at most 4096 characters'],
      ['a 21st header', { ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`X-H${i}`, 'v'])), 'Content-Type': 'application/json' }, 'at most 20 custom headers'],
      ['a malformed parameter', { 'Content-Type': 'application/json; <script>' }, REFUSED],
      ['a parameter without a value', { 'Content-Type': 'application/json; charset' }, REFUSED],
      ['another JSON type', { 'content-type': 'application/problem+json' }, '"content-type" is set by openwaba'],
      ['text/plain', { 'Content-Type': 'text/plain' }, REFUSED],
      ['a list of types', { 'Content-Type': 'application/json, text/html' }, REFUSED],
      // Blanks and semicolons that fail only at the end: a pattern that could split the blanks two
      // ways took seconds at 24 repetitions (exponential); this one answers at once (else: a timeout).
      ['empty parameters with blanks, failing at the end', { 'Content-Type': `application/json;${' ;'.repeat(2000)}\u0100` }, REFUSED],
      ['blanks in every place, failing at the end', { 'Content-Type': `application/json ${' ; a=b '.repeat(400)}; =` }, REFUSED],
    ])('%s → the same 400 as other refused headers, nothing stored', async (_what, headers, rule) => {
      const p = await t.tenant();
      const res = await post(p, headers);
      expectError(res, 400, rule);
      expect(res.body.error).toMatch(/^destinations\[0\]\.headers/);
      expect((await call('GET', p)).body).toEqual({ enabled: false, destinations: [] });
    });

    it('PATCH and PUT apply the same checks', async () => {
      const p = await t.tenant();
      expect((await post(p, { 'Content-Type': 'application/json' })).status).toBe(200);
      expectError(await call('PATCH', p, { name: 'crm', headers: { 'Content-Type': 'application/json\n' } }), 400, 'headers: the value of "Content-Type" must be a string without line breaks');
      expectError(await call('PUT', p, { destinations: [{ name: 'b', url: 'https://b.example.com', headers: { 'Content-Type': 'application/json; x' } }] }), 400, REFUSED);
      expect((await call('GET', p)).body.destinations).toEqual([{ name: 'crm', url: 'https://crm.example.com/hook', headers: { 'Content-Type': 'application/json' } }]);
    });
  });
});

describeEachDb('multiple webhooks: copies a dispatcher has already claimed when their destination is removed', (kind) => {
  it('are not sent: only the one in flight at the removal reaches the old destination', async () => {
    const clock = new ManualClock(new Date('2026-05-04T10:00:00.000Z'));
    // One delivery at a time per target, so that the other claimed copies wait in the dispatcher's queue.
    const t = await startTestApp(kind, { clock, env: { OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY: '1' } });
    const dispatcher = new Dispatcher(t.deps);
    const main = await new Receiver().start();
    const crm = await new Receiver().start();
    try {
      const p = await t.tenant();
      const key = { 'D360-API-KEY': p.channel_api_key };
      expect((await t.post('/configs/webhook', { headers: key, json: { url: `${main.url}/main` } })).status).toBe(200);
      expect((await t.request('POST', PATH, { headers: key, json: { enabled: true, destinations: [{ name: 'crm', url: `${crm.url}/crm` }] } })).status).toBe(200);
      for (let i = 0; i < 6; i++) {
        expect((await t.post('/sandbox/v1/inbound', { headers: key, json: { from: '4917600000401', name: 'Ann', type: 'text', text: { body: `m${i}` } } })).status).toBe(200);
      }
      crm.always({ status: 200, delayMs: 300 });
      const drained = dispatcher.drain();
      await crm.waitFor(1);
      expect((await t.request('POST', PATH, { headers: key, json: { enabled: true, destinations: [] } })).status).toBe(200);
      await drained;
      await dispatcher.drain();
      // The copy in flight at the removal arrived; those queued behind it were never sent.
      expect(crm.requests).toHaveLength(1);
      const copies = await t.deps.db.kysely.selectFrom('webhook_events').select(['id', 'status']).where('target_type', '=', 'channel_destination').execute();
      expect(copies.length).toBeGreaterThanOrEqual(3);
      expect(copies.every((c) => c.status === 'failed')).toBe(true);
      // At most the one request made; copies written while the removal was under way end with a
      // no_endpoint attempt (no request) when they come due.
      const attempts = await t.deps.db.kysely.selectFrom('webhook_attempts').select(['event_id', 'outcome']).where('event_id', 'in', copies.map((c) => c.id)).execute();
      expect(attempts.filter((a) => a.outcome !== 'no_endpoint').length).toBeLessThanOrEqual(1);
    } finally {
      await dispatcher.stop(1000);
      await main.close();
      await crm.close();
      await t.close();
    }
  });
});
