// Meta refuses an authentication template addressed by business-scoped user ID (BSUID): one-time
// passwords go to phone numbers only. The answer is error 131062, "Business-scoped User ID (BSUID)
// recipients are not supported for this message.", at once (a 400), nothing sent; in the
// On-Premise format on /v1/messages, where a BSUID comes back in `to`. Every other template goes
// to a BSUID, and an authentication template to the number, also when the body names both.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { ManualClock } from '../../src/clock.ts';
import { sandboxBsuid } from '../../src/network/bsuid.ts';
import { REVIEW_MS } from './templates-fixtures.ts';
import { wabaNamespaceOf } from './send-fixtures.ts';

const ADMIN = 'd'.repeat(32);
const HIDDEN = '4917612360001';
const NAMED = '4917612360002';
const TITLE = 'Business-scoped User ID (BSUID) recipients are not supported for this message.';

const auth = (name: string, otp: Record<string, unknown>) => ({
  name,
  category: 'AUTHENTICATION',
  language: 'en_US',
  components: [
    { type: 'BODY', add_security_recommendation: true },
    { type: 'FOOTER', code_expiration_minutes: 5 },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', ...otp }] },
  ],
});
const TEMPLATES = [
  auth('otp_copy', { otp_type: 'COPY_CODE', text: 'Copy code' }),
  auth('otp_one_tap', { otp_type: 'ONE_TAP', text: 'Copy code', autofill_text: 'Autofill', package_name: 'com.example.luckyshrub', signature_hash: 'K8a/AINcGX7' }),
  auth('otp_zero_tap', {
    otp_type: 'ZERO_TAP',
    text: 'Copy code',
    autofill_text: 'Autofill',
    zero_tap_terms_accepted: true,
    supported_apps: [{ package_name: 'com.example.luckyshrub', signature_hash: 'K8a/AINcGX7' }],
  }),
  { name: 'order_shipped', category: 'UTILITY', language: 'en_US', components: [{ type: 'BODY', text: 'Your order {{1}} has shipped.', example: { body_text: [['#1']] } }] },
  { name: 'spring_sale', category: 'MARKETING', language: 'en_US', components: [{ type: 'BODY', text: 'Spring sale: {{1}} off!', example: { body_text: [['10%']] } }] },
];

const code = (c = '123456') => [
  { type: 'body', parameters: [{ type: 'text', text: c }] },
  { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: c }] },
];
const oneParam = (text: string) => [{ type: 'body', parameters: [{ type: 'text', text }] }];
const template = (name: string, components: unknown[]) => ({ type: 'template', template: { name, language: { code: 'en_US' }, components } });

describeEachDb('authentication templates cannot be sent to a BSUID (131062)', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let onprem: Record<string, string>;
  let namespace: string;
  const clock = new ManualClock(new Date('2026-05-04T09:00:00.000Z'));
  const key = () => ({ 'D360-API-KEY': a.channel_api_key });
  const bsuid = (waId: string) => sandboxBsuid(t.deps.config.secretKey, a.partner_id, waId);
  const cloudSend = (json: Record<string, unknown>) => t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', ...json } });
  const onpremTemplate = (to: string, name: string, components: unknown[]) =>
    t.post('/v1/messages', { headers: onprem, json: { to, type: 'template', template: { namespace, name, language: { policy: 'deterministic', code: 'en_US' }, components } } });
  const storedCount = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('direction', '=', 'outbound').executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SECRET_KEY: 'e'.repeat(64) } });
    // Template reviews run when the test moves the clock.
    await t.jobs!.stop();
    a = await t.tenant();
    const ch = await t.post(`/admin/partners/${a.partner_id}/clients/${a.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930111100077', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${a.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(a.partner_api_key) });
    expect(k.status, k.text).toBe(201);
    onprem = { 'D360-API-KEY': k.body.api_key as string };
    namespace = await wabaNamespaceOf(t, a);
    for (const json of TEMPLATES) {
      const res = await t.post('/message_templates', { headers: key(), json });
      expect(res.status, `${json.name}: ${res.text}`).toBe(200);
    }
    clock.advance(REVIEW_MS + 1);
    await t.jobs!.runDue();
    // One user hides their number behind a username, one shows it; each writes first (the window).
    expect((await t.post(`/sandbox/v1/users/${HIDDEN}`, { headers: key(), json: { username: 'otp_hidden', hide_number: true } })).status).toBe(200);
    expect((await t.post(`/sandbox/v1/users/${NAMED}`, { headers: key(), json: { username: 'otp_named' } })).status).toBe(200);
    for (const from of [HIDDEN, NAMED]) {
      expect((await t.post('/sandbox/v1/inbound', { headers: key(), json: { from, name: 'Jo', type: 'text', text: { body: 'hi' } } })).status).toBe(200);
    }
  });
  afterAll(async () => t?.close());

  it('Cloud: each kind of authentication template to a `recipient` BSUID is 131062, in Meta’s body, and nothing is sent', async () => {
    const before = await storedCount();
    for (const name of ['otp_copy', 'otp_one_tap', 'otp_zero_tap']) {
      const res = await cloudSend({ recipient: bsuid(HIDDEN), ...template(name, code()) });
      expect(res.status, `${name}: ${res.text}`).toBe(400);
      expect(res.body).toEqual({
        error: {
          message: `(#131062) ${TITLE}`,
          type: 'OAuthException',
          code: 131062,
          error_data: { messaging_product: 'whatsapp', details: expect.stringContaining(`template ${name} is an authentication template`) },
          fbtrace_id: expect.any(String),
        },
      });
      expect(res.body.error.error_data.details).toContain(bsuid(HIDDEN));
      expect(res.body.error.error_data.details).toContain('phone number');
      // The refusal does not give the hidden number away.
      expect(res.text).not.toContain(HIDDEN);
    }
    // A user who shows their number, and a BSUID no simulated user has: the same refusal (it is the address, not the user).
    for (const userId of [bsuid(NAMED), 'US.13491208655302741918', 'US.ENT.11815799212886844830']) {
      const res = await cloudSend({ recipient: userId, ...template('otp_copy', code()) });
      expect(res.status, userId).toBe(400);
      expect(res.body.error.code).toBe(131062);
    }
    expect(await storedCount()).toBe(before);
  });

  it('the template is found first: an unknown one to a BSUID is still 132001; a bad parameter count of an authentication one is 131062', async () => {
    const unknown = await cloudSend({ recipient: bsuid(HIDDEN), ...template('no_such_otp', code()) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe(132001);
    // The recipient rules the message out whatever its parameters.
    const noButton = await cloudSend({ recipient: bsuid(HIDDEN), ...template('otp_copy', oneParam('123456')) });
    expect(noButton.status).toBe(400);
    expect(noButton.body.error.code).toBe(131062);
  });

  it('Cloud: utility and marketing templates go to the BSUID; an authentication template goes to the number, also when `recipient` is given beside `to`', async () => {
    for (const [name, params] of [['order_shipped', oneParam('#42')], ['spring_sale', oneParam('20%')]] as const) {
      const res = await cloudSend({ recipient: bsuid(HIDDEN), ...template(name, params) });
      expect(res.status, `${name}: ${res.text}`).toBe(200);
      expect(res.body.contacts).toEqual([{ input: bsuid(HIDDEN), user_id: bsuid(HIDDEN) }]);
    }
    const byNumber = await cloudSend({ to: NAMED, ...template('otp_copy', code()) });
    expect(byNumber.status, byNumber.text).toBe(200);
    expect(byNumber.body.contacts).toEqual([{ input: NAMED, wa_id: NAMED }]);
    // `to` takes precedence over `recipient`: a send to the number.
    const both = await cloudSend({ to: NAMED, recipient: bsuid(NAMED), ...template('otp_zero_tap', code('654321')) });
    expect(both.status, both.text).toBe(200);
    expect(both.body.contacts).toEqual([{ input: NAMED, wa_id: NAMED }]);
    const row = await t.deps.db.kysely.selectFrom('messages').select(['wa_id', 'category', 'template_name']).where('id', '=', both.body.messages[0].id).executeTakeFirstOrThrow();
    expect(row).toEqual({ wa_id: NAMED, category: 'authentication', template_name: 'otp_zero_tap' });
  });

  it('On-Premise: an authentication template to the BSUID in `to` is 131062 in the On-Premise format; to the number it is 201', async () => {
    const before = await storedCount();
    const res = await onpremTemplate(bsuid(HIDDEN), 'otp_copy', code());
    expect(res.status, res.text).toBe(400);
    expect(res.body).toEqual({
      errors: [{ code: 131062, title: TITLE, details: expect.stringContaining('template otp_copy is an authentication template'), href: expect.stringMatching(/^https:\/\//) }],
      meta: { api_status: 'stable', version: expect.any(String) },
    });
    expect(res.text).not.toContain(HIDDEN);
    expect(await storedCount()).toBe(before);
    const utility = await onpremTemplate(bsuid(HIDDEN), 'order_shipped', oneParam('#7'));
    expect(utility.status, utility.text).toBe(201);
    const byNumber = await onpremTemplate(NAMED, 'otp_one_tap', code());
    expect(byNumber.status, byNumber.text).toBe(201);
    expect(byNumber.body.contacts).toEqual([{ input: NAMED, wa_id: NAMED }]);
  });

  it('a Cloud body on /v1/messages with a BSUID in `to` is refused the same way, in the On-Premise format', async () => {
    const res = await t.post('/v1/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: bsuid(HIDDEN), ...template('otp_copy', code()) } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code: 131062, title: TITLE });
  });
});
