// The client's own "Change partner" page (as 360dialog's Client Hub): a client user logged in on its
// partner's onboarding pages sees its numbers, asks to move to another partner by that partner's id
// (all numbers or the ones ticked), sees the request's status, and may withdraw it while pending.
// Plain HTML forms with the session's CSRF token, walked here without JavaScript (a cookie-keeping
// HTTP client, as onboarding-flow.test.ts). After a move the client's users log in on the new
// partner's pages and see their numbers there; a login e-mail the new partner already has is
// refused (when asked) or fails the request (when it appears before the approval). A client user
// never sees, nor withdraws, another client's request.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { addNumber, onboard, OnboardingClient } from './web/onboarding-client.ts';

const ADMIN = 'pcr-client-admin-token-'.padEnd(32, 'q');
const REDIRECT = 'https://partner.example/back';

describeEachDb('partner change requests: the client’s page', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let c: BootstrapResult;
  const key = (p: BootstrapResult) => partnerKey(p.partner_api_key);
  const pcrs = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/selective_partner_change_requests`;
  const page = (p: BootstrapResult) => `/dashboard/app/${p.partner_id}/partner-change`;
  const userRow = (email: string, partnerId: string) =>
    t.deps.db.kysely.selectFrom('onboarding_users').selectAll().where('email', '=', email).where('partner_id', '=', partnerId).executeTakeFirst();
  const channelsOf = (clientId: string) => t.deps.db.kysely.selectFrom('channels').select(['id', 'partner_id', 'client_id']).where('client_id', '=', clientId).orderBy('id').execute();
  const pcrCount = async () => Number((await t.deps.db.kysely.selectFrom('partner_change_requests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  /** A client of A: signed up and onboarded with one number (logged in on the returned client). */
  async function clientOfA(email: string, number: string): Promise<{ web: OnboardingClient; clientId: string; channelId: string }> {
    const web = new OnboardingClient(t.baseUrl);
    const done = await onboard(web, a.partner_id, { name: `User ${email}`, email, password: 'secret-pass-1', number });
    expect(done.status).toBe(303);
    const u = (await userRow(email, a.partner_id))!;
    return { web, clientId: u.client_id!, channelId: /channels=\[([A-Za-z0-9]+)\]/.exec(done.location!)![1]! };
  }

  /** Logs in on partner p's pages; the page shown after the login. */
  async function loginAt(p: BootstrapResult, email: string, password = 'secret-pass-1') {
    const web = new OnboardingClient(t.baseUrl);
    expect((await web.get(`/dashboard/app/${p.partner_id}?next=login`)).status).toBe(200);
    return { web, page: await web.post(`/dashboard/app/${p.partner_id}/login`, { email, password }) };
  }

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_ONBOARDING_SETUP_DELAY: '100ms' } });
    a = await t.tenant({ brandName: 'Old Partner' });
    b = await t.tenant({ brandName: 'New Partner' });
    c = await t.tenant({ brandName: 'Auto Partner' });
    for (const p of [a, b, c]) {
      const res = await t.patch(`/api/v2/partners/${p.partner_id}`, { headers: key(p), json: { partner_redirect_url: REDIRECT, allow_client_to_add_phone_no: true } });
      expect(res.status, res.text).toBe(200);
    }
    expect((await t.patch(`/api/v2/partners/${c.partner_id}/settings/partner_change_request`, { headers: key(c), json: { auto_approve: true } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('asks to log in first; shows the numbers and the form; refuses a post without the session’s token', async () => {
    const anonymous = new OnboardingClient(t.baseUrl);
    await anonymous.get(`/dashboard/app/${a.partner_id}`);
    const away = await anonymous.send('GET', page(a));
    expect(away.status).toBe(303);
    expect(away.location).toBe(`/dashboard/app/${a.partner_id}/onboarding?form=login`);

    const jane = await clientOfA('jane@pcr.example', '4915100000001');
    const numbers = await jane.web.get(`/dashboard/app/${a.partner_id}/onboarding`);
    expect(numbers.html).toContain(`href="/dashboard/app/${a.partner_id}/partner-change"`);
    const shown = await jane.web.get(page(a));
    expect(shown.status).toBe(200);
    expect(shown.html).toContain('+4915100000001');
    expect(shown.html).toContain(`name="channel_ids" value="${jane.channelId}"`);
    expect(shown.html).toContain('name="new_partner_id"');
    expect(shown.html).toContain('id="pcr-none"');

    const before = await pcrCount();
    expect((await jane.web.postRaw(page(a), { new_partner_id: b.partner_id })).status).toBe(403);
    expect((await jane.web.postRaw(page(a), { _csrf: 'x'.repeat(43), new_partner_id: b.partner_id })).status).toBe(403);
    expect(await pcrCount()).toBe(before);
  });

  it('refuses a bad partner id, the own partner, no numbers ticked and a number that is not the client’s, with clear errors', async () => {
    const tom = await clientOfA('tom@pcr.example', '4915100000002');
    const before = await pcrCount();
    const cases: [Record<string, string>, number, string][] = [
      [{ new_partner_id: 'not an id!' }, 400, 'Enter the partner id of your new partner'],
      [{ new_partner_id: 'UnknownPA' }, 400, 'There is no partner with the id UnknownPA'],
      [{ new_partner_id: a.partner_id }, 400, 'Your numbers are already with Old Partner'],
      [{ new_partner_id: b.partner_id, scope: 'selected' }, 400, 'Tick the numbers to move'],
      // Another partner's number (B's bootstrap channel): not this client's, named as typed.
      [{ new_partner_id: b.partner_id, scope: 'selected', channel_ids: b.channel_id }, 400, `${b.channel_id} is not one of your numbers`],
    ];
    for (const [form, status, text] of cases) {
      const res = await tom.web.post(page(a), form);
      expect(res.status, JSON.stringify(form)).toBe(status);
      expect(res.html).toContain(text);
      expect(res.html).toContain('id="form-error"');
    }
    // The typed id is kept in the form, and escaped.
    expect((await tom.web.post(page(a), { new_partner_id: '<b>x</b>' })).html).toContain('value="&lt;b&gt;x&lt;/b&gt;"');
    expect(await pcrCount()).toBe(before);
  });

  it('asks for the whole client to move; B sees it; one pending request at a time; another client sees and withdraws nothing of it', async () => {
    const jane = await loginAt(a, 'jane@pcr.example');
    const janeClient = (await userRow('jane@pcr.example', a.partner_id))!.client_id!;
    const sent = await jane.web.send('POST', page(a), { _csrf: jane.web.csrf!, new_partner_id: b.partner_id, scope: 'all' });
    expect(sent.status).toBe(303);
    const id = /requested=([A-Za-z0-9]+PCR)$/.exec(sent.location!)![1]!;
    const shown = await jane.web.get(sent.location!);
    expect(shown.html).toContain(`Request ${id} sent`);
    expect(shown.html).toMatch(new RegExp(`data-pcr-id="${id}" data-pcr-status="pending"`));
    expect(shown.html).toContain(`aria-label="Withdraw request ${id}"`);
    expect(shown.html).toContain('New Partner (' + b.partner_id + ')');
    // No second form while one is pending; a post anyway is refused, clearly.
    expect(shown.html).toContain('id="pcr-open"');
    expect(shown.html).not.toContain('id="pcr-form"');
    const again = await jane.web.post(page(a), { new_partner_id: c.partner_id });
    expect(again.status).toBe(409);
    expect(again.html).toContain('You already have a pending partner change request');

    const listed = await t.get(`${pcrs(b)}/${id}`, { headers: key(b) });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ status: 'pending', client_id: janeClient, is_full_migration: true, created_by: { user_name: 'jane@pcr.example' } });

    // Tom, another client of the same partner: not on his page, not his to withdraw.
    const tom = await loginAt(a, 'tom@pcr.example');
    expect((await tom.web.get(page(a))).html).not.toContain(id);
    const foreign = await tom.web.post(`${page(a)}/${id}/cancel`);
    expect(foreign.status).toBe(404);
    expect(foreign.html).toContain(`You have no partner change request ${id}`);
    expect((await t.get(`${pcrs(b)}/${id}`, { headers: key(b) })).body.status).toBe('pending');
    // Nor without the session's token.
    expect((await jane.web.postRaw(`${page(a)}/${id}/cancel`, {})).status).toBe(403);
    expect((await t.get(`${pcrs(b)}/${id}`, { headers: key(b) })).body.status).toBe('pending');
  });

  it('withdraws the pending request: cancelled, B is told, and B’s approval is a 409 that moves nothing', async () => {
    const jane = await loginAt(a, 'jane@pcr.example');
    const [open] = (await t.get(pcrs(b), { headers: key(b), query: { filters: '{"status":"pending"}' } })).body.partner_change_requests as { id: string }[];
    const id = open!.id;
    const withdrawn = await jane.web.send('POST', `${page(a)}/${id}/cancel`, { _csrf: jane.web.csrf! });
    expect(withdrawn.status).toBe(303);
    const shown = await jane.web.get(withdrawn.location!);
    expect(shown.html).toContain(`Request ${id} withdrawn.`);
    expect(shown.html).toMatch(new RegExp(`data-pcr-id="${id}" data-pcr-status="cancelled"`));
    expect(shown.html).not.toContain(`aria-label="Withdraw request ${id}"`);
    expect(shown.html).toContain('id="pcr-form"');

    const one = await t.get(`${pcrs(b)}/${id}`, { headers: key(b) });
    expect(one.body.status).toBe('cancelled');
    const events = await t.get(`/api/v2/partners/${b.partner_id}/webhook_events`, { headers: key(b), query: { filters: JSON.stringify({ event_type: 'partner_change_request_cancelled' }) } });
    expect(events.body.webhook_events.map((e: { payload: { data: { id: string } } }) => e.payload.data.id)).toContain(id);
    expectPartnerError(await t.post(`${pcrs(b)}/${id}/approve`, { headers: key(b) }), 409, 'cancelled');
    const janeClient = (await userRow('jane@pcr.example', a.partner_id))!.client_id!;
    expect((await channelsOf(janeClient)).every((ch) => ch.partner_id === a.partner_id)).toBe(true);
    // Withdrawn once: again is a 409 on the page.
    const twice = await jane.web.post(`${page(a)}/${id}/cancel`);
    expect(twice.status).toBe(409);
    expect(twice.html).toContain('not pending');
  });

  it('after B approves, the client’s user logs in on B’s pages and sees the numbers there; A’s page says where they went', async () => {
    const jane = await loginAt(a, 'jane@pcr.example');
    const sent = await jane.web.post(page(a), { new_partner_id: b.partner_id });
    expect(sent.status).toBe(200);
    const id = /Request ([A-Za-z0-9]+PCR) sent/.exec(sent.html)![1]!;
    const approved = await t.post(`${pcrs(b)}/${id}/approve`, { headers: key(b) });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.status).toBe('completed');

    // The session on A's pages: the account is now B's.
    const moved = await jane.web.get(page(a));
    expect(moved.status).toBe(200);
    expect(moved.html).toContain('id="pcr-moved"');
    expect(moved.html).toContain(`href="/dashboard/app/${b.partner_id}?next=login&amp;email=jane%40pcr.example"`);
    // A no longer knows the login; B does, with the same password, and shows the number.
    expect((await loginAt(a, 'jane@pcr.example')).page.status).toBe(401);
    const atB = await loginAt(b, 'jane@pcr.example');
    expect(atB.page.status).toBe(200);
    expect(atB.page.html).toContain('Your WhatsApp numbers');
    expect(atB.page.html).toContain('+4915100000001');
    // Its page on B shows the completed request (no withdrawal), and a new form.
    const there = await atB.web.get(page(b));
    expect(there.html).toMatch(new RegExp(`data-pcr-id="${id}" data-pcr-status="completed"`));
    expect(there.html).not.toContain(`aria-label="Withdraw request ${id}"`);
  });

  it('a selective move (some numbers) to a partner with auto-approval: completed at once; the user keeps the rest on A and sees the moved one on C', async () => {
    const sam = await clientOfA('sam@pcr.example', '4915100000011');
    const clientId = (await userRow('sam@pcr.example', a.partner_id))!.client_id!;
    expect((await t.patch(`/api/v2/partners/${a.partner_id}/clients/${clientId}`, { headers: key(a), json: { max_channels: 2 } })).status).toBe(200);
    await sam.web.get(`/dashboard/app/${a.partner_id}/onboarding`);
    expect((await sam.web.post(`/dashboard/app/${a.partner_id}/add-number`)).status).toBe(200);
    expect((await addNumber(sam.web, a.partner_id, { number: '4915100000012', displayName: 'Sam Two' })).status).toBe(303);
    const second = (await channelsOf(clientId)).map((ch) => ch.id).find((x) => x !== sam.channelId)!;

    const form = await sam.web.get(page(a));
    expect(form.html).toContain(`value="${second}"`);
    const done = await sam.web.post(page(a), { new_partner_id: c.partner_id, scope: 'selected', channel_ids: second });
    expect(done.status).toBe(200);
    expect(done.html).toMatch(/Request [A-Za-z0-9]+PCR done: the numbers moved to partner/);
    expect(done.html).toMatch(/data-pcr-status="completed"/);
    // Still Sam's on A, with the number that stayed.
    expect(done.html).toContain('+4915100000011');
    expect(done.html).not.toContain('+4915100000012');

    const atC = await loginAt(c, 'sam@pcr.example');
    expect(atC.page.status).toBe(200);
    expect(atC.page.html).toContain('+4915100000012');
    expect(atC.page.html).not.toContain('+4915100000011');
    expect((await loginAt(a, 'sam@pcr.example')).page.html).toContain('+4915100000011');
  });

  it('a login e-mail the new partner already has: refused when asked; failed (nothing moved) when it appears before the approval', async () => {
    const lee = await clientOfA('lee@pcr.example', '4915100000021');
    const leeClient = (await userRow('lee@pcr.example', a.partner_id))!.client_id!;
    // Someone signs up on B's pages with Lee's e-mail.
    const other = new OnboardingClient(t.baseUrl);
    await other.get(`/dashboard/app/${b.partner_id}`);
    expect((await other.post(`/dashboard/app/${b.partner_id}/signup`, { name: 'Not Lee', email: 'lee@pcr.example', password: 'other-pass-1' })).status).toBe(200);
    const before = await pcrCount();
    const refused = await lee.web.post(page(a), { new_partner_id: b.partner_id });
    expect(refused.status).toBe(409);
    expect(refused.html).toContain(`Partner ${b.partner_id} already has an account with the e-mail lee@pcr.example`);
    expect(await pcrCount()).toBe(before);

    // A request made before the clash, approved after it: failed with the reason, nothing moved.
    const kim = await clientOfA('kim@pcr.example', '4915100000022');
    const kimClient = (await userRow('kim@pcr.example', a.partner_id))!.client_id!;
    const sent = await kim.web.post(page(a), { new_partner_id: b.partner_id });
    const id = /Request ([A-Za-z0-9]+PCR) sent/.exec(sent.html)![1]!;
    const late = new OnboardingClient(t.baseUrl);
    await late.get(`/dashboard/app/${b.partner_id}`);
    expect((await late.post(`/dashboard/app/${b.partner_id}/signup`, { name: 'Not Kim', email: 'kim@pcr.example', password: 'other-pass-1' })).status).toBe(200);
    const approved = await t.post(`${pcrs(b)}/${id}/approve`, { headers: key(b) });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'failed', failure_reason: expect.stringContaining('kim@pcr.example') });
    expect((await channelsOf(kimClient)).every((ch) => ch.partner_id === a.partner_id)).toBe(true);
    expect((await userRow('kim@pcr.example', a.partner_id))!.client_id).toBe(kimClient);
    // Kim's page shows the failure and its reason; she can ask again (to another partner).
    const shown = await kim.web.get(page(a));
    expect(shown.html).toMatch(new RegExp(`data-pcr-id="${id}" data-pcr-status="failed"`));
    expect(shown.html).toContain('Failed: Partner ' + b.partner_id + ' already has an account with the e-mail kim@pcr.example');
    expect(shown.html).toContain('id="pcr-form"');
    expect(leeClient).not.toBe(kimClient);
  });

  it('documents cancelled in the Partner API’s status, and the operator withdraws on the admin API', async () => {
    const doc = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
    const schema = JSON.stringify(doc.paths['/api/v2/partners/{partner_id}/selective_partner_change_requests/{pcr_id}']!.get!.responses['200']);
    expect(schema).toContain('"cancelled"');
    expect(doc.paths['/admin/partner_change_requests/{pcr_id}/cancel']!.post).toBeDefined();

    const admin = { authorization: `Bearer ${ADMIN}` };
    const d = await t.tenant();
    const made = await t.post(`/admin/clients/${d.client_id}/partner_change_requests`, { headers: admin, json: { new_partner_id: b.partner_id } });
    expect(made.status).toBe(201);
    expectPartnerError(await t.post(`/admin/partner_change_requests/${made.body.id}/cancel`, {}), 401);
    const cancelled = await t.post(`/admin/partner_change_requests/${made.body.id}/cancel`, { headers: admin });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body).toMatchObject({ id: made.body.id, status: 'cancelled' });
    expectPartnerError(await t.post(`/admin/partner_change_requests/${made.body.id}/cancel`, { headers: admin }), 409);
    expectPartnerError(await t.post(`/admin/partner_change_requests/unknownPCR/cancel`, { headers: admin }), 404);
    // A new request is allowed once the old one is withdrawn.
    expect((await t.post(`/admin/clients/${d.client_id}/partner_change_requests`, { headers: admin, json: { new_partner_id: b.partner_id } })).status).toBe(201);
  });
});
