// The receiving partner's Hub page for partner change requests: the pending request with its
// Approve button, the approval moving the client, the auto-approve switch; another partner's
// page is refused, and forms need the session's CSRF token.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { HubClient } from './web/hub-client.ts';

const ADMIN = 'pcr-hub-admin-token-'.padEnd(32, 'z');

describeEachDb('partner change requests in the Hub', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let hubA: HubClient;
  let hubB: HubClient;
  const page = (p: BootstrapResult) => `/hub/partner/${p.partner_id}/partner-change-requests`;

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    a = await t.tenant();
    b = await t.tenant();
    hubA = new HubClient(t.baseUrl);
    hubB = new HubClient(t.baseUrl);
    expect((await hubA.login(a.username, a.password)).status).toBe(303);
    expect((await hubB.login(b.username, b.password)).status).toBe(303);
  });
  afterAll(() => t?.close());

  it('B sees the pending request and approves it there; the client becomes B’s', async () => {
    const created = await t.post(`/admin/clients/${a.client_id}/partner_change_requests`, { headers: { authorization: `Bearer ${ADMIN}` }, json: { new_partner_id: b.partner_id } });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;

    const before = await hubB.get(page(b));
    expect(before.status).toBe(200);
    expect(before.html).toContain(`data-pcr-id="${id}"`);
    expect(before.html).toContain(`aria-label="Approve ${id}"`);
    expect(before.html).toContain('aria-current="page">Partner changes');
    // A's own page shows nothing of it; B's page is not A's to see.
    expect((await hubA.get(page(a))).html).not.toContain(id);
    expect((await hubA.get(page(b))).status).toBe(403);
    // Without the session's token the form is refused, and nothing moves.
    expect((await hubB.postRaw(`${page(b)}/${id}/approve`, {})).status).toBe(403);
    expect((await t.get(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, { headers: partnerKey(a.partner_api_key) })).status).toBe(200);

    const approved = await hubB.post(`${page(b)}/${id}/approve`);
    expect(approved.status).toBe(303);
    expect(approved.location).toBe(`${page(b)}?approved=${id}`);
    const after = await hubB.follow(approved);
    expect(after.html).toContain(`Request ${id} approved`);
    expect(after.html).not.toContain(`aria-label="Approve ${id}"`);
    const client = await t.get(`/api/v2/partners/${b.partner_id}/clients/${a.client_id}`, { headers: partnerKey(b.partner_api_key) });
    expect(client.status).toBe(200);
    expect(client.body.partner_id).toBe(b.partner_id);
    // Approving twice: a conflict, not a second move.
    expect((await hubB.post(`${page(b)}/${id}/approve`)).status).toBe(409);
  });

  it('the auto-approve switch is the Partner API setting', async () => {
    const setting = async () => (await t.get(`/api/v2/partners/${b.partner_id}/settings/partner_change_request`, { headers: partnerKey(b.partner_api_key) })).body;
    await hubB.get(page(b));
    const on = await hubB.post(`${page(b)}/settings`, { auto_approve: 'on' });
    expect(on.status).toBe(303);
    expect(await setting()).toEqual({ auto_approve: true });
    expect((await hubB.follow(on)).html).toMatch(/id="auto-approve" value="on" checked/);
    expect((await hubB.post(`${page(b)}/settings`, {})).status).toBe(303);
    expect(await setting()).toEqual({ auto_approve: false });
    expect((await hubA.post(`${page(b)}/settings`, { auto_approve: 'on' })).status).toBe(403);
    expect(await setting()).toEqual({ auto_approve: false });
  });
});
