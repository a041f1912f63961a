// The operator manages the onboarding pages' login users: `openwaba onboarding-users list|rename|
// remove` (real processes on the app's database) and /admin/onboarding_users. The story: a client
// of partner A asks to move to B, but B already has an account with the client's login e-mail; the
// refusal names the e-mail and the way out; the operator renames (or removes) B's account, and the
// change goes through. A removed user is logged out and cannot log in again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { killAll, runCli } from './helpers/processes.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { onboard, OnboardingClient } from './web/onboarding-client.ts';

const ADMIN = 'onboarding-users-admin-token-'.padEnd(40, 'u');
const REDIRECT = 'https://partner.example/back';
const USER_KEYS = ['client_id', 'created_at', 'email', 'id', 'name', 'partner_id'];

afterAll(() => killAll());

describeEachDb('onboarding users: the operator’s commands and admin API', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let env: Record<string, string>;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const pcrs = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/selective_partner_change_requests`;
  const userRow = (email: string, partnerId: string) =>
    t.deps.db.kysely.selectFrom('onboarding_users').selectAll().where('email', '=', email).where('partner_id', '=', partnerId).executeTakeFirst();
  const sessionsOf = async (userId: string) =>
    (await t.deps.db.kysely.selectFrom('web_sessions').select('subject').where('kind', '=', 'onboarding').execute()).filter((s) => JSON.parse(s.subject).userId === userId).length;

  /** A client of A: signed up and onboarded with one number; its client id. */
  async function clientOfA(email: string, number: string): Promise<string> {
    const web = new OnboardingClient(t.baseUrl);
    expect((await onboard(web, a.partner_id, { name: `Client ${email}`, email, password: 'client-pass-1', number })).status).toBe(303);
    return (await userRow(email, a.partner_id))!.client_id!;
  }
  /** Someone signs up on p's pages (and stays logged in there); the browser and the user's id. */
  async function signUpAt(p: BootstrapResult, email: string, password = 'other-pass-1'): Promise<{ web: OnboardingClient; id: string }> {
    const web = new OnboardingClient(t.baseUrl);
    await web.get(`/dashboard/app/${p.partner_id}`);
    expect((await web.post(`/dashboard/app/${p.partner_id}/signup`, { name: `Someone ${email}`, email, password })).status).toBe(200);
    return { web, id: (await userRow(email, p.partner_id))!.id };
  }
  /** Logs in on p's pages; the page shown after the login. */
  async function loginAt(p: BootstrapResult, email: string, password: string) {
    const web = new OnboardingClient(t.baseUrl);
    await web.get(`/dashboard/app/${p.partner_id}?next=login`);
    return web.post(`/dashboard/app/${p.partner_id}/login`, { email, password });
  }
  /** The logged-in browser still has its session (the step page), or is sent back to the start. */
  const stillLoggedIn = async (web: OnboardingClient, p: BootstrapResult) => (await web.send('GET', `/dashboard/app/${p.partner_id}/onboarding`)).status === 200;
  const approve = (id: string) => t.post(`${pcrs(b)}/${id}/approve`, { headers: partnerKey(b.partner_api_key) });
  const cli = (...args: string[]) => runCli(['onboarding-users', ...args], env);

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_ONBOARDING_SETUP_DELAY: '100ms' } });
    env = { DATABASE_URL: t.database.url };
    a = await t.tenant({ brandName: 'Old Partner' });
    b = await t.tenant({ brandName: 'New Partner' });
    for (const p of [a, b]) {
      const res = await t.patch(`/api/v2/partners/${p.partner_id}`, { headers: partnerKey(p.partner_api_key), json: { partner_redirect_url: REDIRECT, allow_client_to_add_phone_no: true } });
      expect(res.status, res.text).toBe(200);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('CLI: a clash refused with the way out; list finds the account; rename refuses bad and taken e-mails, then the change goes through', async () => {
    const janeClient = await clientOfA('jane@obu.example', '4915200000001');
    const clash = await signUpAt(b, 'jane@obu.example');
    const taken = await signUpAt(b, 'taken@obu.example');

    const refused = await t.post(`/admin/clients/${janeClient}/partner_change_requests`, { headers: admin, json: { new_partner_id: b.partner_id } });
    // The existing wording, then the operator's way out naming the e-mail and the commands.
    expectPartnerError(refused, 409, `Partner ${b.partner_id} already has an account with the e-mail jane@obu.example, so your login could not move`);
    expect(refused.body.meta.developer_message).toContain(`openwaba onboarding-users list --partner ${b.partner_id} --email jane@obu.example`);
    expect(refused.body.meta.developer_message).toMatch(/openwaba onboarding-users rename <user-id> --email .*openwaba onboarding-users remove <user-id>/);

    const [byEmail, byClient, byPartner] = await Promise.all([
      cli('list', '--partner', b.partner_id, '--email', 'JANE@obu.example'),
      cli('list', '--client', janeClient),
      cli('list', '--partner', b.partner_id),
    ]);
    for (const r of [byEmail, byClient, byPartner]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/password|scrypt/i);
    }
    const found = JSON.parse(byEmail.stdout) as Record<string, unknown>[];
    expect(found).toHaveLength(1);
    expect(Object.keys(found[0]!).sort()).toEqual(USER_KEYS);
    expect(found[0]).toMatchObject({ id: clash.id, partner_id: b.partner_id, client_id: null, email: 'jane@obu.example', created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(JSON.parse(byClient.stdout)).toMatchObject([{ partner_id: a.partner_id, client_id: janeClient, email: 'jane@obu.example' }]);
    expect((JSON.parse(byPartner.stdout) as { id: string }[]).map((u) => u.id).sort()).toEqual([clash.id, taken.id].sort());

    // Refusals: one line, exit code 2, nothing changed.
    const cases: [string[], RegExp][] = [
      [['rename', clash.id, '--email', 'TAKEN@obu.example'], new RegExp(`Partner ${b.partner_id} already has an onboarding user with the e-mail taken@obu.example`)],
      [['rename', clash.id, '--email', 'not-an-email'], /"not-an-email" is not a valid e-mail address/],
      [['rename', 'obu_nope', '--email', 'new@obu.example'], /Onboarding user obu_nope not found/],
      [['remove', 'obu_nope'], /Onboarding user obu_nope not found/],
      [['list', '--limit', '0'], /--limit must be a whole number from 1 to 1000/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(...args)));
    results.forEach((r, i) => {
      expect(r.code, `${cases[i]![0].join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    });
    expect((await userRow('jane@obu.example', b.partner_id))?.id).toBe(clash.id);

    const renamed = await cli('rename', clash.id, '--email', 'Someone.Else@obu.example');
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(JSON.parse(renamed.stdout)).toMatchObject({ id: clash.id, partner_id: b.partner_id, email: 'someone.else@obu.example' });
    expect(renamed.stdout).not.toMatch(/password|scrypt/i);
    // The renamed user keeps its password and session, and logs in with the new e-mail only.
    expect(await stillLoggedIn(clash.web, b)).toBe(true);
    expect((await loginAt(b, 'someone.else@obu.example', 'other-pass-1')).status).toBe(200);
    expect((await loginAt(b, 'jane@obu.example', 'other-pass-1')).status).toBe(401);

    // The change that was refused now goes through: Jane's login moves with her numbers.
    const made = await t.post(`/admin/clients/${janeClient}/partner_change_requests`, { headers: admin, json: { new_partner_id: b.partner_id } });
    expect(made.status, made.text).toBe(201);
    const approved = await approve(made.body.id);
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body).toMatchObject({ status: 'completed', failure_reason: null });
    const atB = await loginAt(b, 'jane@obu.example', 'client-pass-1');
    expect(atB.status).toBe(200);
    expect(atB.html).toContain('+4915200000001');
  }, 180_000);

  it('CLI: a clash appearing before the approval fails it with the way out; remove logs the account out for good; then the change goes through', async () => {
    const kimClient = await clientOfA('kim@obu.example', '4915200000002');
    const made = await t.post(`/admin/clients/${kimClient}/partner_change_requests`, { headers: admin, json: { new_partner_id: b.partner_id } });
    expect(made.status, made.text).toBe(201);
    const late = await signUpAt(b, 'kim@obu.example');
    const failed = await approve(made.body.id);
    expect(failed.status).toBe(200);
    expect(failed.body.status).toBe('failed');
    expect(failed.body.failure_reason).toContain(`Partner ${b.partner_id} already has an account with the e-mail kim@obu.example`);
    expect(failed.body.failure_reason).toContain(`openwaba onboarding-users list --partner ${b.partner_id} --email kim@obu.example`);
    expect(failed.body.failure_reason).toContain('openwaba onboarding-users remove <user-id>');

    expect(await stillLoggedIn(late.web, b)).toBe(true);
    expect(await sessionsOf(late.id)).toBeGreaterThan(0);
    const removed = await cli('remove', late.id);
    expect(removed.code, removed.stderr).toBe(0);
    const out = JSON.parse(removed.stdout) as { removed: Record<string, unknown>; sessions_ended: number };
    expect(out.removed).toMatchObject({ id: late.id, partner_id: b.partner_id, email: 'kim@obu.example' });
    expect(out.sessions_ended).toBeGreaterThanOrEqual(1);
    expect(removed.stdout).not.toMatch(/password|scrypt/i);
    // Gone, with its sessions: the open browser is logged out, and the password opens nothing.
    expect(await userRow('kim@obu.example', b.partner_id)).toBeUndefined();
    expect(await sessionsOf(late.id)).toBe(0);
    expect(await stillLoggedIn(late.web, b)).toBe(false);
    expect((await loginAt(b, 'kim@obu.example', 'other-pass-1')).status).toBe(401);
    // Kim's own account (A's) is untouched.
    expect((await userRow('kim@obu.example', a.partner_id))?.client_id).toBe(kimClient);

    const again = await t.post(`/admin/clients/${kimClient}/partner_change_requests`, { headers: admin, json: { new_partner_id: b.partner_id } });
    expect(again.status, again.text).toBe(201);
    expect((await approve(again.body.id)).body).toMatchObject({ status: 'completed' });
    expect((await loginAt(b, 'kim@obu.example', 'client-pass-1')).html).toContain('+4915200000002');
  }, 180_000);

  it('admin API: list with filters, rename (400, 404, 409, 200), remove (404, 200: logged out, no login); the admin token is required', async () => {
    const leeClient = await clientOfA('lee@obu.example', '4915200000003');
    const clash = await signUpAt(b, 'lee@obu.example');
    const other = await signUpAt(b, 'other@obu.example');
    const spare = await signUpAt(b, 'spare@obu.example');

    expectPartnerError(await t.get('/admin/onboarding_users'), 401);
    expectPartnerError(await t.patch(`/admin/onboarding_users/${clash.id}`, { json: { email: 'x@obu.example' } }), 401);
    expectPartnerError(await t.delete(`/admin/onboarding_users/${clash.id}`), 401);
    expect((await userRow('lee@obu.example', b.partner_id))?.id).toBe(clash.id);

    const list = await t.get('/admin/onboarding_users', { headers: admin, query: { partner_id: b.partner_id, email: 'Lee@OBU.example' } });
    expect(list.status, list.text).toBe(200);
    expect(list.body.onboarding_users).toHaveLength(1);
    expect(Object.keys(list.body.onboarding_users[0]).sort()).toEqual(USER_KEYS);
    expect(list.body.onboarding_users[0]).toMatchObject({ id: clash.id, partner_id: b.partner_id, email: 'lee@obu.example', client_id: null });
    expect(list.text).not.toMatch(/password|scrypt/i);
    const ofClient = await t.get('/admin/onboarding_users', { headers: admin, query: { client_id: leeClient } });
    expect(ofClient.body.onboarding_users).toMatchObject([{ partner_id: a.partner_id, client_id: leeClient, email: 'lee@obu.example' }]);
    const limited = await t.get('/admin/onboarding_users', { headers: admin, query: { partner_id: b.partner_id, limit: '2' } });
    expect(limited.body.onboarding_users).toHaveLength(2);
    expectPartnerError(await t.get('/admin/onboarding_users', { headers: admin, query: { limit: '0' } }), 400, 'limit must be a whole number from 1 to 1000');
    expectPartnerError(await t.get('/admin/onboarding_users', { headers: admin, query: { limit: 'all' } }), 400);

    const patch = (id: string, json: unknown) => t.patch(`/admin/onboarding_users/${id}`, { headers: admin, json });
    expectPartnerError(await patch(clash.id, { email: 'no at sign' }), 400, 'is not a valid e-mail address');
    expectPartnerError(await patch(clash.id, { email: 'a@b.c', password: 'x' }), 400);
    expectPartnerError(await patch(clash.id, {}), 400);
    expectPartnerError(await patch('obu_unknown', { email: 'new@obu.example' }), 404, 'Onboarding user obu_unknown not found');
    expectPartnerError(await patch(clash.id, { email: 'OTHER@obu.example' }), 409, `Partner ${b.partner_id} already has an onboarding user with the e-mail other@obu.example`);
    expect((await userRow('lee@obu.example', b.partner_id))?.id).toBe(clash.id);
    // An e-mail another partner has is no clash (unique per partner).
    await signUpAt(a, 'ann@obu.example');
    const renamed = await patch(other.id, { email: 'ann@obu.example' });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toEqual({ id: other.id, partner_id: b.partner_id, client_id: null, name: 'Someone other@obu.example', email: 'ann@obu.example', created_at: expect.any(String) });
    expect((await userRow('ann@obu.example', b.partner_id))?.id).toBe(other.id);
    const own = await patch(spare.id, { email: 'SPARE@obu.example' });
    expect(own.status).toBe(200);
    expect(own.body.email).toBe('spare@obu.example');

    expectPartnerError(await t.delete('/admin/onboarding_users/obu_unknown', { headers: admin }), 404);
    expect(await stillLoggedIn(clash.web, b)).toBe(true);
    const removed = await t.delete(`/admin/onboarding_users/${clash.id}`, { headers: admin });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body).toMatchObject({ removed: { id: clash.id, email: 'lee@obu.example' }, sessions_ended: 1 });
    expect(removed.text).not.toMatch(/password|scrypt/i);
    expect(await stillLoggedIn(clash.web, b)).toBe(false);
    expect((await loginAt(b, 'lee@obu.example', 'other-pass-1')).status).toBe(401);
    expectPartnerError(await t.delete(`/admin/onboarding_users/${clash.id}`, { headers: admin }), 404);
    // Another user's session is not touched.
    expect(await stillLoggedIn(spare.web, b)).toBe(true);

    // Lee's change now goes through.
    const made = await t.post(`/admin/clients/${leeClient}/partner_change_requests`, { headers: admin, json: { new_partner_id: b.partner_id } });
    expect(made.status, made.text).toBe(201);
    expect((await approve(made.body.id)).body).toMatchObject({ status: 'completed' });

    const doc = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/admin/onboarding_users/{user_id}']!).sort()).toEqual(['delete', 'patch']);
    expect(doc.paths['/admin/onboarding_users']!.get).toBeDefined();
  }, 120_000);
});
