import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { utility } from './templates-fixtures.ts';

const ADMIN = 'c'.repeat(32);
const body = (text: string, example?: unknown) => ({ type: 'BODY', text, ...(example ? { example } : {}) });
const tpl = (components: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'bad_one', category: 'MARKETING', language: 'en_US', components, ...extra });
const OK_BODY = body('Hello there');
const buttons = (...list: unknown[]) => ({ type: 'BUTTONS', buttons: list });
const qr = (text = 'Yes') => ({ type: 'QUICK_REPLY', text });
const url = (u: string, example?: string[]) => ({ type: 'URL', text: 'Open', url: u, ...(example ? { example } : {}) });
const otp = { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] };

/** [what, body, text the error details must contain] */
const INVALID: [string, unknown, string][] = [
  ['not an object', [1, 2], 'body: must be a JSON object'],
  ['no name', { category: 'UTILITY', language: 'en', components: [OK_BODY] }, 'name: is required'],
  ['upper-case name', { ...tpl([OK_BODY]), name: 'Order Update' }, 'name: must contain only lower-case letters'],
  ['long name', { ...tpl([OK_BODY]), name: 'a'.repeat(513) }, 'name: must be at most 512 characters'],
  ['unknown category', tpl([OK_BODY], { category: 'PROMO' }), 'category: must be one of AUTHENTICATION, MARKETING, UTILITY'],
  ['BCP-47 language', tpl([OK_BODY], { language: 'en-US' }), 'language: must be a WhatsApp language code'],
  ['unknown field', tpl([OK_BODY], { namespace: 'x' }), 'body.namespace: is not a known field'],
  ['library template with components', tpl([OK_BODY], { library_template_name: 'x' }), 'components: cannot be sent with library_template_name'],
  ['no components', { name: 'x', category: 'UTILITY', language: 'en' }, 'components: is required'],
  ['empty components', tpl([]), 'components: must have at least 1 item'],
  ['no BODY', tpl([{ type: 'FOOTER', text: 'f' }]), 'components: must include a BODY component'],
  ['two BODYs', tpl([OK_BODY, OK_BODY]), 'components[1].type: a template has at most one BODY component'],
  ['unknown component', tpl([{ type: 'CALL_TO_ACTION', buttons: [] }]), 'components[0].type: must be one of HEADER, BODY, FOOTER, BUTTONS, CAROUSEL, LIMITED_TIME_OFFER'],
  ['typo in a component', tpl([{ type: 'BODY', textt: 'x' }]), 'components[0].textt: is not a known field'],
  ['long body', tpl([body('x'.repeat(1025))]), 'components[0].text: must be at most 1024 characters (got 1025)'],
  ['placeholder gap', tpl([body('a {{1}} b {{3}} c', { body_text: [['x', 'y']] })]), 'numbered {{1}} to {{2}} without gaps'],
  ['no example', tpl([body('Hi {{1}}, welcome')]), 'components[0].example: is required'],
  ['too few examples', tpl([body('Hi {{1}} and {{2}}.', { body_text: [['x']] })]), 'components[0].example.body_text[0]: must have at least 2 items'],
  ['mixed placeholders', tpl([body('Hi {{1}} and {{name}}.', { body_text: [['x', 'y']] })]), 'mixes numbered ({{1}}) and named ({{name}}) placeholders'],
  ['invalid placeholder', tpl([body('Hi {{First Name}}!')]), 'contains an invalid placeholder {{First Name}}'],
  ['unknown named example', tpl([body('Hi {{name}}!', { body_text_named_params: [{ param_name: 'nam', example: 'x' }] })]), '"nam" is not a placeholder of the text'],
  ['declared format differs', tpl([body('Hi {{1}}!', { body_text: [['x']] })], { parameter_format: 'NAMED' }), 'parameter_format: is NAMED but the placeholders are numbered'],
  ['long text header', tpl([{ type: 'HEADER', format: 'TEXT', text: 'h'.repeat(61) }, OK_BODY]), 'components[0].text: must be at most 60 characters'],
  ['two header placeholders', tpl([{ type: 'HEADER', format: 'TEXT', text: '{{1}} {{2}}', example: { header_text: ['a'] } }, OK_BODY]), 'at most one placeholder'],
  ['unknown header format', tpl([{ type: 'HEADER', format: 'GIF' }, OK_BODY]), 'components[0].format: must be one of TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION'],
  ['image header without sample', tpl([{ type: 'HEADER', format: 'IMAGE' }, OK_BODY]), 'components[0].example: is required'],
  ['image header with text', tpl([{ type: 'HEADER', format: 'IMAGE', text: 'x' }, OK_BODY]), 'components[0].text: is only allowed for TEXT headers'],
  ['long footer', tpl([OK_BODY, { type: 'FOOTER', text: 'f'.repeat(61) }]), 'components[1].text: must be at most 60 characters'],
  ['footer placeholder', tpl([OK_BODY, { type: 'FOOTER', text: 'Bye {{1}}' }]), 'components[1].text: a footer may not hold placeholders'],
  ['11 buttons', tpl([OK_BODY, buttons(...Array.from({ length: 11 }, () => qr()))]), 'components[1].buttons: must have at most 10 items'],
  ['unknown button type', tpl([OK_BODY, buttons({ type: 'CALL', text: 'x' })]), 'components[1].buttons[0].type: must be one of QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, FLOW, OTP'],
  ['long button text', tpl([OK_BODY, buttons(qr('y'.repeat(26)))]), 'components[1].buttons[0].text: must be at most 25 characters'],
  ['URL button without url', tpl([OK_BODY, buttons({ type: 'URL', text: 'Open' })]), 'components[1].buttons[0].url: is required'],
  ['URL placeholder without example', tpl([OK_BODY, buttons(url('https://x.example/{{1}}'))]), 'components[1].buttons[0].example: is required'],
  ['URL placeholder in the middle', tpl([OK_BODY, buttons(url('https://x.example/{{1}}/a', ['https://x.example/1/a']))]), 'one placeholder, {{1}}, at its end'],
  ['ftp URL', tpl([OK_BODY, buttons(url('ftp://x.example/file'))]), 'components[1].buttons[0].url: must be an http(s) URL'],
  ['three URL buttons', tpl([OK_BODY, buttons(url('https://a.example'), url('https://b.example'), url('https://c.example'))]), 'at most 2 URL buttons'],
  ['bad phone number', tpl([OK_BODY, buttons({ type: 'PHONE_NUMBER', text: 'Call', phone_number: 'call me' })]), 'phone_number: must be a phone number'],
  ['long coupon code', tpl([OK_BODY, buttons({ type: 'COPY_CODE', example: 'C'.repeat(16) })]), 'components[1].buttons[0].example: must be at most 15 characters'],
  ['flow without flow', tpl([OK_BODY, buttons({ type: 'FLOW', text: 'Go' })]), 'needs exactly one of flow_id, flow_name, flow_json'],
  ['OTP outside authentication', tpl([OK_BODY, otp]), 'OTP buttons are only allowed in AUTHENTICATION templates'],
  ['authentication without OTP', tpl([{ type: 'BODY' }], { category: 'AUTHENTICATION' }), 'AUTHENTICATION templates need a BUTTONS component with one OTP button'],
  ['authentication with header', tpl([{ type: 'HEADER', format: 'TEXT', text: 'x' }, { type: 'BODY' }, otp], { category: 'AUTHENTICATION' }), 'AUTHENTICATION templates have no HEADER'],
  ['authentication with body text', tpl([{ type: 'BODY', text: 'Your code' }, otp], { category: 'AUTHENTICATION' }), 'components[0].text: is not a known field'],
  ['authentication expiry', tpl([{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: 91 }, otp], { category: 'AUTHENTICATION' }), 'code_expiration_minutes: must be at most 90'],
];

describeEachDb('templates: creation is validated the same way by all three APIs', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let onpremKey: Record<string, string>;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const partnerPath = () => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/waba_templates`;

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    p = await t.tenant();
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123450000', phone_name: 'Legacy' },
    });
    expect(ch.status).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    onpremKey = { 'D360-API-KEY': k.body.api_key };
  });
  afterAll(async () => t.close());

  describe('a 400 naming the field', () => {
    it.each(INVALID)('%s', async (_what, json, detail) => {
      const cloud = await t.post('/message_templates', { headers: key(), json });
      expect(cloud.status).toBe(400);
      expect(cloud.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
      expect(cloud.body.error.error_data.details).toContain(detail);
      const partner = await t.post(partnerPath(), { headers: partnerKey(p.partner_api_key), json });
      expect(partner.status).toBe(400);
      expect(partner.body.meta).toMatchObject({ success: false, http_code: 400 });
      expect(partner.body.meta.developer_message).toContain(detail);
    });
  });

  it('/v1/configs/templates answers in the channel’s format: Meta’s for Cloud, On-Premise’s for On-Premise', async () => {
    const json = tpl([body('x'.repeat(1025))]);
    const cloud = await t.post('/v1/configs/templates', { headers: key(), json });
    expect(cloud.status).toBe(400);
    expect(cloud.body.error.error_data.details).toContain('components[0].text');
    const onprem = await t.post('/v1/configs/templates', { headers: onpremKey, json });
    expect(onprem.status).toBe(400);
    expect(onprem.body.errors[0]).toMatchObject({ code: 1009, details: expect.stringContaining('components[0].text') });
    const badJson = await t.post('/v1/configs/templates', { headers: { ...key(), 'content-type': 'application/json' }, raw: '{"name":' });
    expect(badJson.status).toBe(400);
    // Which body depends on whether the key is checked before the JSON is parsed (then the
    // channel's format) or after (then the /v1/ path's, On-Premise); either way a 400 that says why.
    expect(badJson.body.error?.error_data?.details ?? badJson.body.errors?.[0]?.details).toContain('Malformed JSON');
    const noKey = await t.post('/v1/configs/templates', { json });
    expect(noKey.status).toBe(401);
    expect(noKey.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
  });

  it('name and language are unique in the WABA: a second one is 400 (Meta subcode 2388024); another language is fine', async () => {
    expect((await t.post('/message_templates', { headers: key(), json: utility('welcome') })).status).toBe(200);
    const dup = await t.post('/v1/configs/templates', { headers: key(), json: utility('welcome') });
    expect(dup.status).toBe(400);
    expect(dup.body.error).toMatchObject({ code: 100, error_subcode: 2388024, error_data: { details: expect.stringContaining('already exists') } });
    const viaPartner = await t.post(partnerPath(), { headers: partnerKey(p.partner_api_key), json: utility('welcome') });
    expect(viaPartner.status).toBe(400);
    expect(viaPartner.body.meta.developer_message).toContain('Content in this language already exists');
    // The On-Premise channel shares the WABA, so it sees the same template.
    expect((await t.post('/v1/configs/templates', { headers: onpremKey, json: utility('welcome') })).body.errors[0].details).toContain('already exists');
    expect((await t.post('/message_templates', { headers: key(), json: utility('welcome', undefined, 'de') })).status).toBe(200);
  });

  it('simultaneous creations of one name: exactly one wins, the others are 400 (never a 500)', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => t.post('/message_templates', { headers: key(), json: utility('race_me') })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    for (const r of results.filter((x) => x.status === 400)) expect(r.body.error.error_subcode).toBe(2388024);
  });

  it('stores components the way Meta returns them (upper-case, canonical order)', async () => {
    const res = await t.post('/message_templates', {
      headers: key(),
      json: {
        name: 'shape_check',
        category: 'utility',
        language: 'en_GB',
        components: [
          { type: 'buttons', buttons: [{ type: 'quick_reply', text: 'OK' }, { type: 'phone_number', text: 'Call', phone_number: '+49 30 1234567' }] },
          { type: 'footer', text: 'Bye' },
          { type: 'body', text: 'Dear {{1}}, all good.', example: { body_text: [['Ana']] } },
          { type: 'header', format: 'location' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.category).toBe('UTILITY');
    const list = await t.get('/message_templates', { headers: key(), query: { name: 'shape_check' } });
    expect(list.body.data[0].components).toEqual([
      { type: 'HEADER', format: 'LOCATION' },
      { type: 'BODY', text: 'Dear {{1}}, all good.', example: { body_text: [['Ana']] } },
      { type: 'FOOTER', text: 'Bye' },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'OK' }, { type: 'PHONE_NUMBER', text: 'Call', phone_number: '+49 30 1234567' }] },
    ]);
  });
});
