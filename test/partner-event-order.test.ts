// A receiver gets its events in the order they were written: ids sort by creation order within
// a millisecond (sortableRecordId), claims take the oldest first, and deliveries start in that
// order. With one delivery in flight per receiver (OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY=1)
// that is also the order of arrival; with more, deliveries overlap and may arrive out of order.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

const ADMIN = 'c'.repeat(32);

describeEachDb('partner events arrive in the order they were written', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  const admin = { authorization: `Bearer ${ADMIN}` };

  beforeAll(async () => {
    // A receiver that takes a while: concurrent deliveries would overtake each other.
    receiver = await new Receiver().start();
    receiver.always({ status: 200, delayMs: 30 });
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY: '1' } });
    p = await t.tenant();
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('events written one after another, and several in one transaction, arrive in that order', async () => {
    expect((await t.post(`/api/v2/partners/${p.partner_id}/webhook_url`, { headers: partnerKey(p.partner_api_key), json: { webhook_url: `${receiver.url}/events` } })).status).toBe(200);
    // Created live: channel_created and channel_live in one transaction, usually one millisecond.
    const live: string[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, { headers: admin, json: { status: 'live', phone_name: `Live ${i}` } });
      expect(created.status).toBe(201);
      live.push(created.body.id);
    }
    const stepped = (await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, { headers: admin, json: { status: 'created', phone_name: 'Stepped' } })).body.id as string;
    for (const status of ['submitted', 'ready', 'running', 'live']) expect((await t.post(`/admin/channels/${stepped}/status`, { headers: admin, json: { status } })).status).toBe(200);

    const ours = [...live, stepped];
    const expected = live.length * 2 + 5;
    const mine = () => receiver.bodies<{ id: string; event: string; data: { id: string } }>('/events').filter((e) => ours.includes(e.data.id));
    await receiver.waitForBody(`${expected} events`, () => mine().length >= expected || undefined, 20_000);
    expect(mine().map((e) => `${e.data.id} ${e.event}`)).toEqual([
      ...live.flatMap((id) => [`${id} channel_created`, `${id} channel_live`]),
      ...['channel_created', 'channel_submitted', 'channel_ready', 'channel_running', 'channel_live'].map((e) => `${stepped} ${e}`),
    ]);
  });

  it('concurrent changes of several channels: each channel’s events in its own order', async () => {
    const channels: string[] = [];
    for (let i = 0; i < 3; i++) channels.push((await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, { headers: admin, json: { status: 'created', phone_name: `Shop ${i}` } })).body.id);
    await Promise.all(
      channels.map(async (chid) => {
        for (const status of ['submitted', 'ready', 'running', 'live']) expect((await t.post(`/admin/channels/${chid}/status`, { headers: admin, json: { status } })).status).toBe(200);
      }),
    );
    const mine = () => receiver.bodies<{ id: string; event: string; data: { id: string } }>('/events').filter((e) => channels.includes(e.data.id));
    await receiver.waitForBody('15 events', () => mine().length >= 15 || undefined, 20_000);
    for (const chid of channels) {
      expect(mine().filter((e) => e.data.id === chid).map((e) => e.event)).toEqual(['channel_created', 'channel_submitted', 'channel_ready', 'channel_running', 'channel_live']);
    }
  });
});
