// Meta refuses some templates at creation (400, error_subcode) instead of taking them as PENDING:
// a BODY beginning or ending with a placeholder (2388299) and one with too many placeholders for
// its length (2388293). Each API answers in its own format, and nothing is stored or reviewed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const ADMIN = 'c'.repeat(32);
const tpl = (name: string, text: string, n: number, extra: Record<string, unknown> = {}) => ({
  name,
  category: 'UTILITY',
  language: 'en_US',
  components: [{ type: 'HEADER', format: 'TEXT', text: 'Update' }, { type: 'BODY', text, example: { body_text: [Array.from({ length: n }, (_, i) => `v${i + 1}`)] } }],
  ...extra,
});
const DANGLING = { subcode: 2388299, title: 'Leading or trailing params not allowed', msg: "Variables can't be at the start or end of the template." };
const RATIO = {
  subcode: 2388293,
  title: 'Params Words Ratio Exceeds Limit',
  msg: 'This template has too many variables for its length. Reduce the number of variables or increase the message length.',
};
/** [what, body text, placeholders, expected refusal] */
const CASES: [string, string, number, typeof DANGLING][] = [
  ['ends with a placeholder', 'Hi {{1}}', 1, DANGLING],
  ['begins with a placeholder', '{{1}} is your balance today.', 1, DANGLING],
  ['only a placeholder, spaces around', '  {{1}}  ', 1, DANGLING],
  ['too many placeholders for the text', 'Dear {{1}}: {{2}}, {{3}} ok', 3, RATIO],
];

describeEachDb('templates: refusals Meta answers at creation (2388299, 2388293)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let onpremKey: Record<string, string>;
  let waba: string;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const partnerPath = () => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/waba_templates`;
  const names = async () => ((await t.get('/message_templates', { headers: key(), query: { limit: '100' } })).body.data as { name: string }[]).map((d) => d.name);

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    p = await t.tenant();
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123450001', phone_name: 'Legacy' },
    });
    expect(ch.status).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    onpremKey = { 'D360-API-KEY': k.body.api_key };
    waba = (await t.get(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}`, { headers: partnerKey(p.partner_api_key) })).body.external_id;
  });
  afterAll(async () => t.close());

  describe.each(CASES)('%s', (what, text, n, want) => {
    const json = tpl(`sync_${what.replace(/\W+/g, '_')}`, text, n);
    const cloudError = {
      code: 100,
      type: 'OAuthException',
      error_subcode: want.subcode,
      is_transient: false,
      error_user_title: want.title,
      error_user_msg: want.msg,
    };
    const details = `components[1].text: ${want.title}: ${want.msg} (error_subcode ${want.subcode})`;

    it('Graph POST /{version}/{waba}/message_templates: 400, Meta’s error with subcode, title and message', async () => {
      const res = await t.post(`/v17.0/${waba}/message_templates`, { headers: { authorization: `Bearer ${p.channel_api_key}` }, json });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ ...cloudError, error_data: { details } });
    });

    it('POST /message_templates: the same', async () => {
      const res = await t.post('/message_templates', { headers: key(), json });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ ...cloudError, message: '(#100) Invalid parameter', error_data: { messaging_product: 'whatsapp', details } });
    });

    it('POST /v1/configs/templates: Cloud channel in Meta’s format, On-Premise channel in its own', async () => {
      const cloud = await t.post('/v1/configs/templates', { headers: key(), json });
      expect(cloud.status).toBe(400);
      expect(cloud.body.error).toMatchObject(cloudError);
      const onprem = await t.post('/v1/configs/templates', { headers: onpremKey, json });
      expect(onprem.status).toBe(400);
      expect(onprem.body).toEqual({ errors: [{ code: 1009, title: 'Invalid parameter', details, href: expect.any(String) }], meta: expect.any(Object) });
    });

    it('Partner API POST …/waba_templates: 400 in 360dialog’s meta body', async () => {
      const res = await t.post(partnerPath(), { headers: partnerKey(p.partner_api_key), json });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ meta: { success: false, http_code: 400, developer_message: details } });
    });

    it('nothing was stored, so nothing is reviewed', async () => {
      expect(await names()).not.toContain(json.name);
    });
  });

  it('an edit is refused the same way; the template keeps its components', async () => {
    const made = await t.post('/message_templates', { headers: key(), json: tpl('sync_edit_me', 'Hello {{1}} {{2}}, welcome to our shop.', 2) });
    expect(made.status).toBe(200);
    const res = await t.post(`/v17.0/${made.body.id}`, { headers: { authorization: `Bearer ${p.channel_api_key}` }, json: { components: tpl('x', 'Welcome to our shop, {{1}}', 1).components } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, error_subcode: 2388299 });
  });

  it('what Meta takes is still taken: text after the last placeholder, punctuation counting, and enough words', async () => {
    for (const [name, text, n] of [
      ['sync_ok_punct', 'Your order {{1}} has shipped.', 1],
      ['sync_ok_words', 'Hi {{1}}, your order {{2}} ships on {{3}} today', 3],
      ['sync_ok_cjk', '您好，您的订单{{1}}已发货，请注意查收。', 1],
    ] as const) {
      const res = await t.post('/message_templates', { headers: key(), json: tpl(name, text, n) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.status).toBe('PENDING');
    }
    // Placeholders side by side are left to the review (INVALID_FORMAT later), as Meta does.
    const adjacent = await t.post('/message_templates', { headers: key(), json: tpl('sync_adjacent', 'Hello {{1}} {{2}}, welcome to our shop.', 2) });
    expect(adjacent.status).toBe(200);
  });
});
