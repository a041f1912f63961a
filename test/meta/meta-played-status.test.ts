// Meta's `played` status (a voice note the user played, after read) of a message sent through Meta:
// passed on to a Cloud channel's webhook as Meta sent it (biz_opaque_callback_data and pricing,
// with its `type`, unchanged), not stored (the row stays read), never before read, once per
// message however often Meta delivers it again; an On-Premise channel does not get it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { META_ENV, epoch, metaCloudAndOnPrem, notification, post, sentThroughMeta, statusOf, wamid } from './meta-webhook-fixtures.ts';

const CLOUD_NUMBER = '106540352279101';
const ONPREM_NUMBER = '106540352279102';
const USER = '4917600000001';

interface Status {
  id: string;
  status: string;
  [k: string]: unknown;
}

describeEachDb("Meta's played status", (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let cloud: BootstrapResult;
  let onprem: BootstrapResult;

  /** The statuses of message `id` in the channel's outbox, in the order they were written. */
  const outbox = async (channelId: string, id: string): Promise<Status[]> =>
    (await t.deps.db.kysely.selectFrom('webhook_events').select(['body']).where('target_id', '=', channelId).where('event_type', '=', 'status').orderBy('id').execute())
      .map((e) => JSON.parse(e.body))
      .flatMap((b) => (b.entry?.[0]?.changes?.[0]?.value?.statuses ?? b.statuses ?? []) as Status[])
      .filter((s) => s.id === id);
  const statusesOf = (outboxStatuses: Status[]) => outboxStatuses.map((s) => s.status);
  /** The statuses of message `id` the receiver got (Cloud envelope or On-Premise top-level array). */
  const received = (id: string): Status[] =>
    receiver
      .bodies()
      .flatMap((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses ?? b.statuses ?? [])
      .filter((s: Status) => s.id === id);
  const row = (id: string) => t.deps.db.kysely.selectFrom('messages').select(['status', 'read_at', 'failed_at']).where('id', '=', id).executeTakeFirstOrThrow();
  const ok = async (body: unknown) => {
    const res = await post(t, body);
    expect(res.status, res.text).toBe(200);
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: META_ENV });
    ({ cloud, onprem } = await metaCloudAndOnPrem(t, receiver.url, { cloud: CLOUD_NUMBER, onprem: ONPREM_NUMBER }));
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it("a Cloud channel's webhook gets played after read, as Meta sent it; the row stays read", async () => {
    const id = await sentThroughMeta(t, cloud);
    const pricing = { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' };
    const opaque = 'voice-note-7 {"order":42}';
    for (const status of ['sent', 'delivered', 'read']) await ok(statusOf(CLOUD_NUMBER, id, status, { pricing, biz_opaque_callback_data: opaque }));
    const readAt = (await row(id)).read_at;
    const playedAt = epoch();
    await ok(
      notification(CLOUD_NUMBER, {
        contacts: [{ wa_id: USER }],
        statuses: [{ id, status: 'played', timestamp: playedAt, recipient_id: USER, pricing, biz_opaque_callback_data: opaque }],
      }),
    );
    // Not stored: the row stays read (read_at as the read status left it).
    expect(await row(id)).toEqual({ status: 'read', read_at: readAt, failed_at: null });

    const all = await receiver.waitForBody('four statuses', () => (received(id).length >= 4 ? received(id) : undefined));
    expect(all.map((s) => s.status).sort()).toEqual(['delivered', 'played', 'read', 'sent']);
    for (const s of all) expect(s, s.status).toMatchObject({ pricing, biz_opaque_callback_data: opaque });
    const played = all.find((s) => s.status === 'played')!;
    expect(played).toEqual({ id, status: 'played', timestamp: playedAt, recipient_id: USER, pricing, biz_opaque_callback_data: opaque });
    // In Meta's Cloud envelope, with Meta's WABA and the number, and the contacts entry Meta sent.
    const envelope = receiver.bodies().find((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]?.status === 'played' && b.entry[0].changes[0].value.statuses[0].id === id);
    expect(envelope).toMatchObject({
      object: 'whatsapp_business_account',
      entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: CLOUD_NUMBER }, contacts: [{ wa_id: USER }] } }] }],
    });
  });

  it('a played Meta delivers again, or a second played of the same message, goes once', async () => {
    const id = await sentThroughMeta(t, cloud);
    await ok(statusOf(CLOUD_NUMBER, id, 'read'));
    const played = statusOf(CLOUD_NUMBER, id, 'played');
    await ok(played);
    await ok(played); // Meta's retry: the same body
    await ok(statusOf(CLOUD_NUMBER, id, 'played', { timestamp: epoch(-5) })); // another played of the same wamid
    // Two in one notification, and two deliveries at once (on PostgreSQL, two transactions).
    const twice = notification(CLOUD_NUMBER, { statuses: [0, 1].map(() => ({ id, status: 'played', timestamp: epoch(), recipient_id: USER })) });
    await Promise.all([ok(twice), ok(twice)]);
    expect(statusesOf(await outbox(cloud.channel_id, id))).toEqual(['read', 'played']);
    expect((await row(id)).status).toBe('read');
  });

  it('two played of a message in one notification, none before: one goes', async () => {
    const id = await sentThroughMeta(t, cloud);
    await ok(statusOf(CLOUD_NUMBER, id, 'read'));
    await ok(notification(CLOUD_NUMBER, { statuses: [0, 1].map((k) => ({ id, status: 'played', timestamp: epoch(-k), recipient_id: USER })) }));
    expect(statusesOf(await outbox(cloud.channel_id, id))).toEqual(['read', 'played']);
  });

  it('a played before the message is read does not go (nor move it); a later delivery after the read does', async () => {
    const id = await sentThroughMeta(t, cloud);
    await ok(statusOf(CLOUD_NUMBER, id, 'delivered'));
    const played = statusOf(CLOUD_NUMBER, id, 'played');
    await ok(played);
    expect((await row(id)).status).toBe('delivered');
    expect(statusesOf(await outbox(cloud.channel_id, id))).toEqual(['delivered']);
    await ok(statusOf(CLOUD_NUMBER, id, 'read'));
    await ok(played); // Meta's retry, now after the read
    expect(statusesOf(await outbox(cloud.channel_id, id))).toEqual(['delivered', 'read', 'played']);
    expect((await row(id)).status).toBe('read');
  });

  it('played of a failed or not yet sent message changes nothing', async () => {
    const failed = await sentThroughMeta(t, cloud);
    await ok(statusOf(CLOUD_NUMBER, failed, 'failed', { errors: [{ code: 131026, title: 'Message undeliverable' }] }));
    await ok(statusOf(CLOUD_NUMBER, failed, 'played'));
    expect(statusesOf(await outbox(cloud.channel_id, failed))).toEqual(['failed']);
    expect((await row(failed)).status).toBe('failed');
    const accepted = await sentThroughMeta(t, cloud);
    await ok(statusOf(CLOUD_NUMBER, accepted, 'played'));
    expect(statusesOf(await outbox(cloud.channel_id, accepted))).toEqual([]);
    expect((await row(accepted)).status).toBe('accepted');
  });

  it('read and played that came before the message was stored go in order, played once', async () => {
    // Each kept status waits as a job of its own; whichever job runs first takes the other with it.
    for (const order of [['played', 'read'], ['read', 'played']]) {
      const id = wamid();
      await ok(notification(CLOUD_NUMBER, { statuses: order.map((status) => ({ id, status, timestamp: epoch(), recipient_id: USER })) }));
      await sentThroughMeta(t, cloud, id);
      // The two kept statuses' jobs (the scheduler runs with the dispatcher) find the message.
      const hooks = await receiver.waitForBody('read and played', () => (received(id).length >= 2 ? received(id) : undefined));
      expect(hooks.map((s) => s.status).sort(), order.join()).toEqual(['played', 'read']);
      // Both jobs done: the second found nothing left to tell.
      for (let i = 0; i < 100; i++) {
        const pending = await t.deps.db.kysely.selectFrom('jobs').select('id').where('ref_id', '=', id).where('status', '!=', 'done').execute();
        if (pending.length === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(statusesOf(await outbox(cloud.channel_id, id)), order.join()).toEqual(['read', 'played']);
      expect((await row(id)).status).toBe('read');
    }
  });

  it('an On-Premise channel does not get played (its statuses have none); read still goes', async () => {
    const id = await sentThroughMeta(t, onprem);
    await ok(statusOf(ONPREM_NUMBER, id, 'read'));
    await ok(statusOf(ONPREM_NUMBER, id, 'played'));
    await receiver.waitForBody('the read status', () => (received(id).length ? received(id) : undefined));
    expect(statusesOf(await outbox(onprem.channel_id, id))).toEqual(['read']);
    expect((await row(id)).status).toBe('read');
  });
});
