import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

describeEachDb('partner webhooks and the delivery log', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let receiver: Receiver;
  const base = () => `/api/v2/partners/${a.partner_id}`;
  const auth = () => ({ headers: partnerKey(a.partner_api_key) });

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,1h' } });
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('sets the webhook URL with custom headers; client_created arrives signed, with the headers', async () => {
    const set = await t.post(`${base()}/webhook_url`, { ...auth(), json: { webhook_url: `${receiver.url}/partner`, headers: { Authorization: 'Basic dXNlcjpwYXNz' } } });
    expect(set.status).toBe(200);
    expect((await t.get(`${base()}/webhook_url`, auth())).body).toEqual({ webhook_url: `${receiver.url}/partner`, headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    const created = await t.post(`${base()}/account_sharing/clients`, { ...auth(), json: { name: 'Acme' } });
    expect(created.status).toBe(201);
    await receiver.waitFor(1);
    const req = receiver.requests.at(-1)!;
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({ event: 'client_created', data: { id: created.body.id, name: 'Acme' } });
    expect(req.headers.authorization).toBe('Basic dXNlcjpwYXNz');
    const secret = (await t.get(`${base()}/webhook_secret`, auth())).body.webhook_secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect(req.headers['x-360dialog-signature']).toBe(createHmac('sha256', secret).update(req.body).digest('hex'));
    expect(req.headers['webhook-id']).toBe(body.id);
  });

  it('rejects bad header names and values', async () => {
    for (const headers of [{ 'bad header': 'x' }, { ok: 'line\nbreak' }]) {
      const res = await t.post(`${base()}/webhook_url`, { ...auth(), json: { webhook_url: `${receiver.url}/partner`, headers } });
      expect(res.status).toBe(400);
    }
  });

  it('lists events with filters and shows one with its attempts', async () => {
    const query = { filters: JSON.stringify({ event_type: 'client_created', status: 'delivered' }) };
    // The dispatcher records outcomes a few milliseconds after the receiver has answered.
    await expect.poll(async () => (await t.get(`${base()}/webhook_events`, { ...auth(), query })).body.total).toBeGreaterThanOrEqual(1);
    const list = await t.get(`${base()}/webhook_events`, { ...auth(), query });
    expect(list.status).toBe(200);
    const ev = list.body.webhook_events[0];
    expect(ev).toMatchObject({ event_type: 'client_created', status: 'delivered', target_type: 'partner', target_id: a.partner_id });
    const one = await t.get(`${base()}/webhook_events/${ev.id}`, auth());
    expect(one.body.attempt_log[0]).toMatchObject({ attempt: 1, outcome: 'delivered', status_code: 200, url: `${receiver.url}/partner` });
    const future = await t.get(`${base()}/webhook_events`, { ...auth(), query: { created_after: '2999-01-01T00:00:00Z' } });
    expect(future.body.total).toBe(0);
    expect((await t.get(`${base()}/webhook_events`, { ...auth(), query: { created_after: 'yesterday' } })).status).toBe(400);
    expect((await t.get(`${base()}/webhook_events`, { ...auth(), query: { filters: '{"colour":"red"}' } })).status).toBe(400);
  });

  it('send test event reports the first attempt; a failing receiver is retried on demand', async () => {
    receiver.respond({ status: 500, body: 'boom' });
    const test = await t.post(`${base()}/webhook_test`, auth());
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ event_type: 'test', status: 'pending' });
    expect(test.body.attempt_log[0]).toMatchObject({ outcome: 'http_error', status_code: 500, response_excerpt: 'boom' });
    const n = receiver.requests.length;
    const retried = await t.post(`${base()}/webhook_events/${test.body.id}/retry`, auth());
    expect(retried.status).toBe(200);
    await receiver.waitFor(n + 1);
    await expect.poll(async () => (await t.get(`${base()}/webhook_events/${test.body.id}`, auth())).body.status).toBe('delivered');
  });

  it('a replayed delivered event is pending again: its delivered_at is cleared until it is delivered anew', async () => {
    receiver.respond({ status: 200, body: 'ok' });
    const test = await t.post(`${base()}/webhook_test`, auth());
    await expect.poll(async () => (await t.get(`${base()}/webhook_events/${test.body.id}`, auth())).body.delivered_at).not.toBeNull();
    // The receiver now fails: the replay's first attempt leaves it pending (a retry scheduled).
    receiver.respond({ status: 503, body: 'down' });
    const replayed = await t.post(`${base()}/webhook_events/${test.body.id}/retry`, auth());
    expect(replayed.status).toBe(200);
    await expect.poll(async () => (await t.get(`${base()}/webhook_events/${test.body.id}`, auth())).body.attempt_log.length).toBe(2);
    const after = (await t.get(`${base()}/webhook_events/${test.body.id}`, auth())).body;
    expect(after).toMatchObject({ status: 'pending', delivered_at: null, failed_at: null });
    expect(after.attempt_log.map((a: { outcome: string }) => a.outcome)).toEqual(['delivered', 'http_error']);
    receiver.respond({ status: 200, body: 'ok' });
  });

  it('retries all failed events in a range', async () => {
    await t.deps.db.kysely.updateTable('webhook_events').set({ status: 'failed' }).where('partner_id', '=', a.partner_id).execute();
    const res = await t.post(`${base()}/webhook_events/retry`, { ...auth(), json: { status: 'failed', created_after: '2000-01-01T00:00:00Z' } });
    expect(res.status).toBe(200);
    expect(res.body.retried).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => (await t.get(`${base()}/webhook_events`, { ...auth(), query: { filters: '{"status":"failed"}' } })).body.total).toBe(0);
  });

  it('rotates the signing secret', async () => {
    const before = (await t.get(`${base()}/webhook_secret`, auth())).body.webhook_secret;
    const rotated = await t.post(`${base()}/webhook_secret/rotate`, auth());
    expect(rotated.body.webhook_secret).toMatch(/^whsec_/);
    expect(rotated.body.webhook_secret).not.toBe(before);
    expect((await t.get(`${base()}/webhook_secret`, auth())).body.webhook_secret).toBe(rotated.body.webhook_secret);
  });

  describe('security', () => {
    const routes = (pid: string, evt = 'evt_x'): [string, string][] => [
      ['GET', `/api/v2/partners/${pid}/webhook_events`],
      ['GET', `/api/v2/partners/${pid}/webhook_events/${evt}`],
      ['POST', `/api/v2/partners/${pid}/webhook_events/${evt}/retry`],
      ['POST', `/api/v2/partners/${pid}/webhook_events/retry`],
      ['POST', `/api/v2/partners/${pid}/webhook_test`],
      ['GET', `/api/v2/partners/${pid}/webhook_secret`],
      ['POST', `/api/v2/partners/${pid}/webhook_secret/rotate`],
    ];
    it('401 without or with a wrong credential, 403 with another partner’s', async () => {
      for (const [method, path] of routes(a.partner_id)) {
        expect((await t.request(method, path, { json: method === 'POST' ? {} : undefined })).status, `${method} ${path}`).toBe(401);
        expect((await t.request(method, path, { headers: partnerKey('owpk_nope'), json: method === 'POST' ? {} : undefined })).status).toBe(401);
        expect((await t.request(method, path, { headers: partnerKey(b.partner_api_key), json: method === 'POST' ? {} : undefined })).status).toBe(403);
      }
    });
    it("404 for another partner's event under one's own id", async () => {
      const events = await t.get(`${base()}/webhook_events`, auth());
      const id = events.body.webhook_events[0].id;
      const own = `/api/v2/partners/${b.partner_id}`;
      expect((await t.get(`${own}/webhook_events/${id}`, { headers: partnerKey(b.partner_api_key) })).status).toBe(404);
      expect((await t.post(`${own}/webhook_events/${id}/retry`, { headers: partnerKey(b.partner_api_key) })).status).toBe(404);
    });
  });
});
