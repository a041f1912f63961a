// Message content retention covers the webhook outbox too: after
// OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS the hourly maintenance removes what the user wrote (and
// their profile name) from the inbound message events, and from their copies for a number's extra
// webhooks, keeping the envelope and the ids; statuses are left as they are. The events API shows
// the marker, and a replay sends it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery } from 'kysely';
import { ManualClock } from '../src/clock.ts';
import type { Deps } from '../src/deps.ts';
import { JobScheduler } from '../src/jobs/scheduler.ts';
import { runMaintenance } from '../src/maintenance.ts';
import { removedEventBody, removeOldWebhookContent, WEBHOOK_CONTENT_PROGRESS_KEY } from '../src/messaging/webhook-content-retention.ts';
import { EXCERPTS_PROGRESS_KEY } from '../src/webhooks/excerpt-retention.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { eventsForRewrite } from '../src/webhooks/body-retention.ts';
import { Dispatcher } from '../src/webhooks/dispatcher.ts';
import { enqueueEvent } from '../src/webhooks/outbox.ts';
import { describeEachDb } from './helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';
import { SAMPLES, uploadCloud } from './messaging/media-fixtures.ts';
import { planOf } from './helpers/query-plan.ts';

const DAY = 86_400_000;
const ADMIN = 'c'.repeat(32);
const REMOVAL = { at: '2026-04-01T10:00:00.000Z', retentionDays: 7 };
const MARK = { at: REMOVAL.at, retention_days: 7 };

describe('removedEventBody', () => {
  const cloud = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '1000000001',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '491511234567', phone_number_id: '2000000002' },
              contacts: [{ profile: { name: 'Jane Doe' }, wa_id: '4917600000301' }],
              messages: [
                {
                  from: '4917600000301',
                  id: 'wamid.A',
                  timestamp: '1772359200',
                  type: 'text',
                  text: { body: 'My order X4711Q never came' },
                  context: { from: '491511234567', id: 'wamid.B', referred_product: { catalog_id: 'c1', product_retailer_id: 'sku-9' } },
                  referral: { headline: 'Spring sale', body: 'Everything 20% off' },
                },
              ],
            },
          },
        ],
      },
    ],
  };

  it('keeps the Cloud envelope, the ids and wa_id; the content and profile name become the marker', () => {
    const out = removedEventBody(JSON.stringify(cloud), REMOVAL);
    expect(JSON.parse(out)).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1000000001',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '491511234567', phone_number_id: '2000000002' },
                contacts: [{ profile: {}, wa_id: '4917600000301' }],
                messages: [{ from: '4917600000301', id: 'wamid.A', timestamp: '1772359200', type: 'text', context: { from: '491511234567', id: 'wamid.B' }, removed: MARK }],
              },
            },
          ],
        },
      ],
    });
    expect(out).not.toMatch(/Jane|X4711Q|sku-9|Spring sale/);
  });

  it('On-Premise bodies keep their top-level contacts and messages', () => {
    const body = {
      contacts: [{ profile: { name: 'Otto' }, wa_id: '4917600000009' }],
      messages: [{ from: '4917600000009', id: 'wamid.C', timestamp: '1772359200', type: 'location', location: { latitude: 52.52, longitude: 13.4, address: 'Example Street 1' } }],
    };
    expect(JSON.parse(removedEventBody(JSON.stringify(body), REMOVAL))).toEqual({
      contacts: [{ profile: {}, wa_id: '4917600000009' }],
      messages: [{ from: '4917600000009', id: 'wamid.C', timestamp: '1772359200', type: 'location', removed: MARK }],
    });
  });

  it('is idempotent: a blanked body comes back as the same text, its removal time kept', () => {
    const once = removedEventBody(JSON.stringify(cloud), REMOVAL);
    expect(removedEventBody(once, { at: '2027-01-01T00:00:00.000Z', retentionDays: 1 })).toBe(once);
    const whole = removedEventBody('{"something":"else"}', REMOVAL);
    expect(JSON.parse(whole)).toEqual({ removed: MARK });
    expect(removedEventBody(whole, { at: '2027-01-01T00:00:00.000Z', retentionDays: 1 })).toBe(whole);
    expect(JSON.parse(removedEventBody('not json', REMOVAL))).toEqual({ removed: MARK });
  });
});


describeEachDb('webhook content retention', (kind) => {
  const start = new Date('2026-03-01T10:00:00.000Z');
  const clock = new ManualClock(start);
  let t: TestApp;
  let p: BootstrapResult;
  let main: Receiver;
  let crm: Receiver;
  let dispatcher: Dispatcher;
  let jobs: JobScheduler;
  const USER = '4917600000301';
  const GONE = '4917600000302';
  const key = () => channelKey(p.channel_api_key);
  const db = () => t.deps.db.kysely;
  const inbound = async (json: Record<string, unknown>, k: Record<string, string> = key()) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: k, json: { from: USER, ...json } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.messages[0].id as string;
  };
  const send = async (to: string, json: Record<string, unknown>) => {
    const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to, ...json } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.messages[0].id as string;
  };
  /** A partner's channel events (their messages and statuses, not its partner events such as client_created). */
  const events = (partnerId: string) =>
    db()
      .selectFrom('webhook_events')
      .select(['id', 'target_type', 'event_type', 'status', 'body', 'created_at'])
      .where('partner_id', '=', partnerId)
      .where('target_type', '!=', 'partner')
      .orderBy('id')
      .execute();
  const messageOf = (body: string) => {
    const b = JSON.parse(body);
    return (b.entry?.[0].changes[0].value.messages ?? b.messages)[0];
  };
  const hub = (path: string) => `/api/v2/partners/${p.partner_id}${path}`;

  beforeAll(async () => {
    main = await new Receiver().start();
    crm = await new Receiver().start();
    t = await startTestApp(kind, {
      clock,
      env: {
        OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: '7',
        OPENWABA_WEBHOOK_RETENTION_DAYS: '30',
        OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,1h',
        OPENWABA_WEBHOOK_RETRY_HORIZON: '7d',
        OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=1s,delivered=2s,read=3s',
        OPENWABA_PARTNER_RATE_LIMITS: 'false',
        OPENWABA_ADMIN_TOKEN: ADMIN,
      },
    });
    dispatcher = new Dispatcher(t.deps);
    jobs = new JobScheduler(t.deps);
    p = await t.tenant();
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await t?.close();
    await main?.close();
    await crm?.close();
  });

  let before: Awaited<ReturnType<typeof events>> = [];
  let oldInbound: string[] = [];
  let lateCopyOf = '';
  let freshId = '';
  let mediaId = '';

  it('removes the content of old inbound message events and their copies; new ones and statuses stay as they were', async () => {
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${main.url}/main` } })).status).toBe(200);
    const multi = await t.post('/multi_webhook', { headers: key(), json: { enabled: true, destinations: [{ name: 'crm', url: `${crm.url}/crm` }] } });
    expect(multi.status, multi.text).toBe(200);

    // Day 0: a conversation, written by the real paths, delivered to the main webhook and copied to the CRM.
    const png = SAMPLES.find((s) => s.name === 'chart.png')!;
    const upload = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: png.mime, file: { data: png.data, type: png.mime, name: png.name } });
    expect(upload.status, JSON.stringify(upload.body)).toBe(200);
    mediaId = upload.body.id;
    const hello = await inbound({ name: 'Jane Doe', type: 'text', text: { body: 'My order X4711Q never came' } });
    const reply = await send(USER, { type: 'text', text: { body: 'Sorry Jane, we send a new one' } });
    const image = await inbound({ type: 'image', image: { id: mediaId, caption: 'the empty box' }, context: { message_id: reply } });
    const location = await inbound({ type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Home', address: 'Example Street 1, Berlin' } });
    const card = await inbound({ type: 'contacts', contacts: [{ name: { formatted_name: 'Ann Smith', first_name: 'Ann' }, phones: [{ phone: '+49 151 1234567' }] }] });
    // A message to a user who cannot be reached: a failed status, with its error.
    expect((await t.post(`/sandbox/v1/users/${GONE}`, { headers: key(), json: { unreachable: true } })).status).toBe(200);
    await send(GONE, { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
    clock.advance(10_000);
    await jobs.runDue();
    await dispatcher.drain();
    await dispatcher.drain();
    // Day 0 too, but the main webhook is down: it takes the event two days later, and only then is the copy made.
    main.respond({ status: 503 });
    lateCopyOf = await inbound({ type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'late', title: 'Call me tomorrow' } } });
    await dispatcher.drain();
    clock.advance(2 * DAY);
    await dispatcher.drain();
    await dispatcher.drain();
    oldInbound = [hello, image, location, card, lateCopyOf];

    // Day 8: one more message, inside the retention.
    clock.advance(6 * DAY);
    freshId = await inbound({ type: 'text', text: { body: 'Thanks, it arrived' } });
    await dispatcher.drain();
    await dispatcher.drain();

    before = await events(p.partner_id);
    const messageEvents = before.filter((e) => e.event_type === 'message');
    // Six inbound messages, each to the main webhook and copied to the CRM.
    expect(messageEvents.filter((e) => e.target_type === 'channel')).toHaveLength(6);
    expect(messageEvents.filter((e) => e.target_type === 'channel_destination')).toHaveLength(6);
    expect(messageEvents.every((e) => e.status === 'delivered')).toBe(true);
    const late = messageEvents.filter((e) => messageOf(e.body).id === lateCopyOf);
    expect(late.map((e) => e.created_at).sort()).toEqual([new Date(start.getTime() + 10_000).toISOString(), new Date(start.getTime() + 10_000 + 2 * DAY).toISOString()]);
    const statuses = before.filter((e) => e.event_type === 'status');
    expect(statuses.length).toBeGreaterThanOrEqual(4);
    expect(statuses.some((e) => e.body.includes('"errors"'))).toBe(true);

    await runMaintenance(t.deps);

    const now = clock.now().toISOString();
    const after = await events(p.partner_id);
    expect(after.map((e) => e.id)).toEqual(before.map((e) => e.id));
    for (const [i, e] of after.entries()) {
      const was = before[i]!;
      // Only the body of old message events changed.
      expect({ ...e, body: was.body }).toEqual(was);
      const id = was.event_type === 'message' ? messageOf(was.body).id : undefined;
      if (!id || !oldInbound.includes(id)) {
        expect(e.body, `${was.event_type} ${id ?? ''}`).toBe(was.body);
        continue;
      }
      // The late copy (created on day 2, inside the retention by its own date) went with its event.
      expect(JSON.parse(e.body), `${id} to ${e.target_type}`).toEqual(JSON.parse(removedEventBody(was.body, { at: now, retentionDays: 7 })));
      const m = messageOf(e.body);
      expect(m).toMatchObject({ from: USER, id, type: messageOf(was.body).type, timestamp: messageOf(was.body).timestamp, removed: { at: now, retention_days: 7 } });
      // Ids stay: the number and the user's business-scoped id (BSUID), in the message and its contact.
      expect(Object.keys(m).filter((k) => !['from', 'from_user_id', 'id', 'timestamp', 'type', 'context', 'removed'].includes(k))).toEqual([]);
      expect(m.from_user_id).toMatch(/^[A-Z]{2}\.\d{20}$/);
      expect(JSON.parse(e.body).entry[0].changes[0].value.contacts).toEqual([{ profile: {}, wa_id: USER, user_id: m.from_user_id }]);
    }
    const imageEvent = after.find((e) => e.target_type === 'channel' && e.event_type === 'message' && messageOf(e.body).id === image)!;
    expect(messageOf(imageEvent.body).context).toEqual({ from: p.phone_number, id: reply });
    // Nothing the user said, nor their name or the media id, is left in the outbox; the fresh message is.
    const all = after.filter((e) => e.event_type !== 'message' || messageOf(e.body).id !== freshId).map((e) => e.body).join('\n');
    expect(all).not.toMatch(/X4711Q|empty box|Example Street|Ann Smith|Jane Doe|Call me tomorrow/);
    expect(all).not.toContain(mediaId);
    expect(after.filter((e) => e.body.includes('Thanks, it arrived'))).toHaveLength(2);
    expect(after.filter((e) => e.event_type === 'message' && messageOf(e.body).id === freshId).every((e) => JSON.parse(e.body).entry[0].changes[0].value.contacts[0].profile.name === 'Jane Doe')).toBe(true);
    // The next hour finds nothing left to do.
    expect(await removeOldWebhookContent(t.deps)).toBe(0);
    expect(await events(p.partner_id)).toEqual(after);
  });

  it('the events API shows the marker in place of the content', async () => {
    const list = await t.get(hub('/webhook_events'), { headers: partnerKey(p.partner_api_key), query: { filters: JSON.stringify({ event_type: 'message', target_type: 'channel' }), limit: '100' } });
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(6);
    expect(list.text).not.toMatch(/X4711Q|empty box|Example Street|Ann Smith|Call me tomorrow/);
    const old = list.body.webhook_events.filter((e: any) => oldInbound.includes(messageOf(JSON.stringify(e.payload)).id));
    expect(old).toHaveLength(5);
    for (const e of old) expect(e.payload.entry[0].changes[0].value.messages[0].removed).toEqual({ at: clock.now().toISOString(), retention_days: 7 });
    const one = await t.get(hub(`/webhook_events/${old[0].id}`), { headers: partnerKey(p.partner_api_key) });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ status: 'delivered', event_type: 'message', payload: { object: 'whatsapp_business_account' } });
    expect(one.body.payload.entry[0].changes[0].value.messages[0]).toHaveProperty('removed');
  });

  it('a replay sends the blanked body; one still pending past the cutoff is blanked before it goes out', async () => {
    const ev = before.find((e) => e.target_type === 'channel' && e.event_type === 'message' && messageOf(e.body).id === oldInbound[0])!;
    const n = main.requests.length;
    const replay = await t.post(hub(`/webhook_events/${ev.id}/retry`), { headers: partnerKey(p.partner_api_key) });
    expect(replay.status).toBe(200);
    await dispatcher.drain();
    expect(main.requests).toHaveLength(n + 1);
    const sent = main.requests.at(-1)!.body;
    expect(sent).toBe((await db().selectFrom('webhook_events').select('body').where('id', '=', ev.id).executeTakeFirstOrThrow()).body);
    expect(messageOf(sent)).toHaveProperty('removed');
    expect(sent).not.toContain('X4711Q');

    // An event replayed while its content was still kept, whose receiver is down past the cutoff.
    main.respond({ status: 500 });
    const q = await t.tenant();
    const qKey = channelKey(q.channel_api_key);
    expect((await t.post('/configs/webhook', { headers: qKey, json: { url: `${main.url}/q` } })).status).toBe(200);
    const pendingMsg = await inbound({ name: 'Max', type: 'text', text: { body: 'Where is parcel 0815?' } }, qKey);
    await dispatcher.drain();
    const [pending] = await events(q.partner_id);
    expect(pending).toMatchObject({ event_type: 'message', status: 'pending' });
    clock.advance(7 * DAY + 1);
    await runMaintenance(t.deps);
    const blanked = (await events(q.partner_id))[0]!;
    expect(blanked.status).toBe('pending');
    expect(messageOf(blanked.body)).toEqual({
      from: USER,
      from_user_id: messageOf(pending!.body).from_user_id,
      id: pendingMsg,
      timestamp: messageOf(pending!.body).timestamp,
      type: 'text',
      removed: { at: clock.now().toISOString(), retention_days: 7 },
    });
    expect(messageOf(blanked.body).from_user_id).toMatch(/^[A-Z]{2}\.\d{20}$/);
    main.always({ status: 200 });
    const m = main.requests.length;
    await t.post(`/api/v2/partners/${q.partner_id}/webhook_events/${pending!.id}/retry`, { headers: partnerKey(q.partner_api_key) });
    await dispatcher.drain();
    expect(main.requests.slice(m).map((r) => r.body)).toEqual([blanked.body]);
  });

  it('On-Premise message events keep their top-level shape', async () => {
    const q = await t.tenant();
    const ch = await t.post(`/admin/partners/${q.partner_id}/clients/${q.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123456789', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${q.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(q.partner_api_key) });
    const onPrem = { 'd360-api-key': k.body.api_key as string };
    expect((await t.post('/v1/configs/webhook', { headers: onPrem, json: { url: `${main.url}/onprem` } })).status).toBe(200);
    const id = await inbound({ name: 'Otto', type: 'text', text: { body: 'moin, Kundennummer 42' } }, onPrem);
    const [ev] = await events(q.partner_id);
    expect(JSON.parse(ev!.body).messages[0].text).toEqual({ body: 'moin, Kundennummer 42' });
    clock.advance(7 * DAY + 1);
    await runMaintenance(t.deps);
    const [after] = await events(q.partner_id);
    expect(JSON.parse(after!.body)).toEqual({
      contacts: [{ profile: {}, wa_id: USER }],
      messages: [{ from: USER, id, timestamp: messageOf(ev!.body).timestamp, type: 'text', removed: { at: clock.now().toISOString(), retention_days: 7 } }],
    });
  });

  it('works in bounded batches up to the cutoff, events of one instant included; forever keeps everything', async () => {
    const q = await t.tenant();
    const body = (n: number) =>
      JSON.stringify({ contacts: [{ profile: { name: 'Batch' }, wa_id: USER }], messages: [{ from: USER, id: `wamid.batch${n}`, timestamp: '1', type: 'text', text: { body: `secret ${n}` } }] });
    const enqueue = (n: number) => enqueueEvent(t.deps, db(), { partnerId: q.partner_id, targetType: 'channel', targetId: q.channel_id, eventType: 'message', body: body(n) });
    // Seven events written in one millisecond, four in the next, then the cutoff, then one more.
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await enqueue(i));
    clock.advance(1);
    for (let i = 7; i < 11; i++) ids.push(await enqueue(i));
    clock.advance(1);
    const kept = await enqueue(11);
    const cutoff = clock.now().toISOString();
    clock.advance(7 * DAY);
    const blankedIds = async () =>
      (await events(q.partner_id)).filter((e) => e.body.includes('"removed"')).map((e) => e.id).sort();

    const forever: Deps = { ...t.deps, config: { ...t.deps.config, messageContentRetentionDays: null } };
    expect(await removeOldWebhookContent(forever)).toBe(0);
    expect(await blankedIds()).toEqual([]);

    // Batches of 3: ties at a batch's end are finished before going on.
    expect(await removeOldWebhookContent(t.deps, 3)).toBe(11);
    expect(await blankedIds()).toEqual([...ids].sort());
    expect((await events(q.partner_id)).find((e) => e.id === kept)!.body).toBe(body(11));
    // How far the walk got is kept: the next hour reads nothing it has done.
    const mark = await db().selectFrom('instance_settings').select('value').where('key', '=', WEBHOOK_CONTENT_PROGRESS_KEY).executeTakeFirstOrThrow();
    expect(mark.value).toBe(cutoff);
    expect(await removeOldWebhookContent(t.deps, 3)).toBe(0);
    clock.advance(2);
    expect(await removeOldWebhookContent(t.deps, 3)).toBe(1);
    expect(await blankedIds()).toEqual([...ids, kept].sort());
  });

  it('finds the events due through webhook_events_partner_type, not by reading the table', async () => {
    const q = await t.tenant();
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      id: `evt_plan${String(i).padStart(5, '0')}`,
      partner_id: q.partner_id,
      target_type: 'channel',
      target_id: q.channel_id,
      event_type: i % 4 === 0 ? 'message' : 'status',
      body: '{}',
      status: 'delivered' as const,
      attempts: 1,
      available_at: '2026-01-01T00:00:00.000Z',
      lease_owner: null,
      expires_at: '2026-01-02T00:00:00.000Z',
      created_at: new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 60_000).toISOString(),
      last_attempt_at: null,
      last_status_code: 200,
      last_error: null,
      delivered_at: '2026-01-01T00:00:00.000Z',
      failed_at: null,
    }));
    for (let i = 0; i < rows.length; i += 500) await db().insertInto('webhook_events').values(rows.slice(i, i + 500)).execute();
    if (kind === 'postgres') await db().executeQuery(CompiledQuery.raw('ANALYZE webhook_events'));
    const query = eventsForRewrite(db(), { partnerId: q.partner_id, eventType: 'message', from: '2026-01-01T10:00:00.000Z', before: '2026-01-02T00:00:00.000Z', limit: 500 });
    const plan = await planOf(t, query);
    expect(plan).toMatch(/webhook_events_partner_type/);
    if (kind === 'sqlite') expect(plan).toMatch(/^SEARCH webhook_events USING INDEX webhook_events_partner_type \(partner_id=\? AND event_type=\? AND created_at>\? AND created_at<\?\)$/m);
    else expect(plan).not.toMatch(/Seq Scan/);
    // A backlog longer than a batch (the first run, or a retention made shorter): read in the
    // index's order, stopping at the batch's end, not gathered whole and sorted for each batch.
    const backlog = await planOf(t, eventsForRewrite(db(), { partnerId: q.partner_id, eventType: 'message', from: '', before: '2026-03-01T00:00:00.000Z', limit: 500 }));
    expect(backlog).toMatch(/webhook_events_partner_type/);
    if (kind === 'postgres') expect(backlog).toMatch(/^\s*->\s+Index Scan using webhook_events_partner_type/m);
    expect(backlog).not.toMatch(/Seq Scan|Sort|TEMP B-TREE/);
  });
});

describeEachDb('webhook content retention: what receivers answered', (kind) => {
  it('attempts started before the cutoff lose their response excerpt (outcome, status code and times stay); later ones keep it', async () => {
    const clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
    const t = await startTestApp(kind, { clock, env: { OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: '7', OPENWABA_WEBHOOK_RETENTION_DAYS: '30' } });
    try {
      const db = t.deps.db.kysely;
      const attempt = (id: string, startedAt: Date, excerpt: string | null) => ({
        id,
        event_id: `evt_${id}`,
        attempt: 1,
        url: 'https://crm.example/hook',
        started_at: startedAt.toISOString(),
        duration_ms: 5,
        outcome: 'http_error',
        status_code: 500,
        error: null,
        response_excerpt: excerpt,
        slow: 0,
      });
      const day = 86_400_000;
      const t0 = clock.now().getTime();
      // Five old ones in one instant (more than a batch of 2), one old without an excerpt, one recent.
      await db
        .insertInto('webhook_attempts')
        .values([
          ...Array.from({ length: 5 }, (_, i) => attempt(`old${i}`, new Date(t0), `echo: hello Ann ${i}`)),
          attempt('bare', new Date(t0 + 1), null),
          attempt('recent', new Date(t0 + 7 * day), 'echo: hello again'),
        ])
        .execute();
      clock.advance(8 * day);
      await removeOldWebhookContent(t.deps, 2);
      const rows = new Map((await db.selectFrom('webhook_attempts').select(['id', 'response_excerpt', 'status_code', 'outcome']).execute()).map((r) => [r.id, r]));
      for (let i = 0; i < 5; i++) expect(rows.get(`old${i}`)).toEqual({ id: `old${i}`, response_excerpt: null, status_code: 500, outcome: 'http_error' });
      expect(rows.get('recent')!.response_excerpt).toBe('echo: hello again');
      // A week later the recent one has passed the cutoff too; the walk starts where the last run stopped.
      clock.advance(7 * day);
      await removeOldWebhookContent(t.deps, 2);
      expect((await db.selectFrom('webhook_attempts').select('response_excerpt').where('id', '=', 'recent').executeTakeFirstOrThrow()).response_excerpt).toBeNull();
      const mark = await db.selectFrom('instance_settings').select('value').where('key', '=', EXCERPTS_PROGRESS_KEY).executeTakeFirstOrThrow();
      expect(mark.value).toBe(new Date(clock.now().getTime() - 7 * day).toISOString());
    } finally {
      await t.close();
    }
  });
});
