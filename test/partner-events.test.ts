import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';
import { sleep } from './helpers/wait.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

const ADMIN = 'a'.repeat(32);

describeEachDb('partner events of the reference', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const events = () => receiver.bodies<{ id: string; event: string; data: { id: string; status?: string } }>();

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,1h' } });
    p = await t.tenant();
    const set = await t.post(`/api/v2/partners/${p.partner_id}/webhook_url`, { headers: partnerKey(p.partner_api_key), json: { webhook_url: `${receiver.url}/events` } });
    expect(set.status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('records the bootstrap tenant’s events in the outbox even before a webhook URL exists', async () => {
    const list = await t.get(`/api/v2/partners/${p.partner_id}/webhook_events`, { headers: partnerKey(p.partner_api_key), query: { sort: 'created_at' } });
    // Written in one transaction, often within one millisecond: compare without order.
    expect(list.body.webhook_events.map((e: { event_type: string }) => e.event_type).sort()).toEqual(['channel_created', 'channel_ready', 'client_created']);
  });

  it('a channel through its lifecycle: created, submitted, ready, running, live', async () => {
    const created = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, { headers: admin, json: { status: 'created', phone_name: 'Shop' } });
    expect(created.status).toBe(201);
    const chid = created.body.id as string;
    expect(created.body.availability_status).toBe('setting_up');
    for (const status of ['submitted', 'ready', 'running', 'live']) {
      const res = await t.post(`/admin/channels/${chid}/status`, { headers: admin, json: { status } });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(status);
    }
    // Deliveries to one receiver run concurrently, so arrival order is not creation order
    // (receivers order by the channel's status, as with 360dialog and Meta).
    const mine = () => events().filter((e) => e.data.id === chid);
    await receiver.waitForBody('the five events of the channel', () => mine().length >= 5);
    expect(mine().map((e) => e.event).sort()).toEqual(['channel_created', 'channel_live', 'channel_ready', 'channel_running', 'channel_submitted']);
    expect(mine().find((e) => e.event === 'channel_live')!.data).toMatchObject({ id: chid, status: 'live', availability_status: 'ready', client_id: p.client_id });
    expect(new Set(mine().map((e) => e.id)).size).toBe(5);
  });

  it('cancellation request and revoke through the Partner API', async () => {
    const path = `/api/v2/partners/${p.partner_id}/clients/${p.client_id}/channels/${p.channel_id}/control/cancellation_request`;
    expect((await t.post(path, { headers: partnerKey(p.partner_api_key), json: { enabled: true } })).status).toBe(200);
    // Asking twice changes nothing and emits nothing.
    expect((await t.post(path, { headers: partnerKey(p.partner_api_key), json: { enabled: true } })).status).toBe(200);
    expect((await t.post(path, { headers: partnerKey(p.partner_api_key), json: { enabled: false } })).status).toBe(200);
    const cancellation = () => events().filter((e) => e.data.id === p.channel_id && e.event.startsWith('cancellation_'));
    await receiver.waitForBody('the cancellation events', () => cancellation().length >= 2);
    await sleep(100); // time for a third event, which must not come
    expect(cancellation().map((e) => e.event).sort()).toEqual(['cancellation_request', 'cancellation_revoke']);
  });

  it('template messaging disabled and enabled', async () => {
    const n = receiver.requests.length;
    expect((await t.post(`/admin/channels/${p.channel_id}/template_messaging`, { headers: admin, json: { enabled: false } })).body.template_messaging_enabled).toBe(false);
    expect((await t.post(`/admin/channels/${p.channel_id}/template_messaging`, { headers: admin, json: { enabled: true } })).body.template_messaging_enabled).toBe(true);
    const toggles = () => events().slice(n).filter((e) => e.event.startsWith('template_messaging_'));
    await receiver.waitForBody('the template messaging events', () => toggles().length >= 2);
    expect(toggles().map((e) => e.event).sort()).toEqual(['template_messaging_disabled', 'template_messaging_enabled']);
  });

  it('rejects unknown statuses and channels', async () => {
    expect((await t.post(`/admin/channels/${p.channel_id}/status`, { headers: admin, json: { status: 'flying' } })).status).toBe(400);
    expect((await t.post(`/admin/channels/nopeCH/status`, { headers: admin, json: { status: 'live' } })).status).toBe(404);
    expect((await t.post(`/admin/channels/${p.channel_id}/status`, { json: { status: 'live' } })).status).toBe(401);
  });
});
