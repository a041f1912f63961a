// Template migration (Meta's migrate_message_templates; the Partner API's waba_templates/migrate)
// and authentication template previews (Meta's message_template_previews), on the root, Graph and
// Partner API paths; a number on Meta's network asks Meta.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createClient } from '../../src/services/clients.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createWabaAccount } from '../../src/services/waba-accounts.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';
import { TEMPLATE_LANGUAGES } from '../../src/messaging/templates/previews.ts';
import { bearer, type HttpResponse } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { expectPartnerError } from '../helpers/partner-error.ts';
import { graphErrorBody } from '../helpers/fake-graph.ts';
import { bodyParams, templateMessage, templateWorld, utility, type TemplateWorld } from './templates-fixtures.ts';

interface Waba {
  id: string;
  externalId: string;
  key: Record<string, string>;
  apiKey: string;
}

const SECURITY_BODY = '*{{1}}* is your verification code. For your security, do not share this code.';
const PLAIN_BODY = '*{{1}}* is your verification code.';

function expectGraphError(res: HttpResponse, details?: string) {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
  if (details) expect(res.body.error.error_data.details).toContain(details);
}

function expectNodeNotFound(res: HttpResponse, id: string) {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
  expect(res.body.error.message).toContain(`'${id}'`);
}

describeEachDb('template migration and authentication previews', (kind) => {
  let w: TemplateWorld;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let source: Waba;
  let dest: Waba;
  const ids = new Map<string, string>();

  /**
   * Another WABA of partner A, with a channel and its key: of the source's client (Meta migrates
   * between WABAs of one business), or of a client of its own (`ownClient`).
   */
  const newWaba = async (name: string, webhook?: string, ownClient = false): Promise<Waba> => {
    const clientId = ownClient ? (await createClient(w.t.deps, p.partner_id, { name, email: `${name}@example.com` })).id : p.client_id;
    const wabaAccountId = (await createWabaAccount(w.t.deps, { partnerId: p.partner_id, clientId, name })).id;
    const ch = await createChannel(w.t.deps, { partnerId: p.partner_id, clientId, wabaAccountId, phoneNumber: `49160${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, phoneName: name, status: 'ready' });
    const k = await createChannelApiKey(w.t.deps, ch);
    const waba = await w.t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', ch.waba_account_id).executeTakeFirstOrThrow();
    const key = { 'D360-API-KEY': k.api_key };
    if (webhook) expect((await w.t.post('/v1/configs/webhook', { headers: key, json: { url: webhook } })).status).toBe(200);
    return { id: ch.waba_account_id, externalId: waba.external_id, key, apiKey: k.api_key };
  };
  const templatesOf = async (waba: Waba) => {
    const res = await w.t.get('/message_templates', { headers: waba.key, query: { limit: '100' } });
    expect(res.status).toBe(200);
    return res.body.data as { id: string; name: string; language: string; status: string; components: unknown[] }[];
  };
  const create = async (body: unknown) => {
    const res = await w.t.post('/message_templates', { headers: w.key(), json: body });
    expect(res.status, res.text).toBe(200);
    return res.body.id as string;
  };
  const partnerMigrate = (waba: string, json: unknown, pid = p.partner_id, key = p.partner_api_key) =>
    w.t.post(`/api/v2/partners/${pid}/waba_accounts/${waba}/waba_templates/migrate`, { headers: { 'x-api-key': key }, json });

  beforeAll(async () => {
    w = await templateWorld(kind);
    p = w.p;
    other = await w.t.tenant();
    const srcWaba = await w.t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow();
    source = { id: p.waba_account_id, externalId: srcWaba.external_id, key: w.key(), apiKey: p.channel_api_key };
    dest = await newWaba('dest', `${w.receiver.url}/dest`);
    // The source: APPROVED templates (two languages of one name, three more), one REJECTED, one PENDING.
    ids.set('order_en', await create(utility('order_shipped')));
    ids.set('order_de', await create(utility('order_shipped', 'Ihre Bestellung {{1}} ist unterwegs.', 'de')));
    for (const n of ['bulk_a', 'bulk_b', 'bulk_c']) ids.set(n, await create(utility(n, `Bulk ${n} {{1}} is ready.`)));
    ids.set('rejected', await create(utility('reject_promo')));
    await w.review();
    ids.set('pending', await create(utility('still_pending')));
    const list = await templatesOf(source);
    ids.set('hello', list.find((t) => t.name === 'hello_world')!.id);
    expect(list.find((t) => t.name === 'reject_promo')!.status).toBe('REJECTED');
    expect(list.find((t) => t.name === 'still_pending')!.status).toBe('PENDING');
  });
  afterAll(() => w?.close());

  describe('migration', () => {
    it("root: copies the source's APPROVED templates, APPROVED at once and sendable; a name and language already there fails with the reason", async () => {
      const res = await w.t.post('/migrate_message_templates', { headers: dest.key, json: { source_waba_id: source.externalId, page_number: 0 } });
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['failed_templates', 'migrated_templates']);
      expect(res.body.migrated_templates).toHaveLength(5);
      // hello_world is in every WABA: Meta's "already exists" reason, keyed by the source template's id.
      expect(res.body.failed_templates).toEqual({ [ids.get('hello')!]: expect.stringContaining('Content in this language already exists') });
      expect(res.body.failed_templates[ids.get('hello')!]).toContain('name=hello_world language=en_US');
      const copied = (await templatesOf(dest)).filter((t) => t.name !== 'hello_world');
      expect(copied.map((t) => `${t.name}/${t.language}/${t.status}`).sort()).toEqual([
        'bulk_a/en_US/APPROVED',
        'bulk_b/en_US/APPROVED',
        'bulk_c/en_US/APPROVED',
        'order_shipped/de/APPROVED',
        'order_shipped/en_US/APPROVED',
      ]);
      expect(copied.map((t) => t.id).sort()).toEqual([...res.body.migrated_templates].sort());
      // New ids, the source's components.
      for (const id of res.body.migrated_templates) expect([...ids.values()]).not.toContain(id);
      const src = (await templatesOf(source)).find((t) => t.name === 'order_shipped' && t.language === 'de')!;
      expect(copied.find((t) => t.name === 'order_shipped' && t.language === 'de')!.components).toEqual(src.components);
      // The source is unchanged; PENDING and REJECTED ones were not copied.
      expect((await templatesOf(source)).length).toBe(8);
      // Sendable from the destination's number at once.
      const sent = await w.t.post('/messages', { headers: dest.key, json: templateMessage('order_shipped', [bodyParams('#7')], 'de') });
      expect(sent.status, sent.text).toBe(200);
      // The destination's channel and the partner are told, as a review tells them.
      const events = await w.receiver.waitForBody('five APPROVED template webhooks at /dest', () => {
        const got = w.received('/dest').map((b) => b.entry[0].changes[0].value);
        return got.length >= 5 ? got : undefined;
      });
      expect(events.map((v: any) => `${v.message_template_name}:${v.message_template_language}:${v.event}`).sort()).toEqual([
        'bulk_a:en_US:APPROVED',
        'bulk_b:en_US:APPROVED',
        'bulk_c:en_US:APPROVED',
        'order_shipped:de:APPROVED',
        'order_shipped:en_US:APPROVED',
      ]);
      expect(w.received('/dest')[0].entry[0].id).toBe(dest.externalId);
      await w.receiver.waitForBody('partner events for the copies', () => {
        const got = w.received('/partner').filter((e) => e.event === 'waba_template_status_changed' && e.data?.waba_account_id === dest.id && e.data?.status === 'APPROVED');
        return got.length >= 5 ? got : undefined;
      });
      // Again: every one is there already.
      const again = await w.t.post('/migrate_message_templates', { headers: dest.key, json: { source_waba_id: source.id } });
      expect(again.status).toBe(200);
      expect(again.body.migrated_templates).toEqual([]);
      expect(Object.keys(again.body.failed_templates)).toHaveLength(6);
    });

    it('Graph path: the destination in the path, pages of `count` (query or body), template_ids', async () => {
      const e = await newWaba('graph_dest');
      const path = `/v21.0/${e.externalId}/migrate_message_templates`;
      const pages: any[] = [];
      // Meta's older syntax: the parameters in the query; the source by openwaba's id.
      const first = await w.t.post(`${path}?source_waba_id=${source.id}&page_number=0&count=2`, { headers: bearer(e.apiKey) });
      expect(first.status, first.text).toBe(200);
      pages.push(first.body);
      for (const page_number of [1, 2, 3]) {
        const res = await w.t.post(path, { headers: bearer(e.apiKey), json: { source_waba_id: Number(source.externalId), page_number, count: 2 } });
        expect(res.status, res.text).toBe(200);
        pages.push(res.body);
      }
      // 6 eligible templates (5 + hello_world), 2 a page, page 3 empty.
      expect(pages.map((b) => b.migrated_templates.length + Object.keys(b.failed_templates).length)).toEqual([2, 2, 2, 0]);
      expect(pages.flatMap((b) => b.migrated_templates)).toHaveLength(5);
      expect(pages.flatMap((b) => Object.keys(b.failed_templates))).toEqual([ids.get('hello')]);
      expect((await templatesOf(e)).length).toBe(6);
      // template_ids: only those; one not APPROVED (or not the source's) fails with a reason.
      const f = await newWaba('ids_dest');
      const picked = await w.t.post(`/v21.0/${f.id}/migrate_message_templates`, {
        headers: bearer(f.apiKey),
        json: { source_waba_id: source.id, template_ids: [ids.get('bulk_b'), ids.get('rejected'), ids.get('pending')] },
      });
      expect(picked.status, picked.text).toBe(200);
      expect(picked.body.migrated_templates).toHaveLength(1);
      expect(picked.body.failed_templates).toEqual({ [ids.get('rejected')!]: expect.stringContaining('not APPROVED'), [ids.get('pending')!]: expect.stringContaining('not APPROVED') });
      expect((await templatesOf(f)).map((t) => t.name).sort()).toEqual(['bulk_b', 'hello_world']);
    });

    it("another client's WABA of the same partner is refused to a channel key as another partner's is (Graph's 100/33); nothing is copied", async () => {
      const stranger = await newWaba('stranger', undefined, true);
      expectNodeNotFound(await w.t.post('/migrate_message_templates', { headers: stranger.key, json: { source_waba_id: source.externalId } }), source.externalId);
      expectNodeNotFound(await w.t.post(`/v21.0/${stranger.externalId}/migrate_message_templates`, { headers: bearer(stranger.apiKey), json: { source_waba_id: source.id } }), source.id);
      expect((await templatesOf(stranger)).map((t) => t.name)).toEqual(['hello_world']);
    });

    it("another partner's WABA is refused: Graph's 100/33 on the Messaging API, 404 on the Partner API; nothing is copied", async () => {
      const before = (await templatesOf(dest)).length;
      const b = await w.t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', other.waba_account_id).executeTakeFirstOrThrow();
      expectNodeNotFound(await w.t.post('/migrate_message_templates', { headers: dest.key, json: { source_waba_id: other.waba_account_id } }), other.waba_account_id);
      expectNodeNotFound(await w.t.post(`/v21.0/${dest.externalId}/migrate_message_templates`, { headers: bearer(dest.apiKey), json: { source_waba_id: b.external_id } }), b.external_id);
      // B's WABA as the destination of A's key: the Graph node check.
      expectNodeNotFound(await w.t.post(`/v21.0/${b.external_id}/migrate_message_templates`, { headers: bearer(dest.apiKey), json: { source_waba_id: source.id } }), b.external_id);
      expectPartnerError(await partnerMigrate(dest.id, { source_waba_account_id: other.waba_account_id }), 404, 'not found');
      expectPartnerError(await partnerMigrate(other.waba_account_id, { source_waba_account_id: source.id }), 404, 'not found');
      // B's key on A's partner id.
      expectPartnerError(await partnerMigrate(dest.id, { source_waba_account_id: source.id }, p.partner_id, other.partner_api_key), 403);
      // B copying from A, with B's own key and WABA.
      expectNodeNotFound(await w.t.post('/migrate_message_templates', { headers: { 'D360-API-KEY': other.channel_api_key }, json: { source_waba_id: source.id } }), source.id);
      expect((await templatesOf(dest)).length).toBe(before);
      const bTemplates = await w.t.get('/message_templates', { headers: { 'D360-API-KEY': other.channel_api_key } });
      expect(bTemplates.body.data.map((t: any) => t.name)).toEqual(['hello_world']);
    });

    it('bad input: a 400 naming the field, in each API’s body', async () => {
      const cases: [unknown, string][] = [
        [{}, 'source_waba_id: is required'],
        [{ source_waba_id: source.id, page_number: -1 }, 'page_number: must be at least 0'],
        [{ source_waba_id: source.id, page_number: 1.5 }, 'page_number: must be a whole number'],
        [{ source_waba_id: source.id, count: 501 }, 'count: must be at most 500'],
        [{ source_waba_id: source.id, template_ids: [] }, 'template_ids: must have at least 1 item'],
        [{ source_waba_id: source.id, template_ids: ['x'] }, 'template_ids[0]: must be a template id'],
        [{ source_waba_id: { $ne: 1 } }, 'source_waba_id: must be a string'],
        [{ source_waba_id: 'a/b' }, 'source_waba_id: must be a WhatsApp Business Account id'],
        [{ source_waba_id: source.id, sauce: 1 }, 'body.sauce: is not a known field'],
        [[1], 'body: must be a JSON object'],
        [{ source_waba_id: dest.id }, 'names the destination WhatsApp Business Account itself'],
      ];
      for (const [json, detail] of cases) {
        expectGraphError(await w.t.post('/migrate_message_templates', { headers: dest.key, json }), detail);
      }
      expectGraphError(await w.t.post('/migrate_message_templates', { headers: dest.key }), 'source_waba_id: is required');
      const bad = await w.t.post('/migrate_message_templates', { headers: { ...dest.key, 'content-type': 'application/json' }, raw: '{"source_waba_id":' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe(100);
      const pcases: [unknown, string][] = [
        [{}, 'source_waba_account_id: is required'],
        [{ source_waba_account_id: source.id, page: -2 }, 'page: must be at least 0'],
        [{ source_waba_account_id: source.id, page: 'x' }, 'page: must be a number'],
        [{ source_waba_account_id: source.id, source_waba_id: source.id }, 'not both'],
        [{ source_waba_account_id: dest.id }, 'names the destination'],
        ['text', 'body: must be a JSON object'],
      ];
      for (const [json, detail] of pcases) expectPartnerError(await partnerMigrate(dest.id, json), 400, detail);
    });

    it('Partner API: {source_waba_account_id, page}, 2500 a page; the copies are the partner’s to list', async () => {
      const g = await newWaba('partner_dest');
      const res = await partnerMigrate(g.id, { source_waba_account_id: source.id, page: 0 });
      expect(res.status, res.text).toBe(200);
      expect(res.body.migrated_templates).toHaveLength(5);
      expect(Object.keys(res.body.failed_templates)).toEqual([ids.get('hello')]);
      const list = await w.t.get(`/api/v2/partners/${p.partner_id}/waba_accounts/${g.id}/waba_templates`, { headers: w.pkey() });
      expect(list.body.waba_templates.filter((t: any) => t.status === 'APPROVED')).toHaveLength(6);
      const created = list.body.waba_templates.find((t: any) => t.id === res.body.migrated_templates[0]);
      expect(created).toMatchObject({ waba_account_id: g.id, partner_id: p.partner_id, status: 'APPROVED' });
      // Page 1 of 2500 is empty; Meta's id names the source too; a form body works as JSON does.
      const next = await partnerMigrate(g.id, { source_waba_id: source.externalId, page: 1 });
      expect(next.body).toEqual({ migrated_templates: [], failed_templates: {} });
      const form = await w.t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${g.id}/waba_templates/migrate`, {
        headers: { ...w.pkey(), 'content-type': 'application/x-www-form-urlencoded' },
        raw: `source_waba_account_id=${source.id}&page=0`,
      });
      expect(form.status, form.text).toBe(200);
      expect(form.body.migrated_templates).toEqual([]);
      expect(Object.keys(form.body.failed_templates)).toHaveLength(6);
    });
  });

  describe('authentication previews', () => {
    const q = { category: 'AUTHENTICATION', languages: 'en_US,es,pt_BR', add_security_recommendation: 'true', code_expiration_minutes: '10', button_types: 'OTP' };

    it('root and Graph paths: body, footer and OTP button per language, as the template openwaba writes', async () => {
      // Each language in its own words (auth-text.ts); English and Spanish are Meta's wording.
      const expected = {
        data: [
          { body: SECURITY_BODY, buttons: [{ autofill_text: 'Autofill', text: 'Copy code' }], footer: 'This code expires in 10 minutes.', language: 'en_US' },
          { body: 'Tu código de verificación es *{{1}}*. Por tu seguridad, no lo compartas.', buttons: [{ autofill_text: 'Autocompletar', text: 'Copiar código' }], footer: 'Este código caduca en 10 minutos.', language: 'es' },
          { body: '*{{1}}* é seu código de verificação. Para sua segurança, não o compartilhe.', buttons: [{ autofill_text: 'Preencher automaticamente', text: 'Copiar código' }], footer: 'Este código expira em 10 minutos.', language: 'pt_BR' },
        ],
      };
      for (const [path, headers] of [
        ['/message_template_previews', w.key()],
        ['/message_templates/previews', w.key()],
        [`/v21.0/${source.externalId}/message_template_previews`, bearer(p.channel_api_key)],
        [`/v21.0/${source.id}/message_templates/previews`, bearer(p.channel_api_key)],
      ] as const) {
        const res = await w.t.get(path, { headers, query: q });
        expect(res.status, `${path} ${res.text}`).toBe(200);
        expect(res.body, path).toEqual(expected);
      }
      // The template made with the same options holds the same texts.
      const made = await w.t.post('/message_templates', {
        headers: w.key(),
        json: {
          name: 'login_code',
          category: 'AUTHENTICATION',
          language: 'es',
          components: [{ type: 'BODY', add_security_recommendation: true }, { type: 'FOOTER', code_expiration_minutes: 10 }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] }],
        },
      });
      expect(made.status, made.text).toBe(200);
      // GET /message_templates/{id} still answers beside the static /message_templates/previews.
      const t = (await w.t.get(`/message_templates/${made.body.id}`, { headers: w.key() })).body;
      expect(t).toMatchObject({ id: made.body.id, name: 'login_code', language: 'es', status: 'PENDING' });
      const preview = expected.data[1]!;
      expect(t.components.find((c: any) => c.type === 'BODY').text).toBe(preview.body);
      expect(t.components.find((c: any) => c.type === 'FOOTER').text).toBe(preview.footer);
      expect(t.components.find((c: any) => c.type === 'BUTTONS').buttons[0].text).toBe(preview.buttons[0]!.text);
    });

    it('options: no security line, no footer and no buttons unless asked; every language without `languages`; `language` as an alias', async () => {
      const plain = await w.t.get('/message_template_previews', { headers: w.key(), query: { category: 'authentication', language: 'de, fr,de' } });
      expect(plain.status, plain.text).toBe(200);
      expect(plain.body).toEqual({ data: [{ body: '*{{1}}* ist dein Bestätigungscode.', language: 'de' }, { body: '*{{1}}* est votre code de vérification.', language: 'fr' }] });
      const all = await w.t.get('/message_template_previews', { headers: w.key(), query: { category: 'AUTHENTICATION', code_expiration_minutes: '90', add_security_recommendation: 'false' } });
      expect(all.body.data.map((d: any) => d.language)).toEqual([...TEMPLATE_LANGUAGES]);
      // Afrikaans is not in openwaba's table of authentication texts: English, as stored.
      expect(all.body.data[0]).toEqual({ body: PLAIN_BODY, footer: 'This code expires in 90 minutes.', language: 'af' });
    });

    it('bad input: 400 naming the parameter (Meta’s body; the Partner API’s); another partner’s WABA 404', async () => {
      const cases: [Record<string, string>, string][] = [
        [{}, 'category: is required'],
        [{ category: 'MARKETING' }, 'category: only AUTHENTICATION templates have previews'],
        [{ ...q, code_expiration_minutes: '91' }, 'code_expiration_minutes: must be at most 90'],
        [{ ...q, code_expiration_minutes: 'ten' }, 'code_expiration_minutes: must be a number'],
        [{ ...q, code_expiration_minutes: '2.5' }, 'code_expiration_minutes: must be a whole number'],
        [{ ...q, languages: 'en-US' }, 'languages: must be a WhatsApp language code'],
        [{ ...q, languages: ',,' }, 'languages: must name at least one language'],
        [{ ...q, button_types: 'URL' }, 'button_types: must be OTP'],
        [{ ...q, add_security_recommendation: 'maybe' }, 'add_security_recommendation: must be true or false'],
      ];
      const partnerPath = (waba: string) => `/api/v2/partners/${p.partner_id}/waba_accounts/${waba}/waba_templates/previews`;
      for (const [query, detail] of cases) {
        expectGraphError(await w.t.get('/message_template_previews', { headers: w.key(), query }), detail);
        expectGraphError(await w.t.get(`/v21.0/${source.externalId}/message_templates/previews`, { headers: bearer(p.channel_api_key), query }), detail);
        expectPartnerError(await w.t.get(partnerPath(source.id), { headers: w.pkey(), query }), 400, detail);
      }
      const ok = await w.t.get(partnerPath(dest.id), { headers: w.pkey(), query: q });
      expect(ok.status).toBe(200);
      expect(ok.body.data.map((d: any) => d.language)).toEqual(['en_US', 'es', 'pt_BR']);
      expectPartnerError(await w.t.get(partnerPath(other.waba_account_id), { headers: w.pkey(), query: q }), 404);
      const b = await w.t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', other.waba_account_id).executeTakeFirstOrThrow();
      expectNodeNotFound(await w.t.get(`/v21.0/${b.external_id}/message_template_previews`, { headers: bearer(p.channel_api_key), query: q }), b.external_id);
    });
  });
});

describeEachDb('template migration and previews of a number on Meta’s network: asked of Meta', (kind) => {
  const WABA = '102290129340777';
  let meta: MetaNumber | undefined;
  let key: Record<string, string>;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: '106540352242777', wabaId: WABA });
    key = { 'D360-API-KEY': meta.p.channel_api_key };
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("migrate_message_templates: Meta's answer passed on; Meta's refusal in Meta's body", async () => {
    const { graph, t } = meta!;
    graph.reset();
    const answer = { migrated_templates: ['1473688840035974'], failed_templates: { '1019496902803242': 'Incorrect category' } };
    graph.respond({ status: 200, json: answer }, { status: 200, json: answer }, { status: 400, json: graphErrorBody(100, 'Unsupported post request', { subcode: 33, type: 'GraphMethodException' }) });
    const res = await t.post('/migrate_message_templates', { headers: key, json: { source_waba_id: '104996122399160', page_number: 1 } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(answer);
    const viaGraph = await t.post(`/v21.0/${WABA}/migrate_message_templates?source_waba_id=104996122399160`, { headers: bearer(meta!.p.channel_api_key) });
    expect(viaGraph.status, viaGraph.text).toBe(200);
    const refused = await t.post('/migrate_message_templates', { headers: key, json: { source_waba_id: '999', template_ids: ['35002248699842'] } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 100 });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['POST', `/${WABA}/migrate_message_templates`],
      ['POST', `/${WABA}/migrate_message_templates`],
      ['POST', `/${WABA}/migrate_message_templates`],
    ]);
    expect(graph.requests.map((r) => r.json)).toEqual([
      { source_waba_id: '104996122399160', page_number: 1, count: 500 },
      { source_waba_id: '104996122399160', page_number: 0, count: 500 },
      { source_waba_id: '999', template_ids: ['35002248699842'] },
    ]);
    // Bad input is refused here, before Meta is asked.
    expectGraphError(await t.post('/migrate_message_templates', { headers: key, json: { page_number: 0 } }), 'source_waba_id: is required');
    expect(graph.requests).toHaveLength(3);
  });

  it("message_template_previews: the parameters passed on, Meta's answer back", async () => {
    const { graph, t } = meta!;
    graph.reset();
    const answer = {
      data: [
        { body: SECURITY_BODY, buttons: [{ autofill_text: 'Autofill', text: 'Copy code' }], footer: 'This code expires in 10 minutes.', language: 'en_US' },
        { body: 'Tu código de verificación es *{{1}}*. Por tu seguridad, no lo compartas.', buttons: [{ autofill_text: 'Autocompletar', text: 'Copiar código' }], footer: 'Este código caduca en 10 minutos.', language: 'es_ES' },
      ],
    };
    graph.respond({ status: 200, json: answer }, { status: 200, json: answer });
    const query = { category: 'AUTHENTICATION', languages: 'en_US,es_ES', add_security_recommendation: 'true', code_expiration_minutes: '10', button_types: 'OTP' };
    const res = await t.get('/message_templates/previews', { headers: key, query });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(answer);
    expect((await t.get(`/v21.0/${WABA}/message_template_previews`, { headers: bearer(meta!.p.channel_api_key), query })).body).toEqual(answer);
    expect(graph.requests).toHaveLength(2);
    for (const r of graph.requests) {
      const u = new URL(r.path, 'http://graph.invalid');
      expect(u.pathname.replace(/^\/v\d+\.\d+/, '')).toBe(`/${WABA}/message_template_previews`);
      expect(Object.fromEntries(u.searchParams)).toEqual(query);
    }
  });
});
