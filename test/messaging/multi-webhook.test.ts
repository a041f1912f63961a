// Multiple webhooks per number (GET/POST/PUT/PATCH /multi_webhook): the configuration with
// 360dialog's bodies ({"message"} / {"error"}) and status codes, the URL and header rules of the
// main webhook, one number never seeing another's; and the delivery: each extra destination gets
// a copy of what the main webhook has received (the same body), as an outbox event of its own,
// retried on its own, made in the transaction that records the main webhook's delivery.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type HttpResponse, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import { Dispatcher } from '../../src/webhooks/dispatcher.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const PATH = '/multi_webhook';

/** 360dialog's error body for this endpoint: `{"error": "<text>"}` and nothing else. */
function expectError(res: HttpResponse, status: number, text: string) {
  expect(res.status, res.text).toBe(status);
  expect(Object.keys(res.body ?? {})).toEqual(['error']);
  expect(res.body.error).toContain(text);
}

function expectMessage(res: HttpResponse, text?: string) {
  expect(res.status, res.text).toBe(200);
  expect(Object.keys(res.body)).toEqual(['message']);
  expect(typeof res.body.message).toBe('string');
  if (text) expect(res.body.message).toContain(text);
}

describeEachDb('multiple webhooks per number', (kind) => {
  describe('configuration (local URL policy)', () => {
    let t: TestApp;
    const key = (who: BootstrapResult) => ({ 'D360-API-KEY': who.channel_api_key });
    const call = (method: string, who: BootstrapResult, json?: unknown) => t.request(method, PATH, { headers: key(who), ...(json === undefined ? {} : { json }) });

    beforeAll(async () => {
      t = await startTestApp(kind);
    });
    afterAll(async () => {
      await t.close();
    });

    it('a number starts disabled with no destinations; POST sets them in order, GET answers them', async () => {
      const p = await t.tenant();
      expect((await call('GET', p)).body).toEqual({ enabled: false, destinations: [] });
      const res = await call('POST', p, {
        enabled: true,
        destinations: [
          { name: 'crm', url: 'https://crm.example.com/hook', headers: { Authorization: 'Basic abc' } },
          { name: 'archive', url: 'http://127.0.0.1:9000/archive' },
        ],
      });
      expectMessage(res, '2 destinations');
      expect((await call('GET', p)).body).toEqual({
        enabled: true,
        destinations: [
          { name: 'crm', url: 'https://crm.example.com/hook', headers: { Authorization: 'Basic abc' } },
          { name: 'archive', url: 'http://127.0.0.1:9000/archive', headers: {} },
        ],
      });
    });

    it("360dialog's sample headers {\"Content-Type\": \"application/json\"} are taken and echoed; another content type is refused", async () => {
      const p = await t.tenant();
      const ok = await call('POST', p, { enabled: true, destinations: [{ name: 'NewWebhook', url: 'https://newwebhook.com', headers: { 'Content-Type': 'application/json' } }] });
      expectMessage(ok);
      expect((await call('GET', p)).body.destinations).toEqual([{ name: 'NewWebhook', url: 'https://newwebhook.com', headers: { 'Content-Type': 'application/json' } }]);
      expectError(await call('POST', p, { enabled: true, destinations: [{ name: 'x', url: 'https://x.example.com', headers: { 'Content-Type': 'text/plain' } }] }), 400, '"Content-Type" is set by openwaba');
    });

    it('PUT appends; a name already there or a fourth destination is a 409 and changes nothing; names are case-sensitive', async () => {
      const p = await t.tenant();
      expectMessage(await call('POST', p, { enabled: true, destinations: [{ name: 'crm', url: 'https://crm.example.com/hook' }] }));
      expectMessage(await call('PUT', p, { destinations: [{ name: 'CRM', url: 'https://other.example.com/hook' }] }), '2 of at most 3');
      expectError(await call('PUT', p, { destinations: [{ name: 'crm', url: 'https://again.example.com/hook' }] }), 409, 'A destination named "crm" already exists');
      expectError(await call('PUT', p, { destinations: [{ name: 'a', url: 'https://a.example.com' }, { name: 'b', url: 'https://b.example.com' }] }), 409, 'has 2 of at most 3 destinations');
      // POST's shape with "enabled": true is taken by PUT too.
      expectMessage(await call('PUT', p, { enabled: true, destinations: [{ name: 'a', url: 'https://a.example.com' }] }), '3 of at most 3');
      expectError(await call('PUT', p, { destinations: [{ name: 'd', url: 'https://d.example.com' }] }), 409, 'has 3 of at most 3');
      expect((await call('GET', p)).body.destinations.map((d: { name: string }) => d.name)).toEqual(['crm', 'CRM', 'a']);
    });

    it('PATCH changes url and/or headers of the destination named, keeps what it leaves out; an unknown name is a 404', async () => {
      const p = await t.tenant();
      await call('POST', p, {
        enabled: true,
        destinations: [
          { name: 'crm', url: 'https://crm.example.com/hook', headers: { 'X-Key': 'one' } },
          { name: 'log', url: 'https://log.example.com/hook' },
        ],
      });
      expectMessage(await call('PATCH', p, { name: 'crm', url: 'https://crm.example.com/v2' }), 'Destination "crm" updated');
      expectMessage(await call('PATCH', p, { destinations: [{ name: 'log', headers: { Authorization: 'Bearer t' } }] }), '"log"');
      expect((await call('GET', p)).body.destinations).toEqual([
        { name: 'crm', url: 'https://crm.example.com/v2', headers: { 'X-Key': 'one' } },
        { name: 'log', url: 'https://log.example.com/hook', headers: { Authorization: 'Bearer t' } },
      ]);
      expectError(await call('PATCH', p, { name: 'Crm', url: 'https://x.example.com' }), 404, 'No destination named "Crm"');
      // All or nothing: one unknown name in the list changes none.
      expectError(await call('PATCH', p, { destinations: [{ name: 'crm', url: 'https://changed.example.com' }, { name: 'nope', url: 'https://x.example.com' }] }), 404, '"nope"');
      expect((await call('GET', p)).body.destinations[0].url).toBe('https://crm.example.com/v2');
    });

    it('PUT and PATCH need multiple webhooks enabled first (409); POST {"enabled":false} keeps the list, POST with a list replaces it', async () => {
      const p = await t.tenant();
      expectError(await call('PUT', p, { destinations: [{ name: 'crm', url: 'https://crm.example.com' }] }), 409, 'not enabled');
      expectError(await call('PATCH', p, { name: 'crm', url: 'https://crm.example.com' }), 409, 'not enabled');
      await call('POST', p, { enabled: true, destinations: [{ name: 'a', url: 'https://a.example.com' }, { name: 'b', url: 'https://b.example.com' }] });
      const idOf = async (name: string) =>
        (await t.deps.db.kysely.selectFrom('channel_webhook_destinations').select('id').where('channel_id', '=', p.channel_id).where('name', '=', name).executeTakeFirst())?.id;
      const aId = await idOf('a');
      expectMessage(await call('POST', p, { enabled: false }), 'disabled for this number (2 destinations kept)');
      expect((await call('GET', p)).body).toMatchObject({ enabled: false, destinations: [{ name: 'a' }, { name: 'b' }] });
      expectError(await call('PUT', p, { destinations: [{ name: 'c', url: 'https://c.example.com' }] }), 409, 'not enabled');
      // Replaced: "a" keeps its id (its pending copies follow the new URL), "b" goes, "c" comes.
      expectMessage(await call('POST', p, { enabled: true, destinations: [{ name: 'c', url: 'https://c.example.com' }, { name: 'a', url: 'https://a2.example.com' }] }));
      expect((await call('GET', p)).body).toEqual({
        enabled: true,
        destinations: [
          { name: 'c', url: 'https://c.example.com', headers: {} },
          { name: 'a', url: 'https://a2.example.com', headers: {} },
        ],
      });
      expect(await idOf('a')).toBe(aId);
      expect(await idOf('b')).toBeUndefined();
      expectMessage(await call('POST', p, { enabled: true, destinations: [] }), '0 destinations');
      expect((await call('GET', p)).body).toEqual({ enabled: true, destinations: [] });
    });

    const invalid: [string, unknown, string][] = [
      ['POST', ['x'], 'body: must be a JSON object'],
      ['POST', {}, 'enabled: is required'],
      ['POST', { enabled: 'yes' }, 'enabled: must be true or false'],
      ['POST', { enabled: true, extra: 1 }, 'extra: is not a known field'],
      ['POST', { enabled: true, destinations: {} }, 'destinations: must be an array'],
      ['POST', { enabled: true, destinations: [{ url: 'https://a.example.com' }] }, 'destinations[0].name: is required'],
      ['POST', { enabled: true, destinations: [{ name: '', url: 'https://a.example.com' }] }, 'destinations[0].name: must not be empty'],
      ['POST', { enabled: true, destinations: [{ name: 'a' }] }, 'destinations[0].url: is required'],
      ['POST', { enabled: true, destinations: [{ name: 'a', url: 5 }] }, 'destinations[0].url: must be a string'],
      ['POST', { enabled: true, destinations: [{ name: 'a', url: 'not a url' }] }, 'destinations[0].url must be an absolute URL'],
      ['POST', { enabled: true, destinations: [{ name: 'a', url: 'ftp://a.example.com' }] }, 'destinations[0].url must use https or http'],
      ['POST', { enabled: true, destinations: [{ name: 'a', url: 'https://a.example.com', secret: 'x' }] }, 'destinations[0].secret: is not a known field'],
      ['POST', { enabled: true, destinations: [{ name: 'a', url: 'https://a.example.com', headers: { 'Bad Header': 'x' } }] }, 'destinations[0].headers: "Bad Header" is not a valid header name'],
      ['POST', { enabled: true, destinations: [{ name: 'a', url: 'https://a.example.com', headers: ['x'] }] }, 'destinations[0].headers must be an object'],
      ['POST', { enabled: true, destinations: [{ name: 'a', url: 'https://a.example.com', headers: { 'X-A': 'a\r\nX-B: b' } }] }, 'without line breaks'],
      ['POST', { enabled: true, destinations: [{ name: 'a', url: 'https://a.example.com' }, { name: 'a', url: 'https://b.example.com' }] }, 'destinations[1].name: "a" is given twice'],
      ['POST', { enabled: true, destinations: ['a', 'b', 'c', 'd'].map((name) => ({ name, url: `https://${name}.example.com` })) }, 'destinations: at most 3 destinations per number (got 4)'],
      ['PUT', {}, 'destinations: is required'],
      ['PUT', { destinations: [] }, 'destinations: must name at least one destination'],
      ['PUT', { enabled: false, destinations: [{ name: 'a', url: 'https://a.example.com' }] }, 'enabled: PUT adds destinations'],
      ['PATCH', { url: 'https://a.example.com' }, 'name: is required'],
      ['PATCH', { name: 'a' }, 'url: or headers is required'],
      ['PATCH', { name: 'a', url: 'mailto:x@example.com' }, 'url must use https or http'],
      ['PATCH', { destinations: [{ name: 'a' }] }, 'destinations[0].url: or headers is required'],
      ['PATCH', { destinations: [], name: 'a' }, 'name: is not a known field'],
    ];

    it.each(invalid)('%s %j → 400 {"error"} stating the rule, nothing stored', async (method, json, rule) => {
      const p = await t.tenant();
      await call('POST', p, { enabled: true, destinations: [{ name: 'a', url: 'https://kept.example.com' }] });
      expectError(await call(method, p, json), 400, rule);
      expect((await call('GET', p)).body).toEqual({ enabled: true, destinations: [{ name: 'a', url: 'https://kept.example.com', headers: {} }] });
    });

    it('malformed JSON and a missing body are 400 {"error"}', async () => {
      const p = await t.tenant();
      for (const method of ['POST', 'PUT', 'PATCH']) {
        const bad = await t.request(method, PATH, { headers: { ...key(p), 'content-type': 'application/json' }, raw: '{"enabled":' });
        expectError(bad, 400, 'Malformed JSON');
        expectError(await t.request(method, PATH, { headers: key(p) }), 400, 'body: must be a JSON object');
      }
    });

    it("a wrong key is 360's 401 on every method; one number never sees or changes another's destinations", async () => {
      const p = await t.tenant();
      const q = await t.tenant();
      for (const method of ['GET', 'POST', 'PUT', 'PATCH']) {
        const res = await t.request(method, PATH, { headers: { 'D360-API-KEY': 'wrong' }, json: { enabled: true } });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
      }
      await call('POST', p, { enabled: true, destinations: [{ name: 'crm', url: 'https://p.example.com' }] });
      expect((await call('GET', q)).body).toEqual({ enabled: false, destinations: [] });
      expectError(await call('PATCH', q, { name: 'crm', url: 'https://q.example.com' }), 409, 'not enabled');
      await call('POST', q, { enabled: true });
      expectError(await call('PATCH', q, { name: 'crm', url: 'https://q.example.com' }), 404, 'No destination named "crm"');
      expectMessage(await call('PUT', q, { destinations: [{ name: 'crm', url: 'https://q.example.com' }] }));
      expect((await call('GET', p)).body.destinations).toEqual([{ name: 'crm', url: 'https://p.example.com', headers: {} }]);
      expect((await call('GET', q)).body.destinations).toEqual([{ name: 'crm', url: 'https://q.example.com', headers: {} }]);
    });
  });

  describe('configuration (strict URL policy)', () => {
    let t: TestApp;
    let p: BootstrapResult;
    const post = (destination: unknown) => t.post(PATH, { headers: { 'D360-API-KEY': p.channel_api_key }, json: { enabled: true, destinations: [destination] } });

    beforeAll(async () => {
      t = await startTestApp(kind, { env: { OPENWABA_WEBHOOK_URL_POLICY: 'strict' } });
      p = await t.tenant();
    });
    afterAll(async () => {
      await t.close();
    });

    it.each([
      ['http://example.com/hook', 'destinations[0].url must use https'],
      ['https://my_host.example.com/hook', 'must not contain "_"'],
      ['https://example.com:8443/hook', 'explicit port'],
      ['https://127.0.0.1/hook', 'private, loopback'],
      ['https://localhost/hook', 'private, loopback'],
    ])('%s → 400 (%s), as for the main webhook', async (url, rule) => {
      expectError(await post({ name: 'a', url }), 400, rule);
    });

    it('a header name with "_" → 400 naming it; a public https URL is taken', async () => {
      expectError(await post({ name: 'a', url: 'https://example.com/hook', headers: { X_Api_Key: 'a' } }), 400, 'destinations[0].headers: "X_Api_Key" must not contain "_"');
      expectMessage(await post({ name: 'a', url: 'https://example.com/hook', headers: { 'X-Api-Key': 'a_b' } }));
      // PATCH and PUT apply the same rules.
      expectError(await t.patch(PATH, { headers: { 'D360-API-KEY': p.channel_api_key }, json: { name: 'a', url: 'https://example.com:444/x' } }), 400, 'url must not contain an explicit port');
      expectError(await t.put(PATH, { headers: { 'D360-API-KEY': p.channel_api_key }, json: { destinations: [{ name: 'b', url: 'https://10.0.0.1/x' }] } }), 400, 'private, loopback');
    });
  });

  describe('delivery', () => {
    let t: TestApp;
    const receivers: Receiver[] = [];
    const receiver = async () => {
      const r = await new Receiver().start();
      receivers.push(r);
      return r;
    };
    const db = () => t.deps.db.kysely;
    const key = (p: BootstrapResult) => ({ 'D360-API-KEY': p.channel_api_key });
    /** A number with its main webhook on `main` (or none) and the given extra destinations, enabled. */
    const number = async (main: Receiver | null, destinations: { name: string; url: string; headers?: Record<string, string> }[], enabled = true) => {
      const p = await t.tenant();
      expect((await t.post('/configs/webhook', { headers: key(p), json: { url: main ? `${main.url}/main` : null } })).status).toBe(200);
      expect((await t.post(PATH, { headers: key(p), json: { enabled, destinations } })).status).toBe(200);
      return p;
    };
    const inbound = async (p: BootstrapResult, body: string) => {
      const res = await t.post('/sandbox/v1/inbound', { headers: key(p), json: { from: '4917600000301', name: 'Ann', type: 'text', text: { body } } });
      expect(res.status, res.text).toBe(200);
      return res.body.messages[0].id as string;
    };
    /** The outbox events of a number: its main webhook's and its destinations' copies. */
    const eventsOf = (p: BootstrapResult) =>
      db()
        .selectFrom('webhook_events')
        .select(['id', 'target_type', 'target_id', 'status', 'attempts', 'body'])
        .where('partner_id', '=', p.partner_id)
        .where('target_type', 'in', ['channel', 'channel_destination'])
        .orderBy('id')
        .execute();
    const destinationId = async (p: BootstrapResult, name: string) =>
      (await db().selectFrom('channel_webhook_destinations').select('id').where('channel_id', '=', p.channel_id).where('name', '=', name).executeTakeFirstOrThrow()).id;

    beforeAll(async () => {
      t = await startTestApp(kind, {
        dispatcher: true,
        env: { OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,150ms', OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=20ms,delivered=40ms,read=60ms' },
      });
    });
    afterEach(async () => {
      for (const r of receivers.splice(0)) await r.close();
    });
    afterAll(async () => {
      await t.close();
    });

    it('each destination gets every inbound message and status the main webhook got, with the same body and its own headers', async () => {
      const main = await receiver();
      const a = await receiver();
      const b = await receiver();
      const p = await number(main, [
        { name: 'a', url: `${a.url}/a`, headers: { Authorization: 'Basic YTph' } },
        { name: 'b', url: `${b.url}/b`, headers: { 'X-Destination': 'b' } },
      ]);
      await inbound(p, 'hello');
      const sent = await t.post('/messages', { headers: key(p), json: { messaging_product: 'whatsapp', to: '4917600000301', type: 'text', text: { body: 'hi Ann' } } });
      expect(sent.status, sent.text).toBe(200);
      // The inbound message and three statuses (sent, delivered, read).
      await main.waitFor(4);
      await a.waitFor(4);
      await b.waitFor(4);
      const raw = (r: Receiver) => r.requests.map((x) => x.body).sort();
      expect(raw(a)).toEqual(raw(main));
      expect(raw(b)).toEqual(raw(main));
      const statuses = main.bodies().flatMap((x) => x.entry[0].changes[0].value.statuses ?? []).map((s: { status: string }) => s.status);
      expect(statuses.sort()).toEqual(['delivered', 'read', 'sent']);
      expect(a.requests.every((x) => x.url === '/a' && x.headers.authorization === 'Basic YTph' && x.headers['content-type'] === 'application/json')).toBe(true);
      expect(b.requests.every((x) => x.url === '/b' && x.headers['x-destination'] === 'b' && x.headers.authorization === undefined)).toBe(true);
      // One outbox event per destination per event, besides the main webhook's.
      const events = await eventsOf(p);
      expect(events.filter((e) => e.target_type === 'channel')).toHaveLength(4);
      const copies = events.filter((e) => e.target_type === 'channel_destination');
      expect(copies).toHaveLength(8);
      expect([await destinationId(p, 'a'), await destinationId(p, 'b')].map((id) => copies.filter((e) => e.target_id === id).length)).toEqual([4, 4]);
    });

    it('a failing destination is retried on its own: the others get their one copy at once, and no event twice', async () => {
      const main = await receiver();
      const failing = await receiver();
      const fine = await receiver();
      failing.respond({ status: 500 }, { status: 503 }, { status: 500 });
      const p = await number(main, [
        { name: 'failing', url: `${failing.url}/f` },
        { name: 'fine', url: `${fine.url}/ok` },
      ]);
      await inbound(p, 'one');
      await fine.waitFor(1);
      // The failing destination is still being retried while the other has its copy.
      expect(failing.requests.length).toBeLessThan(4);
      await failing.waitFor(4);
      expect(new Set(failing.requests.map((r) => r.body)).size).toBe(1);
      expect(failing.requests[0]!.body).toBe(main.requests[0]!.body);
      const failingId = await destinationId(p, 'failing');
      const copies = await waitUntil('the failing copy delivered', async () => {
        const events = (await eventsOf(p)).filter((e) => e.target_type === 'channel_destination');
        return events.find((e) => e.target_id === failingId)?.status === 'delivered' ? events : undefined;
      });
      expect(copies.map((e) => [e.target_id === failingId ? 'failing' : 'fine', e.status, e.attempts]).sort()).toEqual([
        ['failing', 'delivered', 4],
        ['fine', 'delivered', 1],
      ]);
      expect(fine.requests).toHaveLength(1);
      expect(main.requests).toHaveLength(1);
    });

    it("the main webhook gates the copies (360dialog: only after it answered 200): while it fails, the destinations get nothing", async () => {
      const main = await receiver();
      const a = await receiver();
      main.respond({ status: 500 }, { status: 500 });
      const p = await number(main, [{ name: 'a', url: `${a.url}/a` }]);
      await inbound(p, 'gated');
      await main.waitFor(2);
      expect(a.requests).toHaveLength(0);
      expect((await eventsOf(p)).filter((e) => e.target_type === 'channel_destination')).toEqual([]);
      await main.waitFor(3);
      await a.waitFor(1);
      expect(a.requests[0]!.body).toBe(main.requests[2]!.body);
    });

    it('a number without a main webhook URL sends its destinations nothing; nor does a disabled one (its list kept)', async () => {
      const a = await receiver();
      const none = await number(null, [{ name: 'a', url: `${a.url}/a` }]);
      await inbound(none, 'nobody listens');
      // Decided in the inbound's own transaction: no event at all.
      expect(await eventsOf(none)).toEqual([]);

      const main = await receiver();
      const off = await number(main, [{ name: 'a', url: `${a.url}/a` }], false);
      await inbound(off, 'switched off');
      // The copies would be written with the main webhook's outcome: once that is there, none is.
      const events = await waitUntil('the main webhook has the event', async () => {
        const e = await eventsOf(off);
        return e.length > 0 && e.every((x) => x.status === 'delivered') ? e : undefined;
      });
      expect(events.map((e) => e.target_type)).toEqual(['channel']);
      expect(a.requests).toHaveLength(0);
      expect((await t.get(PATH, { headers: key(off) })).body.destinations).toHaveLength(1);
    });

    it("a PATCHed URL applies to a copy's pending retries; a replay of the main webhook's event makes no second copy", async () => {
      const main = await receiver();
      const old = await receiver();
      const moved = await receiver();
      old.always({ status: 500 });
      const p = await number(main, [{ name: 'crm', url: `${old.url}/crm` }]);
      await inbound(p, 'moving');
      await old.waitFor(1);
      expect((await t.patch(PATH, { headers: key(p), json: { name: 'crm', url: `${moved.url}/crm` } })).status).toBe(200);
      await moved.waitFor(1);
      expect(moved.requests[0]!.body).toBe(main.requests[0]!.body);

      const primary = (await eventsOf(p)).find((e) => e.target_type === 'channel')!;
      const replay = await t.post(`/api/v2/partners/${p.partner_id}/webhook_events/${primary.id}/retry`, { headers: { 'X-API-Key': p.partner_api_key } });
      expect(replay.status, replay.text).toBe(200);
      await main.waitFor(2);
      await waitUntil('the replay recorded', async () => {
        const e = (await eventsOf(p)).find((x) => x.id === primary.id)!;
        return e.status === 'delivered' && e.attempts === 2;
      });
      const copies = (await eventsOf(p)).filter((e) => e.target_type === 'channel_destination');
      expect(copies).toHaveLength(1);
      expect(copies[0]!.id).toBe(`${primary.id}.${await destinationId(p, 'crm')}`);
    });
  });

  describe('delivery across a restart', () => {
    let t: TestApp;
    let main: Receiver;
    let a: Receiver;
    let b: Receiver;

    beforeAll(async () => {
      t = await startTestApp(kind, { env: { OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,1s' } });
      [main, a, b] = await Promise.all([new Receiver().start(), new Receiver().start(), new Receiver().start()]);
    });
    afterAll(async () => {
      await t.close();
      await Promise.all([main.close(), a.close(), b.close()]);
    });

    it('the copies are written with the main webhook\'s outcome: a copy still due when the dispatcher stops is delivered by the next one', async () => {
      const p = await t.tenant();
      const key = { 'D360-API-KEY': p.channel_api_key };
      await t.post('/configs/webhook', { headers: key, json: { url: `${main.url}/main` } });
      await t.post(PATH, { headers: key, json: { enabled: true, destinations: [{ name: 'a', url: `${a.url}/a` }, { name: 'b', url: `${b.url}/b` }] } });
      a.respond({ status: 500 });
      const first = new Dispatcher(t.deps);
      await first.start();
      const res = await t.post('/sandbox/v1/inbound', { headers: key, json: { from: '4917600000302', type: 'text', text: { body: 'survives' } } });
      expect(res.status).toBe(200);
      await main.waitFor(1);
      await a.waitFor(1);
      await b.waitFor(1);
      await first.stop(1000);
      const pending = await t.deps.db.kysely.selectFrom('webhook_events').select(['status', 'attempts']).where('partner_id', '=', p.partner_id).where('target_type', '=', 'channel_destination').where('status', '!=', 'delivered').execute();
      expect(pending).toEqual([{ status: 'pending', attempts: 1 }]);

      const second = new Dispatcher(t.deps);
      await second.start();
      try {
        await a.waitFor(2);
      } finally {
        await second.stop(1000);
      }
      expect(a.requests[1]!.body).toBe(main.requests[0]!.body);
      expect(b.requests).toHaveLength(1);
      expect(main.requests).toHaveLength(1);
    });
  });
});
