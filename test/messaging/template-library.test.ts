// Meta's Template Library in the sandbox: GET /message_template_library (filters, cursor paging),
// templates made from it on the three create APIs (APPROVED at once, reported as an approval,
// sendable with the entry's parameters), Meta's refusals, and a number on Meta's network asking Meta.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb, dbKinds } from '../helpers/db.ts';
import { channelKey } from '../helpers/app.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { bodyParams, templateMessage, templateWorld, type TemplateWorld } from './templates-fixtures.ts';
import { LIBRARY } from '../../src/messaging/templates/library.ts';

const URL_INPUT = { type: 'URL', url: { base_url: 'https://shop.example/orders/{{1}}', url_suffix_example: 'https://shop.example/orders/48210' } };
const PHONE_INPUT = { type: 'PHONE_NUMBER', phone_number: '+4930123456789' };
const fromLibrary = (name: string, library: string, extra: Record<string, unknown> = {}) => ({
  name,
  category: 'UTILITY',
  language: 'en_US',
  library_template_name: library,
  library_template_button_inputs: [URL_INPUT],
  ...extra,
});

describeEachDb('template library', (kind) => {
  let w: TemplateWorld;
  const partnerBase = () => `/api/v2/partners/${w.p.partner_id}/waba_accounts/${w.p.waba_account_id}/waba_templates`;
  const statusHooks = () => w.received('/channel').filter((b) => b.entry?.[0]?.changes?.[0]?.field === 'message_template_status_update');
  const partnerEvents = () => w.received('/partner').filter((b) => b.event === 'waba_template_status_changed');
  const library = (query: Record<string, string> = {}) => w.t.get('/message_template_library', { headers: w.key(), query });

  beforeAll(async () => {
    w = await templateWorld(kind);
  });
  afterAll(async () => w.close());

  describe('GET /message_template_library', () => {
    it('lists the catalogue in Meta fields, ordered by name and language', async () => {
      const res = await library({ limit: '1000' });
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(LIBRARY.length);
      expect(LIBRARY.length).toBeGreaterThanOrEqual(15);
      const keys = res.body.data.map((d: any) => `${d.name}/${d.language}`);
      expect(keys).toEqual([...keys].sort());
      expect(res.body.data.find((d: any) => d.name === 'delivery_window_update')).toEqual({
        name: 'delivery_window_update',
        language: 'en_US',
        category: 'UTILITY',
        topic: 'ORDER_MANAGEMENT',
        usecase: 'DELIVERY_UPDATE',
        industry: ['E_COMMERCE'],
        body: expect.stringContaining('{{3}}'),
        body_params: ['#48210', '10:00', '14:00'],
        body_param_types: ['TEXT', 'TEXT', 'TEXT'],
        buttons: [
          { type: 'URL', text: 'Track package', url: expect.stringMatching(/^https:\/\//) },
          { type: 'PHONE_NUMBER', text: 'Call support', phone_number: expect.any(String) },
        ],
        id: expect.stringMatching(/^\d{16,}$/),
      });
      expect(new Set(res.body.data.map((d: any) => d.category))).toEqual(new Set(['UTILITY', 'AUTHENTICATION']));
      expect(res.body.data.some((d: any) => d.buttons?.some((b: any) => b.otp_type === 'ONE_TAP'))).toBe(true);
    });

    it('filters by search (name or body, any casing), topic, usecase, industry, language and name', async () => {
      const names = async (q: Record<string, string>) => ((await library(q)).body.data as any[]).map((d) => `${d.name}/${d.language}`);
      expect(await names({ search: 'INVOICE' })).toEqual(expect.arrayContaining(['payment_due_reminder/en_US', 'payment_received_receipt/en_US', 'payment_overdue_notice/en_US']));
      expect((await names({ search: 'invoice' })).every((k) => k.startsWith('payment_'))).toBe(true);
      expect(await names({ search: 'window_upd' })).toEqual(['delivery_window_update/en_US']);
      expect(await names({ topic: 'payments', language: 'en_US' })).toEqual(['payment_due_reminder/en_US', 'payment_overdue_notice/en_US', 'payment_received_receipt/en_US']);
      expect(await names({ usecase: 'ONE_TIME_PASSWORD', language: 'de' })).toEqual(['verification_code_copy/de']);
      expect((await names({ industry: 'HEALTH' })).every((k) => k.startsWith('appointment_'))).toBe(true);
      expect(await names({ industry: 'HEALTH' })).toHaveLength(3);
      expect(await names({ language: 'pt_BR' })).toEqual(['order_received_notice/pt_BR', 'payment_due_reminder/pt_BR', 'verification_code_copy/pt_BR']);
      expect(await names({ name: 'verification_code_copy' })).toEqual(['verification_code_copy/de', 'verification_code_copy/en_US', 'verification_code_copy/es', 'verification_code_copy/pt_BR']);
      expect(await names({ topic: 'NO_SUCH_TOPIC' })).toEqual([]);
    });

    it('pages with cursors both ways, keeping the filters in the next URL', async () => {
      const first = await library({ limit: '2', topic: 'ORDER_MANAGEMENT' });
      expect(first.body.data).toHaveLength(2);
      expect(first.body.paging.previous).toBeUndefined();
      const next = new URL(first.body.paging.next);
      expect(next.pathname).toBe('/message_template_library');
      expect(next.searchParams.get('topic')).toBe('ORDER_MANAGEMENT');
      const second = await w.t.get(next.pathname + next.search, { headers: w.key() });
      expect(second.status).toBe(200);
      expect(second.body.data).toHaveLength(2);
      expect(second.body.data[0].name >= first.body.data[1].name).toBe(true);
      const back = await library({ limit: '2', topic: 'ORDER_MANAGEMENT', before: second.body.paging.cursors.before });
      expect(back.body.data).toEqual(first.body.data);
      // Walking forwards reaches every ORDER_MANAGEMENT entry once.
      const seen: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await library({ limit: '3', topic: 'ORDER_MANAGEMENT', ...(after ? { after } : {}) });
        seen.push(...page.body.data.map((d: any) => `${d.name}/${d.language}`));
        if (!page.body.paging.next) break;
        after = page.body.paging.cursors.after;
      }
      expect(seen).toEqual((await library({ topic: 'ORDER_MANAGEMENT' })).body.data.map((d: any) => `${d.name}/${d.language}`));
      expect(new Set(seen).size).toBe(8);
      const bad = await library({ after: 'not-a-cursor' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe(100);
      expect((await library({ limit: 'many' })).status).toBe(400);
    });

    it('answers on the Graph path and with the key only', async () => {
      const graph = await w.t.get('/v21.0/message_template_library', { headers: { authorization: `Bearer ${w.p.channel_api_key}` }, query: { name: 'account_opened_welcome' } });
      expect(graph.status).toBe(200);
      expect(graph.body.data.map((d: any) => d.name)).toEqual(['account_opened_welcome']);
      const nokey = await w.t.get('/message_template_library');
      expect(nokey.status).toBe(401);
    });
  });

  describe('creating from the library', () => {
    it('POST /message_templates: APPROVED at once, reported to the channel and the partner, sendable with the entry parameters', async () => {
      const res = await w.t.post('/message_templates', { headers: w.key(), json: fromLibrary('my_delivery_window', 'delivery_window_update', { library_template_button_inputs: [URL_INPUT, PHONE_INPUT] }) });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: expect.stringMatching(/^\d{15}$/), status: 'APPROVED', category: 'UTILITY' });
      const id = res.body.id as string;

      await w.receiver.waitForBody('approval webhooks', () => statusHooks().some((b) => b.entry[0].changes[0].value.message_template_id === Number(id)) && partnerEvents().some((e) => e.data.id === id));
      expect(statusHooks().find((b) => b.entry[0].changes[0].value.message_template_id === Number(id))!.entry[0].changes[0].value).toEqual({
        event: 'APPROVED',
        message_template_id: Number(id),
        message_template_name: 'my_delivery_window',
        message_template_language: 'en_US',
        reason: 'NONE',
      });
      expect(partnerEvents().find((e) => e.data.id === id)).toMatchObject({ data: { name: 'my_delivery_window', status: 'APPROVED', library_template_name: 'delivery_window_update' } });

      const node = await w.t.get(`/message_templates/${id}`, { headers: w.key() });
      expect(node.body).toMatchObject({ status: 'APPROVED', library_template_name: 'delivery_window_update' });
      expect(node.body.components).toEqual([
        { type: 'BODY', text: LIBRARY.find((e) => e.name === 'delivery_window_update')!.body, example: { body_text: [['#48210', '10:00', '14:00']] } },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'URL', text: 'Track package', url: 'https://shop.example/orders/{{1}}', example: ['https://shop.example/orders/48210'] },
            { type: 'PHONE_NUMBER', text: 'Call support', phone_number: '+4930123456789' },
          ],
        },
      ]);

      const urlParam = { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '48210' }] };
      const sent = await w.t.post('/messages', { headers: w.key(), json: templateMessage('my_delivery_window', [bodyParams('#48210', '10:00', '14:00'), urlParam]) });
      expect(sent.status).toBe(200);
      const wrong = await w.t.post('/messages', { headers: w.key(), json: templateMessage('my_delivery_window', [bodyParams('#48210', '10:00'), urlParam]) });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.code).toBe(132000);
    });

    it('POST /v1/configs/templates: 201 APPROVED, in the 360 list with library_template_name', async () => {
      const res = await w.t.post('/v1/configs/templates', {
        headers: w.key(),
        json: { name: 'rechnung_faellig', category: 'utility', language: 'de', library_template_name: 'payment_due_reminder', library_template_button_inputs: [{ type: 'url', url: { base_url: 'https://pay.example/now' } }] },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'APPROVED', category: 'UTILITY' });
      const list = await w.t.get('/v1/configs/templates', { headers: w.key(), query: { filters: JSON.stringify({ name: 'rechnung_faellig' }) } });
      expect(list.body.waba_templates[0]).toMatchObject({ status: 'APPROVED', language: 'de', library_template_name: 'payment_due_reminder' });
      expect(list.body.waba_templates[0].components[0]).toEqual({ type: 'HEADER', format: 'TEXT', text: 'Zahlungserinnerung' });
      await w.receiver.waitForBody('partner event', () => partnerEvents().some((e) => e.data.id === res.body.id));
      const sent = await w.t.post('/messages', { headers: w.key(), json: templateMessage('rechnung_faellig', [bodyParams('INV-1', '5 €', 'Montag')], 'de') });
      expect(sent.status).toBe(200);
      const wrong = await w.t.post('/messages', { headers: w.key(), json: templateMessage('rechnung_faellig', [], 'de') });
      expect(wrong.body.error.code).toBe(132000);
    });

    it("the Partner API's POST …/waba_templates: an authentication template, APPROVED, sendable with the code", async () => {
      const res = await w.t.post(partnerBase(), {
        headers: w.pkey(),
        json: {
          name: 'login_code',
          category: 'AUTHENTICATION',
          language: 'es',
          library_template_name: 'verification_code_copy',
          library_template_body_inputs: { add_security_recommendation: true, code_expiration_minutes: 10 },
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: 'login_code', status: 'APPROVED', category: 'AUTHENTICATION', library_template_name: 'verification_code_copy' });
      expect(res.body.components).toEqual([
        { type: 'BODY', text: 'Tu código de verificación es *{{1}}*. Por tu seguridad, no lo compartas.', add_security_recommendation: true },
        { type: 'FOOTER', text: 'Este código caduca en 10 minutos.', code_expiration_minutes: 10 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copiar código' }] },
      ]);
      await w.receiver.waitForBody('approval', () => statusHooks().some((b) => b.entry[0].changes[0].value.message_template_id === Number(res.body.id)) && partnerEvents().some((e) => e.data.id === res.body.id));
      const code = { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] };
      expect((await w.t.post('/messages', { headers: w.key(), json: templateMessage('login_code', [bodyParams('482913'), code], 'es') })).status).toBe(200);
      const wrong = await w.t.post('/messages', { headers: w.key(), json: templateMessage('login_code', [bodyParams('482913', 'extra'), code], 'es') });
      expect(wrong.body.error.code).toBe(132000);
    });

    it('a ONE_TAP entry takes the app in its OTP input', async () => {
      const body = { name: 'tap_code', category: 'AUTHENTICATION', language: 'en_US', library_template_name: 'verification_code_one_tap' };
      const missing = await w.t.post('/message_templates', { headers: w.key(), json: body });
      expect(missing.status).toBe(400);
      expect(missing.body.error.error_data.details).toContain('library_template_button_inputs: the library template verification_code_one_tap has a ONE_TAP button');
      const ok = await w.t.post('/message_templates', {
        headers: w.key(),
        json: { ...body, library_template_button_inputs: [{ type: 'OTP', otp_type: 'ONE_TAP', supported_apps: [{ package_name: 'com.example.app', signature_hash: 'K8a/AINcGX7' }] }] },
      });
      expect(ok.status).toBe(200);
      expect(ok.body.status).toBe('APPROVED');
    });

    /** [what, body, HTTP status, error details contain] */
    const REFUSALS: [string, Record<string, unknown>, string][] = [
      ['unknown library name', fromLibrary('r1', 'no_such_library_template'), 'library_template_name: "no_such_library_template" is not a template of the template library'],
      ['category differs from the entry', fromLibrary('r2', 'shipment_departed_update', { category: 'MARKETING' }), 'category: must be UTILITY, the category of the library template shipment_departed_update'],
      ['language the entry lacks', fromLibrary('r3', 'shipment_departed_update', { language: 'de' }), 'language: the library template shipment_departed_update is not available in de (it is in en_US, es)'],
      ['URL button input missing', fromLibrary('r4', 'shipment_departed_update', { library_template_button_inputs: [] }), 'the library template shipment_departed_update has a URL button ("Track shipment"), which needs its input'],
      ['phone button input missing', fromLibrary('r5', 'delivery_window_update'), 'has a PHONE_NUMBER button ("Call support"), which needs its input'],
      ['no button inputs at all', { ...fromLibrary('r6', 'account_password_changed'), library_template_button_inputs: undefined }, 'has a PHONE_NUMBER button'],
      ['surplus input', fromLibrary('r7', 'shipment_departed_update', { library_template_button_inputs: [URL_INPUT, PHONE_INPUT] }), 'library_template_button_inputs[1].type: the library template shipment_departed_update has no PHONE_NUMBER button'],
      ['components with library_template_name', fromLibrary('r8', 'shipment_departed_update', { components: [{ type: 'BODY', text: 'Hi' }] }), 'components: cannot be sent with library_template_name'],
      ['dynamic URL without example', fromLibrary('r9', 'shipment_departed_update', { library_template_button_inputs: [{ type: 'URL', url: { base_url: 'https://x.example/{{1}}' } }] }), 'library_template_button_inputs[0].url.url_suffix_example: is required'],
      ['bad phone number', fromLibrary('r10', 'account_password_changed', { library_template_button_inputs: [{ type: 'PHONE_NUMBER', phone_number: 'call me' }] }), 'library_template_button_inputs[0].phone_number: must be a phone number'],
      ['auth body input on utility', fromLibrary('r11', 'shipment_departed_update', { library_template_body_inputs: { code_expiration_minutes: 5 } }), 'library_template_body_inputs.code_expiration_minutes: is taken by AUTHENTICATION library templates only'],
      ['button inputs without a library name', { name: 'r12', category: 'UTILITY', language: 'en_US', components: [{ type: 'BODY', text: 'Hi' }], library_template_button_inputs: [URL_INPUT] }, 'library_template_button_inputs: is only taken with library_template_name'],
    ];

    it.each(REFUSALS)('refuses: %s (all three APIs, 400 code 100, nothing stored)', async (_what, body, details) => {
      const meta = await w.t.post('/message_templates', { headers: w.key(), json: body });
      expect(meta.status).toBe(400);
      expect(meta.body.error.code).toBe(100);
      expect(meta.body.error.error_data.details).toContain(details);
      const d360 = await w.t.post('/v1/configs/templates', { headers: w.key(), json: body });
      expect(d360.status).toBe(400);
      expect(JSON.stringify(d360.body)).toContain(details.slice(0, 40).replace(/"/g, '\\"'));
      const partner = await w.t.post(partnerBase(), { headers: w.pkey(), json: body });
      expect(partner.status).toBe(400);
      expect(JSON.stringify(partner.body)).toContain(details.slice(0, 40).replace(/"/g, '\\"'));
      const list = await w.t.get('/message_templates', { headers: w.key(), query: { name: String(body.name) } });
      expect(list.body.data.filter((d: any) => d.name === body.name)).toEqual([]);
    });

    it('a library template name already used in that language is the duplicate Meta refuses', async () => {
      const again = await w.t.post('/message_templates', { headers: w.key(), json: fromLibrary('my_delivery_window', 'delivery_window_update', { library_template_button_inputs: [URL_INPUT, PHONE_INPUT] }) });
      expect(again.status).toBe(400);
      expect(again.body.error.error_subcode).toBe(2388024);
    });
  });
});

describe.each(dbKinds())('template library on a number on Meta network (%s)', (kind) => {
  let m: MetaNumber;
  beforeAll(async () => {
    m = await startMetaNumber(kind, { phoneNumberId: '106540352242922', wabaId: '102290129340398' });
  });
  afterAll(async () => m?.close());

  it("lists Meta's library (filters passed on, paging URLs ours)", async () => {
    m.graph.on((req) =>
      req.method === 'GET' && req.path.includes('/message_template_library')
        ? { status: 200, json: { data: [{ name: 'meta_entry', language: 'en_US', category: 'UTILITY', body: 'From Meta {{1}}.' }], paging: { cursors: { before: 'QQ', after: 'QR' }, next: 'https://graph.facebook.com/v23.0/message_template_library?topic=PAYMENTS&after=QR&access_token=secret' } } }
        : undefined,
    );
    const res = await m.t.get('/message_template_library', { headers: channelKey(m.p.channel_api_key), query: { topic: 'PAYMENTS', search: 'bill' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([{ name: 'meta_entry', language: 'en_US', category: 'UTILITY', body: 'From Meta {{1}}.' }]);
    expect(res.body.paging.next).toBe(`${m.t.deps.config.publicUrl}/message_template_library?topic=PAYMENTS&search=bill&after=QR`); // the caller's query kept (page-links.ts)
    const asked = m.graph.requests.filter((r) => r.path.includes('/message_template_library'));
    expect(asked).toHaveLength(1);
    const url = new URL(asked[0]!.path, 'http://graph');
    expect(url.pathname).toMatch(/^\/v\d+\.\d+\/message_template_library$/);
    expect(Object.fromEntries(url.searchParams)).toEqual({ topic: 'PAYMENTS', search: 'bill' });
  });

  it('passes a creation from the library to Meta unchanged', async () => {
    m.graph.on((req) => (req.method === 'POST' && req.path.endsWith('/102290129340398/message_templates') ? { status: 200, json: { id: '777000111', status: 'APPROVED', category: 'UTILITY' } } : undefined));
    const body = fromLibrary('meta_made', 'some_meta_library_template', { library_template_body_inputs: { add_track_package_link: true } });
    const res = await m.t.post('/message_templates', { headers: channelKey(m.p.channel_api_key), json: body });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: '777000111', status: 'APPROVED', category: 'UTILITY' });
    const sent = m.graph.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/message_templates'));
    expect(sent.at(-1)!.json).toEqual(body);
  });
});
