// Meta's Conversions API for Business Messaging in the sandbox (routes/conversion-events.ts,
// messaging/conversion-events.ts): the WABA's dataset (GET/POST /{version}/{waba-id}/dataset),
// conversion events (POST /{version}/{dataset-id}/events), their checks in Graph's errors, tenant
// scoping, the developer's listing (GET /sandbox/v1/conversion_events), and GET
// /{version}/{history-id}/events still reaching the Message History API.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { CONVERSION_EVENTS_KEPT } from '../../src/messaging/conversion-events.ts';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, startTestApp, type TestApp } from '../helpers/app.ts';

const CLID = 'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4';

describeEachDb('Conversions API for Business Messaging (sandbox)', (kind) => {
  const clock = new ManualClock(new Date('2026-05-01T09:00:00.000Z'));
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let waba: string;
  let otherWaba: string;
  const now = () => Math.floor(clock.now().getTime() / 1000);
  const auth = () => bearer(p.channel_api_key);
  const ok = async (res: Promise<{ status: number; text: string; body: any }>) => {
    const r = await res;
    expect(r.status, r.text).toBe(200);
    return r.body;
  };
  const event = (over: Record<string, unknown> = {}, wabaId = waba) => ({
    event_name: 'Purchase',
    event_time: now() - 60,
    action_source: 'business_messaging',
    messaging_channel: 'whatsapp',
    user_data: { whatsapp_business_account_id: wabaId, ctwa_clid: CLID },
    custom_data: { currency: 'usd', value: 19.99 },
    ...over,
  });
  const externalWaba = async (id: string) => (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', id).executeTakeFirstOrThrow()).external_id;
  const stored = async (datasetId: string) => Number((await t.deps.db.kysely.selectFrom('conversion_events').select((eb) => eb.fn.countAll().as('n')).where('dataset_id', '=', datasetId).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    p = await t.tenant();
    other = await t.tenant();
    waba = await externalWaba(p.waba_account_id);
    otherWaba = await externalWaba(other.waba_account_id);
  });
  afterAll(() => t?.close());

  it("creates the WABA's one dataset and lists it, on Graph's path and at the root", async () => {
    expect(await ok(t.get(`/v23.0/${waba}/dataset`, { headers: auth() }))).toEqual({ data: [] });
    const made = await ok(t.post(`/v23.0/${waba}/dataset`, { headers: auth(), json: {} }));
    expect(made.id).toMatch(/^\d{16}$/);
    // A second creation answers the same dataset (by openwaba's WABA id, and at the root).
    expect(await ok(t.post(`/v23.0/${p.waba_account_id}/dataset`, { headers: auth() }))).toEqual({ id: made.id });
    expect(await ok(t.post('/dataset', { headers: channelKey(p.channel_api_key), json: {} }))).toEqual({ id: made.id });
    expect(await ok(t.get(`/v23.0/${waba}/dataset`, { headers: auth() }))).toEqual({ data: [{ id: made.id }] });
    expect(await ok(t.get('/dataset', { headers: channelKey(p.channel_api_key) }))).toEqual({ data: [{ id: made.id }] });
  });

  it('takes conversion events and shows them to the developer, newest first', async () => {
    const { id } = await ok(t.post(`/v23.0/${waba}/dataset`, { headers: auth() }));
    const before = await stored(id);
    const res = await ok(
      t.post(`/v23.0/${id}/events`, {
        headers: auth(),
        json: { data: [event({ event_id: 'order-1' }), event({ event_name: 'LeadSubmitted', custom_data: undefined, user_data: { whatsapp_business_account_id: Number(waba), ctwa_clid: CLID } })], partner_agent: 'acme-crm', test_event_code: 'TEST123' },
      }),
    );
    expect(res).toEqual({ events_received: 2, messages: [], fbtrace_id: expect.any(String) });
    expect(await stored(id)).toBe(before + 2);

    const listed = await ok(t.get('/sandbox/v1/conversion_events?limit=2', { headers: channelKey(p.channel_api_key) }));
    expect(listed.dataset_id).toBe(id);
    expect(listed.events.map((e: any) => e.event_name)).toEqual(['LeadSubmitted', 'Purchase']);
    const purchase = listed.events[1];
    expect(purchase).toMatchObject({ ctwa_clid: CLID, test_event_code: 'TEST123', partner_agent: 'acme-crm', event_time: now() - 60 });
    expect(purchase.event).toMatchObject({ event_id: 'order-1', custom_data: { currency: 'USD', value: 19.99 }, user_data: { whatsapp_business_account_id: waba } });
    // A form body (data as JSON text), as Graph takes parameters.
    const form = await t.post(`/v23.0/${id}/events`, {
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      raw: new URLSearchParams({ data: JSON.stringify([event({ event_name: 'ViewContent', custom_data: undefined })]) }).toString(),
    });
    expect(form.status, form.text).toBe(200);
    expect(form.body.events_received).toBe(1);
  });

  it("refuses bad events with Graph's errors naming the field, and keeps none of the batch", async () => {
    const { id } = await ok(t.post(`/v23.0/${waba}/dataset`, { headers: auth() }));
    const before = await stored(id);
    const cases: [unknown, string, number?][] = [
      [{}, 'data: is required'],
      [{ data: [] }, 'data: must contain at least one event'],
      [{ data: {} }, 'data: must be an array'],
      [{ data: [event(), 'x'] }, 'data[1]: must be an object'],
      [{ data: [event({ event_name: 'Lead' })] }, 'data[0].event_name', 2804066],
      [{ data: [event({ event_name: undefined })] }, 'data[0].event_name: is required'],
      [{ data: [event({ event_time: now() - 8 * 24 * 3600 })] }, 'data[0].event_time: must be within the last 7 days'],
      [{ data: [event({ event_time: now() + 3600 })] }, 'data[0].event_time: must not be in the future'],
      [{ data: [event({ event_time: 'yesterday' })] }, 'data[0].event_time: must be a number'],
      [{ data: [event({ event_time: (now() - 10) * 1000 })] }, 'data[0].event_time: must not be in the future'],
      [{ data: [event({ action_source: 'website' })] }, 'data[0].action_source: must be "business_messaging"'],
      [{ data: [event({ messaging_channel: 'messenger' })] }, 'data[0].messaging_channel: must be "whatsapp"'],
      [{ data: [event({ user_data: undefined })] }, 'data[0].user_data: is required'],
      [{ data: [event({ user_data: { whatsapp_business_account_id: waba } })] }, 'data[0].user_data.ctwa_clid: is required'],
      [{ data: [event({ user_data: { whatsapp_business_account_id: waba, ctwa_clid: 'not a click id' } })] }, 'data[0].user_data.ctwa_clid'],
      [{ data: [event({}, otherWaba)] }, 'data[0].user_data.whatsapp_business_account_id'],
      [{ data: [event({ custom_data: { value: 10 } })] }, 'data[0].custom_data.currency: is required for a Purchase event'],
      [{ data: [event({ custom_data: { currency: 'dollars', value: 10 } })] }, 'data[0].custom_data.currency'],
      [{ data: [event({ custom_data: { currency: 'EUR', value: -1 } })] }, 'data[0].custom_data.value: must be at least 0'],
      [{ data: [event(), event({ messaging_channel: 'sms' })] }, 'data[1].messaging_channel'],
      [{ data: Array.from({ length: 1001 }, () => event()) }, 'data: must contain at most 1000 events'],
      [{ data: [event()], test_event_code: 42 }, 'test_event_code: must be a string'],
      ['[1]', 'body: must be a JSON object'],
    ];
    for (const [json, message, subcode] of cases) {
      const r = await t.post(`/v23.0/${id}/events`, { headers: auth(), json });
      expect(r.status, `${JSON.stringify(json).slice(0, 120)} → ${r.text}`).toBe(400);
      expect(r.body.error.code).toBe(100);
      expect(r.body.error.type).toBe('OAuthException');
      expect(r.body.error.error_data.details).toContain(message);
      if (subcode) expect(r.body.error.error_subcode).toBe(subcode);
    }
    expect(await stored(id)).toBe(before);
  });

  it("answers another WABA's dataset, and an unknown one, as Graph's unknown node", async () => {
    const mine = await ok(t.post(`/v23.0/${waba}/dataset`, { headers: auth() }));
    const theirs = await ok(t.post(`/v23.0/${otherWaba}/dataset`, { headers: bearer(other.channel_api_key) }));
    expect(theirs.id).not.toBe(mine.id);
    const before = await stored(theirs.id);
    for (const id of [theirs.id, '1234567890123456', 'abc']) {
      const r = await t.post(`/v23.0/${id}/events`, { headers: auth(), json: { data: [event()] } });
      expect(r.status, r.text).toBe(400);
      expect(r.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
      expect(r.body.error.message).toContain(`Object with ID '${id}' does not exist`);
    }
    expect(await stored(theirs.id)).toBe(before);
    // Their WABA's dataset edge is not the key's to read or create.
    for (const method of ['get', 'post'] as const) {
      const r = await t[method](`/v23.0/${otherWaba}/dataset`, { headers: auth() });
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.error_subcode).toBe(33);
    }
    // Their listing shows nothing of ours.
    const listed = await ok(t.get('/sandbox/v1/conversion_events', { headers: channelKey(other.channel_api_key) }));
    expect(listed).toEqual({ dataset_id: theirs.id, events: [] });
  });

  it('still reads a message history entry on GET /{version}/{id}/events, and a dataset id is no history entry', async () => {
    const sent = await ok(
      t.post('/messages', { headers: channelKey(p.channel_api_key), json: { messaging_product: 'whatsapp', to: '4915550008001', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } }),
    );
    for (let i = 0; i < 3; i++) {
      clock.advance(5_000);
      await new JobScheduler(t.deps).runDue();
    }
    const phoneID = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id!;
    const h = await ok(t.get(`/v23.0/${phoneID}/message_history?message_id=${encodeURIComponent(sent.messages[0].id)}`, { headers: auth() }));
    const events = await ok(t.get(`/v23.0/${h.data[0].id}/events`, { headers: auth() }));
    expect(events.data.length).toBeGreaterThan(0);
    expect(events.data[0].node.delivery_status).toBe('SENT');
    // A GET on a dataset id is the Message History API's (it is no history entry of this number).
    const { id } = await ok(t.post(`/v23.0/${waba}/dataset`, { headers: auth() }));
    const r = await t.get(`/v23.0/${id}/events`, { headers: auth() });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.code).toBe(100);
    // A POST on a history id is no dataset.
    const post = await t.post(`/v23.0/${h.data[0].id}/events`, { headers: auth(), json: { data: [event()] } });
    expect(post.status, post.text).toBe(400);
    expect(post.body.error.error_subcode).toBe(33);
  });

  it(`keeps the last ${CONVERSION_EVENTS_KEPT} events of a dataset, and checks the listing's limit`, async () => {
    const { id } = await ok(t.post(`/v23.0/${waba}/dataset`, { headers: auth() }));
    const batch = (tag: string, n: number) => Array.from({ length: n }, (_, i) => event({ event_id: `${tag}-${i}` }));
    await ok(t.post(`/v23.0/${id}/events`, { headers: auth(), json: { data: batch('a', 150) } }));
    await ok(t.post(`/v23.0/${id}/events`, { headers: auth(), json: { data: batch('b', 120) } }));
    expect(await stored(id)).toBe(CONVERSION_EVENTS_KEPT);
    const listed = await ok(t.get(`/sandbox/v1/conversion_events?limit=${CONVERSION_EVENTS_KEPT + 50}`, { headers: channelKey(p.channel_api_key) }));
    expect(listed.events).toHaveLength(CONVERSION_EVENTS_KEPT);
    expect(listed.events[0].event.event_id).toBe('b-119');
    expect(listed.events.at(-1).event.event_id).toBe(`a-${150 - (CONVERSION_EVENTS_KEPT - 120)}`);
    expect((await ok(t.get('/sandbox/v1/conversion_events', { headers: channelKey(p.channel_api_key) }))).events).toHaveLength(50);
    for (const limit of ['0', '-1', 'ten', '1e3']) {
      const r = await t.get(`/sandbox/v1/conversion_events?limit=${limit}`, { headers: channelKey(p.channel_api_key) });
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.code).toBe(100);
    }
    const noKey = await t.get('/sandbox/v1/conversion_events');
    expect(noKey.status).toBe(401);
  });
});
