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

  it('the cancellation lifecycle ends with cancellation_processed when the channel is terminated', async () => {
    const asP = { headers: partnerKey(p.partner_api_key) };
    const created = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, { headers: admin, json: { status: 'live', phone_name: 'Leaving' } });
    expect(created.status).toBe(201);
    const chid = created.body.id as string;
    const control = `/api/v2/partners/${p.partner_id}/clients/${p.client_id}/channels/${chid}/control/cancellation_request`;
    expect((await t.post(control, { ...asP, json: { enabled: true } })).status).toBe(200);

    const ended = await t.post(`/admin/channels/${chid}/status`, { headers: admin, json: { status: 'terminated' } });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: chid, status: 'terminated', availability_status: 'error', meta_status: 'DISCONNECTED' });
    expect(ended.body.terminated_at).toMatch(/Z$/);
    // The event was written with the change (the outbox), whatever the dispatcher has done since.
    const outbox = await t.get(`/api/v2/partners/${p.partner_id}/webhook_events`, { ...asP, query: { filters: JSON.stringify({ event_type: 'cancellation_processed' }) } });
    const processed = outbox.body.webhook_events.filter((e: { payload: { data: { id: string } } }) => e.payload.data.id === chid);
    expect(processed).toHaveLength(1);
    expect(processed[0].payload).toMatchObject({ id: processed[0].id, event: 'cancellation_processed', data: { id: chid, status: 'terminated' } });

    // Terminated is final: no second termination, no other status, no new request; no event for any of them.
    expect((await t.post(`/admin/channels/${chid}/status`, { headers: admin, json: { status: 'terminated' } })).status).toBe(400);
    expect((await t.post(`/admin/channels/${chid}/status`, { headers: admin, json: { status: 'live' } })).status).toBe(400);
    expect((await t.post(control, { ...asP, json: { enabled: false } })).status).toBe(400);

    const mine = () => events().filter((e) => e.data.id === chid && e.event.startsWith('cancellation_'));
    await receiver.waitForBody('cancellation_request and cancellation_processed', () => mine().length >= 2);
    await sleep(100); // time for a third event, which must not come
    expect(mine().map((e) => e.event).sort()).toEqual(['cancellation_processed', 'cancellation_request']);
    // `data` is the channel object (reference §1.4), the same the Partner API shows for it now.
    const data = mine().find((e) => e.event === 'cancellation_processed')!.data;
    expect(data).toMatchObject({ id: chid, client_id: p.client_id, status: 'terminated', availability_status: 'error', terminated_at: ended.body.terminated_at });
    expect(data).toEqual((await t.get(`/api/v2/partners/${p.partner_id}/channels/${chid}`, asP)).body);
  });

  it('a channel terminated without a cancellation request is processed too', async () => {
    const created = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, { headers: admin, json: { status: 'created' } });
    const chid = created.body.id as string;
    expect((await t.post(`/admin/channels/${chid}/status`, { headers: admin, json: { status: 'terminated' } })).status).toBe(200);
    const mine = () => events().filter((e) => e.data.id === chid);
    await receiver.waitForBody('the channel’s two events', () => mine().length >= 2);
    await sleep(100);
    expect(mine().map((e) => e.event).sort()).toEqual(['cancellation_processed', 'channel_created']);
    expect(mine().find((e) => e.event === 'cancellation_processed')!.data).toMatchObject({ status: 'terminated', availability_status: 'error' });
  });

  it('a new channel cannot be born terminated (400, nothing created, no event)', async () => {
    const n = receiver.requests.length;
    const before = (await t.get(`/api/v2/partners/${p.partner_id}/channels`, { headers: partnerKey(p.partner_api_key) })).body.total;
    const res = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, { headers: admin, json: { status: 'terminated' } });
    expect(res.status).toBe(400);
    expect(res.body.meta.developer_message).toMatch(/status/);
    expect((await t.get(`/api/v2/partners/${p.partner_id}/channels`, { headers: partnerKey(p.partner_api_key) })).body.total).toBe(before);
    await sleep(100);
    expect(receiver.requests.length).toBe(n);
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
