// The Hub's Templates pages over HTTP, on both databases: the partner's templates across its
// WABAs (filters, paging), one template's components with their placeholders, creating one with
// the APIs' own validation and review, deleting one by name (one language or all) after a confirm
// page, editing one through the APIs' own editTemplate (back to review), escaping, and another
// partner's templates, which never show and cannot be touched. Also the service that lists a
// partner's WABAs for the pickers and labels (listPartnerWabas).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createClient } from '../../src/services/clients.ts';
import { createChannel } from '../../src/services/channels.ts';
import { listPartnerWabas } from '../../src/services/waba-accounts.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { HubClient, type PageResponse } from './hub-client.ts';

const REVIEW_MS = 5_000;

/** As the template engine escapes text. */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A UTILITY template body for the APIs (and, with its components as JSON, for the Hub's form). */
const utility = (name: string, text = 'Your order {{1}} has shipped.', language = 'en_US') => ({
  name,
  category: 'UTILITY',
  language,
  components: [{ type: 'BODY', text, ...(text.includes('{{1}}') ? { example: { body_text: [['A-1']] } } : {}) }],
});
const hubForm = (wabaId: string, body: { name: string; category: string; language: string; components: unknown }) => ({
  waba_account_id: wabaId,
  name: body.name,
  category: body.category,
  language: body.language,
  components: JSON.stringify(body.components),
});

describeEachDb('Partner Hub: templates', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  /** Partner A's second client and its WABA. */
  let a2Client: string;
  let a2Waba: string;
  let hub: HubClient;
  let base: string;
  const clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
  const apiTemplates = (p: BootstrapResult, waba = p.waba_account_id) => `/api/v2/partners/${p.partner_id}/waba_accounts/${waba}/waba_templates`;
  const listApi = async (p: BootstrapResult, name?: string, waba = p.waba_account_id) => {
    const res = await t.get(apiTemplates(p, waba), { headers: partnerKey(p.partner_api_key), query: name ? { filters: JSON.stringify({ name }) } : {} });
    expect(res.status).toBe(200);
    return res.body.waba_templates as any[];
  };
  const createApi = async (p: BootstrapResult, body: unknown, waba = p.waba_account_id) => {
    const res = await t.post(apiTemplates(p, waba), { headers: partnerKey(p.partner_api_key), json: body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; name: string };
  };
  const review = async () => {
    clock.advance(REVIEW_MS + 1);
    await t.jobs!.runDue();
  };
  /** The names in the list page's table, in order. */
  const names = (page: PageResponse) => [...page.html.matchAll(/<tr data-template-id="\d+">\s*<td><a href="[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);
  const rowOf = (page: PageResponse, id: string) => new RegExp(`<tr data-template-id="${id}">([\\s\\S]*?)</tr>`).exec(page.html)?.[1] ?? '';

  beforeAll(async () => {
    t = await startTestApp(kind, { dispatcher: true, clock });
    // Reviews run when a test says so (review()).
    await t.jobs!.stop();
    a = await t.tenant({ clientName: 'Acme Bakery' });
    b = await t.tenant({ clientName: 'Other Partner Client' });
    const c2 = await createClient(t.deps, a.partner_id, { name: 'Zed Florist', email: 'zed@example.com' });
    const ch2 = await createChannel(t.deps, { partnerId: a.partner_id, clientId: c2.id, phoneNumber: '4916099887766', phoneName: 'Zed', status: 'ready' });
    a2Client = c2.id;
    a2Waba = ch2.waba_account_id;
    base = `/hub/partner/${a.partner_id}`;
    hub = new HubClient(t.baseUrl);
    expect((await hub.login(a.username, a.password)).status).toBe(303);
    // Partner B's own template, which partner A must never see.
    await createApi(b, utility('b_private_offer', 'Secret {{1}} for B only.'));
  });
  afterAll(() => t?.close());

  describe('the list', () => {
    it('is in the menu, and shows the partner’s templates across its WABAs with their client', async () => {
      const home = await hub.get(base);
      expect(home.html).toContain(`<a href="${base}/templates" >Templates</a>`);
      const page = await hub.get(`${base}/templates`);
      expect(page.status).toBe(200);
      expect(page.html).toContain(`<a href="${base}/templates" aria-current="page">Templates</a>`);
      // Every new WABA has an approved hello_world: one per client of A.
      expect(names(page)).toEqual(['hello_world', 'hello_world']);
      expect(page.html).toContain('<td>Acme Bakery</td>');
      expect(page.html).toContain('<td>Zed Florist</td>');
      expect(page.html).toContain('<span class="badge approved">APPROVED</span>');
      expect(page.html).toContain('<td>en_US</td>');
      expect(page.html).toContain('<td>UTILITY</td>');
      expect(page.html).toContain('<td>2026-03-01 10:00:00 UTC</td>');
      // The WABA picker offers A's WABAs, not B's.
      expect(page.html).toContain(`<option value="${a.waba_account_id}">Acme Bakery</option>`);
      expect(page.html).toContain(`<option value="${a2Waba}">Zed Florist</option>`);
      expect(page.html).not.toContain(b.waba_account_id);
    });

    it('never shows another partner’s template: not by name, status, WABA nor id', async () => {
      const [secret] = await listApi(b, 'b_private_offer');
      for (const query of ['', '?q=b_private', '?q=offer&status=PENDING', `?waba_account_id=${b.waba_account_id}`, `?waba_account_id=${b.waba_account_id}&q=b_`, '?sort=name&limit=100']) {
        const page = await hub.get(`${base}/templates${query}`);
        expect(page.status, query).toBe(200);
        expect(page.html, query).not.toContain('b_private_offer');
        expect(page.html, query).not.toContain(secret.id);
        expect(page.html, query).not.toContain('Other Partner Client');
      }
      expect((await hub.get(`${base}/templates?waba_account_id=${b.waba_account_id}`)).html).toContain('id="no-results"');
      // B's pages themselves are B's.
      expect((await hub.get(`/hub/partner/${b.partner_id}/templates`)).status).toBe(403);
    });

    it('filters by status, by part of the name (any case) and by WABA; pages like the other lists', async () => {
      for (let i = 1; i <= 11; i++) await createApi(a, utility(`promo_${String(i).padStart(2, '0')}`), a2Waba);
      await createApi(a, utility('order_shipped'));
      const pending = await hub.get(`${base}/templates?status=PENDING&sort=name&limit=10`);
      expect(names(pending)).toEqual(['order_shipped', ...Array.from({ length: 9 }, (_, i) => `promo_0${i + 1}`)]);
      expect(pending.html).toContain('<span>1–10 of 12</span>');
      const next = /href="([^"]+)" rel="next"/.exec(pending.html)![1]!.replaceAll('&amp;', '&');
      expect(next).toContain('status=PENDING');
      expect(names(await hub.get(next))).toEqual(['promo_10', 'promo_11']);
      // 360dialog's lower-case status works too, as in the API.
      expect(names(await hub.get(`${base}/templates?status=approved`))).toEqual(['hello_world', 'hello_world']);
      expect(names(await hub.get(`${base}/templates?q=PROMO_1&sort=name`))).toEqual(['promo_10', 'promo_11']);
      expect(names(await hub.get(`${base}/templates?waba_account_id=${a.waba_account_id}&sort=name`))).toEqual(['hello_world', 'order_shipped']);
      expect(names(await hub.get(`${base}/templates?category=MARKETING`))).toEqual([]);
      // The selected filters stay selected.
      const filtered = await hub.get(`${base}/templates?waba_account_id=${a2Waba}&status=PENDING`);
      expect(filtered.html).toContain(`<option value="${a2Waba}" selected>Zed Florist</option>`);
      expect(filtered.html).toContain('<option selected>PENDING</option>');
      // "New template" from a WABA's list starts with that WABA chosen.
      expect(filtered.html).toContain(`<a class="button" href="${base}/templates/new?waba_account_id=${a2Waba}" id="new-template">`);
      // A channel's page leads to its WABA's templates.
      const channel = await hub.get(`${base}/channels/${a.channel_id}`);
      expect(channel.html).toContain(`<a href="${base}/templates?waba_account_id=${a.waba_account_id}" id="channel-templates">templates</a>`);
    });

    it('bad list parameters are clear 400 pages inside the Hub', async () => {
      for (const query of ['limit=abc', 'offset=-1', 'sort=nope', 'q=a&q=b', `status=${'x'.repeat(60)}`]) {
        const res = await hub.get(`${base}/templates?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.html, query).toContain('<nav aria-label="Hub">');
      }
    });
  });

  describe('creating', () => {
    it('offers a form prefilled with a valid example; the template is created PENDING (303 to its page), then approved by the review', async () => {
      const form = await hub.get(`${base}/templates/new?waba_account_id=${a2Waba}`);
      expect(form.status).toBe(200);
      expect(form.html).toContain(`<option value="${a2Waba}" selected>Zed Florist</option>`);
      const example = /<textarea id="t-components"[^>]*>([\s\S]*?)<\/textarea>/.exec(form.html)![1]!;
      const components = JSON.parse(example.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));

      const res = await hub.post(`${base}/templates/new`, { waba_account_id: a2Waba, name: 'order_update', language: 'de', category: 'UTILITY', components: JSON.stringify(components) });
      expect(res.status, res.html.slice(0, 500)).toBe(303);
      const [made] = await listApi(a, 'order_update', a2Waba);
      expect(made).toMatchObject({ status: 'PENDING', language: 'de', category: 'UTILITY', components, created_by: { user_id: expect.stringMatching(/./), user_name: a.username } });
      expect(res.location).toBe(`${base}/templates/${a2Waba}/${made.id}?created=1`);
      const page = await hub.follow(res);
      expect(page.html).toContain('<span class="badge pending" id="template-status">PENDING</span>');
      expect(page.html).toContain('The template is PENDING until it is reviewed');

      await review();
      const reviewed = await hub.get(`${base}/templates/${a2Waba}/${made.id}`);
      expect(reviewed.html).toContain('<span class="badge approved" id="template-status">APPROVED</span>');
      expect(reviewed.html).not.toContain('PENDING until');
      expect((await listApi(a, 'order_update', a2Waba))[0].status).toBe('APPROVED');
    });

    it('refuses what the API refuses, in the API’s words, on the form (400), creating nothing', async () => {
      const cases: { body: ReturnType<typeof utility> | Record<string, unknown>; at: string }[] = [
        { body: { ...utility('x'), name: 'Has Spaces' }, at: 't-name-error' },
        { body: { ...utility('x'), name: '' }, at: 't-name-error' },
        { body: { ...utility('bad_language'), language: 'en-US' }, at: 't-language-error' },
        { body: { ...utility('bad_category'), category: 'NEWSLETTER' }, at: 't-category-error' },
        { body: { ...utility('no_body'), components: [{ type: 'FOOTER', text: 'just a footer' }] }, at: 't-components-error' },
        { body: utility('gappy', 'Hello {{1}} and {{3}}.'), at: 't-components-error' },
        { body: { ...utility('long_body'), components: [{ type: 'BODY', text: 'x'.repeat(1025) }] }, at: 't-components-error' },
      ];
      for (const { body, at } of cases) {
        const api = await t.post(apiTemplates(a), { headers: partnerKey(a.partner_api_key), json: body });
        expect(api.status).toBe(400);
        const message = api.body.meta.developer_message as string;
        const res = await hub.post(`${base}/templates/new`, hubForm(a.waba_account_id, body as any));
        expect(res.status, message).toBe(400);
        expect(res.html, message).toContain(`<p class="error field-error" id="${at}">${esc(message)}</p>`);
        expect(res.html, message).toContain('aria-invalid="true"');
        // What was typed stays in the form.
        expect(res.html).toContain(`>${esc(JSON.stringify((body as any).components))}</textarea>`);
      }
      // Components that are not JSON at all.
      const notJson = await hub.post(`${base}/templates/new`, { ...hubForm(a.waba_account_id, utility('not_json')), components: '[{"type": "BODY",' });
      expect(notJson.status).toBe(400);
      expect(notJson.html).toMatch(/id="t-components-error">components: must be a JSON array of components/);
      // An existing name and language: the API's duplicate message, above the form.
      const dup = await hub.post(`${base}/templates/new`, hubForm(a.waba_account_id, utility('hello_world')));
      expect(dup.status).toBe(400);
      expect(dup.html).toContain(`<p class="alert" role="alert">Content in this language already exists: template name=hello_world language=en_US already exists in this WhatsApp Business Account</p>`);
      // A field sent twice (not something the form does): at that field too.
      const twice = await hub.post(`${base}/templates/new`, { ...hubForm(a.waba_account_id, utility('twice')), name: ['twice', 'twice_again'] });
      expect(twice.status).toBe(400);
      expect(twice.html).toContain('id="t-name-error">name must be given once, as text</p>');
      // The fields after it stay as typed.
      expect(twice.html).toContain('name="language" maxlength="16" required value="en_US"');
      // No WABA chosen.
      expect((await hub.post(`${base}/templates/new`, hubForm('', utility('no_waba')))).html).toContain('id="t-waba-error">waba_account_id: choose the WABA');
      const names = (await listApi(a)).map((x) => x.name);
      for (const n of ['bad_language', 'bad_category', 'no_body', 'gappy', 'long_body', 'not_json', 'twice', 'no_waba']) expect(names).not.toContain(n);
      expect(names.filter((n) => n === 'hello_world')).toHaveLength(1);
    });

    it('a components text near the field limit (60,000 characters, URL-encoded far past 64 KiB) gets the API’s refusal on the form, not a 413', async () => {
      const components = JSON.stringify([{ type: 'BODY', text: 'é'.repeat(59_900) }]);
      expect(components.length).toBeLessThanOrEqual(60_000);
      const res = await hub.post(`${base}/templates/new`, { ...hubForm(a.waba_account_id, utility('very_long_body')), components });
      expect(res.status).toBe(400);
      expect(res.html).toContain('<nav aria-label="Hub">');
      expect(res.html).toMatch(/id="t-components-error">[^<]*1024/);
      // One character more than the field takes: the Hub's own refusal, still on the form.
      const over = await hub.post(`${base}/templates/new`, { ...hubForm(a.waba_account_id, utility('too_long_field')), components: 'x'.repeat(60_001) });
      expect(over.status).toBe(400);
      expect(over.html).toContain('id="t-components-error">');
      expect((await listApi(a)).map((x) => x.name)).not.toContain('very_long_body');
    });

    it('cannot create in another partner’s WABA (it reads as none, 400 on the form)', async () => {
      const res = await hub.post(`${base}/templates/new`, hubForm(b.waba_account_id, utility('sneaky_template')));
      expect(res.status).toBe(400);
      expect(res.html).toContain(`id="t-waba-error">waba_account_id: WABA account ${b.waba_account_id} not found</p>`);
      // B's WABA is not offered as a choice either.
      expect(res.html).not.toContain(`<option value="${b.waba_account_id}"`);
      expect(await listApi(b, 'sneaky_template')).toEqual([]);
    });

    it('needs the form’s CSRF token', async () => {
      const res = await hub.postRaw(`${base}/templates/new`, hubForm(a.waba_account_id, utility('no_token')));
      expect(res.status).toBe(403);
      expect(await listApi(a, 'no_token')).toEqual([]);
    });

    it('a rejected template shows why, in the list and on its page', async () => {
      const res = await hub.post(`${base}/templates/new`, hubForm(a.waba_account_id, utility('reject_me')));
      expect(res.status).toBe(303);
      await review();
      const [rejected] = await listApi(a, 'reject_me');
      expect(rejected).toMatchObject({ status: 'REJECTED', rejected_reason: 'INVALID_FORMAT' });
      const list = await hub.get(`${base}/templates?status=REJECTED`);
      expect(names(list)).toEqual(['reject_me']);
      expect(rowOf(list, rejected.id)).toContain('<span class="badge rejected">REJECTED</span> <span class="error reason">INVALID_FORMAT</span>');
      const page = await hub.get(`${base}/templates/${a.waba_account_id}/${rejected.id}`);
      expect(page.html).toContain('<span class="error" id="template-reason">rejected: INVALID_FORMAT</span>');
    });
  });

  describe('one template', () => {
    it('shows its components with the placeholders marked, their examples, buttons and other languages', async () => {
      const body = {
        name: 'delivery_slot',
        category: 'UTILITY',
        language: 'en_US',
        components: [
          { type: 'HEADER', format: 'TEXT', text: 'Delivery for {{1}}', example: { header_text: ['Jane'] } },
          { type: 'BODY', text: 'Your parcel {{1}} arrives on {{2}}.', example: { body_text: [['P-77', 'Friday']] } },
          { type: 'FOOTER', text: 'Parcel service' },
          { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://track.example/p/{{1}}', example: ['https://track.example/p/P-77'] }, { type: 'QUICK_REPLY', text: 'Change slot' }] },
        ],
      };
      const en = await createApi(a, body);
      const de = await createApi(a, { ...body, language: 'de' });
      const page = await hub.get(`${base}/templates/${a.waba_account_id}/${en.id}`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('<strong>Delivery for <span class="placeholder">{{1}}</span></strong>');
      expect(page.html).toContain('<p class="template-text" id="template-body">Your parcel <span class="placeholder">{{1}}</span> arrives on <span class="placeholder">{{2}}</span>.</p>');
      expect(page.html).toContain('Parcel service');
      expect(page.html).toContain('<span class="badge">URL</span> <strong>Track</strong>');
      expect(page.html).toContain('https://track.example/p/<span class="placeholder">{{1}}</span>');
      expect(page.html).toContain('<span class="badge">QUICK_REPLY</span> <strong>Change slot</strong>');
      // Each placeholder with where it stands and its example.
      const examples = [...page.html.matchAll(/<tr><td><span class="placeholder">([^<]+)<\/span><\/td><td>([^<]+)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => m.slice(1));
      expect(examples).toEqual([
        ['{{1}}', 'Header', 'Jane'],
        ['{{1}}', 'Body', 'P-77'],
        ['{{2}}', 'Body', 'Friday'],
        ['{{1}}', 'Button 1 URL', 'https://track.example/p/P-77'],
      ]);
      expect(page.html).toContain(`<a href="${base}/templates/${a.waba_account_id}/${de.id}">de</a>`);
      // The stored JSON too, escaped.
      expect(page.html).toContain('&quot;text&quot;: &quot;Your parcel {{1}} arrives on {{2}}.&quot;');
      expect(page.html).toContain('<code>' + (await t.get(`/api/v2/partners/${a.partner_id}/waba_accounts/${a.waba_account_id}`, { headers: partnerKey(a.partner_api_key) })).body.namespace + '</code>');
    });

    it('a media header shows its format and sample', async () => {
      const made = await createApi(a, {
        name: 'with_image',
        category: 'MARKETING',
        language: 'en_US',
        components: [{ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2U='] } }, { type: 'BODY', text: 'New arrivals are in.' }],
      });
      const page = await hub.get(`${base}/templates/${a.waba_account_id}/${made.id}`);
      expect(page.html).toContain('<h3 id="c-header">Header <span class="muted small">IMAGE</span></h3>');
      // A handle with no file here (hub-template-sample.test.ts shows one that has): text, no image.
      expect(page.html).toContain('Sample: uploaded handle (not stored here) <code title="Sample image: an upload handle with no file on this server">4::aW1hZ2U=</code></p>');
      expect(page.html).not.toContain('<img');
      expect(page.html).not.toContain('<table id="placeholders">');
    });

    it('named placeholders show their examples by name', async () => {
      const made = await createApi(a, {
        name: 'named_params',
        category: 'MARKETING',
        language: 'en_US',
        components: [{ type: 'BODY', text: 'Hi {{first_name}}, {{discount}} off today.', example: { body_text_named_params: [{ param_name: 'discount', example: '10%' }, { param_name: 'first_name', example: 'Ann' }] } }],
      });
      const page = await hub.get(`${base}/templates/${a.waba_account_id}/${made.id}`);
      expect(page.html).toContain('<tr><td><span class="placeholder">{{first_name}}</span></td><td>Body</td><td>Ann</td></tr>');
      expect(page.html).toContain('<tr><td><span class="placeholder">{{discount}}</span></td><td>Body</td><td>10%</td></tr>');
    });

    it('escapes what was typed: component texts on its page, a refused name on the form', async () => {
      const xss = '<script>alert(1)</script>';
      const res = await hub.post(`${base}/templates/new`, hubForm(a.waba_account_id, {
        name: 'hostile_texts',
        category: 'MARKETING',
        language: 'en_US',
        components: [
          { type: 'HEADER', format: 'TEXT', text: `<b onmouseover="x()">head</b>` },
          { type: 'BODY', text: `Hi ${xss} {{1}} "quoted" & 'single'.`, example: { body_text: [[`<img src=x onerror=alert(2)>`]] } },
          { type: 'FOOTER', text: '<i>foot</i>' },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: '<u>tap</u>' }] },
        ],
      }));
      expect(res.status, res.html.slice(0, 500)).toBe(303);
      const page = await hub.follow(res);
      expect(page.html).toContain(`Hi ${esc(xss)} <span class="placeholder">{{1}}</span> &quot;quoted&quot; &amp; &#39;single&#39;.`);
      expect(page.html).toContain('&lt;img src=x onerror=alert(2)&gt;');
      expect(page.html).toContain('&lt;b onmouseover=&quot;x()&quot;&gt;head&lt;/b&gt;');
      expect(page.html).toContain('&lt;i&gt;foot&lt;/i&gt;');
      expect(page.html).toContain('&lt;u&gt;tap&lt;/u&gt;');
      for (const raw of [xss, '<img src=x', '<b onmouseover', '<i>foot', '<u>tap']) expect(page.html).not.toContain(raw);

      const refused = await hub.post(`${base}/templates/new`, hubForm(a.waba_account_id, { ...utility('x'), name: `"><script>alert(3)</script>` }));
      expect(refused.status).toBe(400);
      expect(refused.html).toContain(`value="${esc(`"><script>alert(3)</script>`)}"`);
      expect(refused.html).not.toContain('<script>alert(3)');
    });

    it('another partner’s template, or an unknown one, is a 404 page (under any WABA)', async () => {
      const [secret] = await listApi(b, 'b_private_offer');
      for (const path of [
        `/templates/${b.waba_account_id}/${secret.id}`,
        `/templates/${a.waba_account_id}/${secret.id}`,
        `/templates/${b.waba_account_id}/${secret.id}/delete`,
        `/templates/${a.waba_account_id}/${secret.id}/delete`,
        `/templates/${a.waba_account_id}/000000000000000`,
        `/templates/nope/${secret.id}`,
      ]) {
        const res = await hub.get(`${base}${path}`);
        expect(res.status, path).toBe(404);
        expect(res.html, path).toContain('<nav aria-label="Hub">');
        expect(res.html, path).not.toContain('b_private_offer');
      }
    });
  });

  describe('deleting', () => {
    it('asks first, then deletes one language or every language of the name (303 to the list)', async () => {
      const en = await createApi(a, utility('seasonal', 'Our {{1}} sale starts now.'));
      const de = await createApi(a, utility('seasonal', 'Unser {{1}} Sale beginnt.', 'de'));
      const fr = await createApi(a, utility('seasonal', 'Les soldes {{1}} commencent.', 'fr'));
      const page = await hub.get(`${base}/templates/${a.waba_account_id}/${de.id}`);
      expect(page.html).toContain(`<a class="button danger" href="${base}/templates/${a.waba_account_id}/${de.id}/delete" id="delete-template">`);
      const confirm = await hub.get(`${base}/templates/${a.waba_account_id}/${de.id}/delete`);
      expect(confirm.status).toBe(200);
      expect(confirm.html).toContain(`<input type="radio" name="hsm_id" id="delete-one" value="${de.id}" checked> Only de`);
      expect(confirm.html).toContain('All 3 languages (de, en_US, fr)');
      // Opening the confirm page deleted nothing.
      expect((await listApi(a, 'seasonal')).map((x) => x.language).sort()).toEqual(['de', 'en_US', 'fr']);

      const one = await hub.post(`${base}/templates/delete`, { waba_account_id: a.waba_account_id, name: 'seasonal', hsm_id: de.id });
      expect(one.status).toBe(303);
      expect(one.location).toBe(`${base}/templates?waba_account_id=${a.waba_account_id}&deleted=seasonal`);
      expect((await hub.follow(one)).html).toContain('<p class="notice" role="status">Template “seasonal” deleted.</p>');
      expect((await listApi(a, 'seasonal')).map((x) => x.id).sort()).toEqual([en.id, fr.id].sort());
      // The notice names only what a template name can be: a hand-made link shows none.
      const forged = await hub.get(`${base}/templates?deleted=${encodeURIComponent('<b>all</b> your templates')}`);
      expect(forged.status).toBe(200);
      expect(forged.html).not.toContain('class="notice"');

      const all = await hub.post(`${base}/templates/delete`, { waba_account_id: a.waba_account_id, name: 'seasonal', hsm_id: '' });
      expect(all.status).toBe(303);
      expect(await listApi(a, 'seasonal')).toEqual([]);
      // Again: nothing left by that name, the API's 404.
      const again = await hub.post(`${base}/templates/delete`, { waba_account_id: a.waba_account_id, name: 'seasonal' });
      expect(again.status).toBe(404);
      expect(again.html).toContain('Message template not found: name=seasonal');
    });

    it('one language only: the confirm page offers no choice, but names that language, so one created meanwhile stays', async () => {
      const only = await createApi(a, utility('lonely'));
      const confirm = await hub.get(`${base}/templates/${a.waba_account_id}/${only.id}/delete`);
      expect(confirm.html).not.toContain('type="radio"');
      expect(confirm.html).toContain(`<input type="hidden" name="hsm_id" value="${only.id}">`);
      expect(confirm.html).toContain('deleted in its one language, en_US');
      // Another language of the name, created after the confirm page was shown.
      const later = await createApi(a, { ...utility('lonely'), language: 'de' });
      expect((await hub.post(`${base}/templates/delete`, { waba_account_id: a.waba_account_id, name: 'lonely', hsm_id: only.id })).status).toBe(303);
      expect((await listApi(a, 'lonely')).map((x) => x.id)).toEqual([later.id]);
    });

    it('needs the CSRF token, and never reaches another partner’s template', async () => {
      const mine = await createApi(a, utility('keep_me'));
      expect((await hub.postRaw(`${base}/templates/delete`, { waba_account_id: a.waba_account_id, name: 'keep_me' })).status).toBe(403);
      expect((await hub.postRaw(`${base}/templates/delete`, { waba_account_id: a.waba_account_id, name: 'keep_me', _csrf: 'x'.repeat(hub.csrf!.length) })).status).toBe(403);
      expect((await listApi(a, 'keep_me')).map((x) => x.id)).toEqual([mine.id]);

      const [secret] = await listApi(b, 'b_private_offer');
      const viaB = await hub.post(`${base}/templates/delete`, { waba_account_id: b.waba_account_id, name: 'b_private_offer' });
      expect(viaB.status).toBe(404);
      const viaA = await hub.post(`${base}/templates/delete`, { waba_account_id: a.waba_account_id, name: 'b_private_offer', hsm_id: secret.id });
      expect(viaA.status).toBe(404);
      // On B's own pages: 403, with or without A's token.
      expect((await hub.post(`/hub/partner/${b.partner_id}/templates/delete`, { waba_account_id: b.waba_account_id, name: 'b_private_offer' })).status).toBe(403);
      expect((await listApi(b, 'b_private_offer')).map((x) => x.id)).toEqual([secret.id]);
      // Nor does an id of B's with A's own template name touch anything but A's.
      expect((await hub.post(`${base}/templates/delete`, { waba_account_id: a.waba_account_id, name: 'keep_me', hsm_id: secret.id })).status).toBe(404);
      expect((await listApi(a, 'keep_me')).map((x) => x.id)).toEqual([mine.id]);
    });

    it('the form addresses answer a GET with the page the form is on', async () => {
      const del = await hub.get(`${base}/templates/delete`);
      expect(del.status).toBe(303);
      expect(del.location).toBe(`${base}/templates`);
      const create = await hub.get(`${base}/templates/new`);
      expect(create.status).toBe(200);
      expect(create.html).toContain('<h1>New template</h1>');
    });
  });
  describe('editing', () => {
    const editPath = (id: string, waba = a.waba_account_id) => `${base}/templates/${waba}/${id}/edit`;
    /** The partner API's edit of a template, for comparing its answer with the Hub's. */
    const patchApi = (p: BootstrapResult, id: string, body: unknown, waba = p.waba_account_id) => t.patch(`${apiTemplates(p, waba)}/${id}`, { headers: partnerKey(p.partner_api_key), json: body });
    const fixed = [{ type: 'BODY', text: 'Your code is {{1}}, valid today.', example: { body_text: [['4711']] } }];

    it('fixes a rejected template: the form holds what is stored, a save sends it back to review, and the sandbox approves it', async () => {
      // Two placeholders side by side: the sandbox's review rejects it. (One that begins with a
      // placeholder is refused at creation, as Meta refuses it.)
      const made = await createApi(a, { ...utility('fix_me'), components: [{ type: 'BODY', text: 'Your code {{1}} {{2}} is ready.', example: { body_text: [['A', 'B']] } }] });
      await review();
      const [stored] = await listApi(a, 'fix_me');
      expect(stored).toMatchObject({ status: 'REJECTED', rejected_reason: 'INVALID_FORMAT' });

      const page = await hub.get(`${base}/templates/${a.waba_account_id}/${made.id}`);
      expect(page.html).toContain(`<a class="button" href="${editPath(made.id)}" id="edit-template">Edit…</a>`);
      const form = await hub.get(editPath(made.id));
      expect(form.status).toBe(200);
      expect(form.html).toContain('<h1>Edit template fix_me <span class="muted">en_US</span></h1>');
      expect(form.html).toContain(`<form method="post" action="${editPath(made.id)}" class="card" novalidate>`);
      expect(form.html).toContain('<span class="badge rejected" id="template-status">REJECTED</span>');
      // Its category, shown and kept; its components as stored, escaped in the textarea.
      expect(form.html).toContain('<input type="text" id="t-category" name="category" readonly value="UTILITY"');
      expect(form.html).toContain(`>${esc(JSON.stringify(stored.components, null, 2))}</textarea>`);
      // What an edit cannot change is not on the form.
      for (const name of ['name', 'language', 'waba_account_id']) expect(form.html).not.toContain(`name="${name}"`);

      const save = await hub.post(editPath(made.id), { category: 'UTILITY', components: JSON.stringify(fixed) });
      expect(save.status, save.html.slice(0, 500)).toBe(303);
      expect(save.location).toBe(`${base}/templates/${a.waba_account_id}/${made.id}?edited=1`);
      const after = await hub.follow(save);
      expect(after.html).toContain('<span class="badge pending" id="template-status">PENDING</span>');
      expect(after.html).toContain('<p class="notice" role="status">Saved. An edit sends a template back to review: it is PENDING until it is reviewed (the sandbox decides after 5 s); reload to see the result.</p>');
      expect(after.html).toContain('Your code is <span class="placeholder">{{1}}</span>, valid today.');
      // In review it cannot be edited (the service's rule, in its words), so no Edit is offered.
      expect(after.html).not.toContain('id="edit-template"');
      expect(after.html).toContain(`<p class="muted" id="edit-locked">Not editable now: template id=${made.id} is PENDING; only APPROVED, REJECTED or PAUSED templates can be edited.</p>`);
      // The APIs see the same template (same id) changed, by the signed-in hub user.
      const [edited] = await listApi(a, 'fix_me');
      expect(edited).toMatchObject({ id: made.id, category: 'UTILITY', status: 'PENDING', rejected_reason: 'NONE', components: fixed, modified_by: { user_name: a.username } });

      await review();
      expect((await listApi(a, 'fix_me'))[0]).toMatchObject({ status: 'APPROVED', components: fixed });
      const approved = await hub.get(`${base}/templates/${a.waba_account_id}/${made.id}?edited=1`);
      expect(approved.html).toContain('<span class="badge approved" id="template-status">APPROVED</span>');
      expect(approved.html).not.toContain('class="notice"');
      expect(approved.html).toContain('id="edit-template"');
    });

    it('an approved template goes back to review too, even saved unchanged', async () => {
      const made = await createApi(a, utility('resubmitted'));
      await review();
      const [stored] = await listApi(a, 'resubmitted');
      expect(stored.status).toBe('APPROVED');
      const save = await hub.post(editPath(made.id), { category: 'UTILITY', components: JSON.stringify(stored.components) });
      expect(save.status).toBe(303);
      expect((await listApi(a, 'resubmitted'))[0]).toMatchObject({ status: 'PENDING', components: stored.components });
      await review();
      expect((await listApi(a, 'resubmitted'))[0].status).toBe('APPROVED');
    });

    it('a template in review cannot be edited: its page says why instead of a form, and a save is refused in the API’s words', async () => {
      const made = await createApi(a, utility('in_review'));
      const apiRefusal = await patchApi(a, made.id, { components: fixed });
      expect(apiRefusal.status).toBe(400);
      const message = apiRefusal.body.meta.developer_message as string;
      expect(message).toBe(`template id=${made.id} is PENDING; only APPROVED, REJECTED or PAUSED templates can be edited`);

      const form = await hub.get(editPath(made.id));
      expect(form.status).toBe(200);
      expect(form.html).toContain(`<p class="alert" role="alert">${esc(message)}</p>`);
      expect(form.html).not.toContain(`action="${editPath(made.id)}"`);
      expect(form.html).not.toContain('name="components"');
      expect(form.html).toContain(`<a class="button secondary" href="${base}/templates/${a.waba_account_id}/${made.id}" id="back-to-template">`);

      // A save posted anyway (a form opened before the template went into review): 400, what was typed kept.
      const save = await hub.post(editPath(made.id), { category: 'UTILITY', components: JSON.stringify(fixed) });
      expect(save.status).toBe(400);
      expect(save.html).toContain(`<p class="alert" role="alert">${esc(message)}</p>`);
      expect(save.html).toContain(`>${esc(JSON.stringify(fixed))}</textarea>`);
      const [unchanged] = await listApi(a, 'in_review');
      expect(unchanged.components).toEqual(utility('in_review').components);
      await review();
    });

    it('refuses what the API’s edit refuses, in its words, on the form (400), changing nothing', async () => {
      const made = await createApi(a, utility('edit_refusals'));
      await review();
      const [before] = await listApi(a, 'edit_refusals');
      expect(before.status).toBe('APPROVED');
      const cases: { body: { category?: string; components: unknown }; at: string }[] = [
        // The category field is read-only; a changed one (not something the form sends) is the service's to refuse.
        { body: { category: 'MARKETING', components: fixed }, at: 't-category-error' },
        { body: { components: [{ type: 'FOOTER', text: 'just a footer' }] }, at: 't-components-error' },
        { body: { components: [{ type: 'BODY', text: 'Hello {{1}} and {{3}}.' }] }, at: 't-components-error' },
        { body: { components: [{ type: 'BODY', text: `<b>${'x'.repeat(1025)}</b>` }] }, at: 't-components-error' },
      ];
      for (const { body, at } of cases) {
        const api = await patchApi(a, made.id, body);
        expect(api.status).toBe(400);
        const message = api.body.meta.developer_message as string;
        const res = await hub.post(editPath(made.id), { category: body.category ?? 'UTILITY', components: JSON.stringify(body.components) });
        expect(res.status, message).toBe(400);
        expect(res.html, message).toContain(`<p class="error field-error" id="${at}">${esc(message)}</p>`);
        expect(res.html, message).toContain('aria-invalid="true"');
        // The components stay as typed (escaped); the category shows the template's, which a save keeps.
        expect(res.html, message).toContain(`>${esc(JSON.stringify(body.components))}</textarea>`);
        expect(res.html, message).toContain('name="category" readonly value="UTILITY"');
      }
      expect((await hub.post(editPath(made.id), { category: 'MARKETING', components: JSON.stringify(fixed) })).html).toContain(
        'id="t-category-error">category: cannot be changed by an edit (the template is UTILITY); create a new template instead</p>',
      );
      const notJson = await hub.post(editPath(made.id), { category: 'UTILITY', components: '[{"type": "BODY", "text": "<i>' });
      expect(notJson.status).toBe(400);
      expect(notJson.html).toMatch(/id="t-components-error">components: must be a JSON array of components/);
      expect(notJson.html).toContain(`>${esc('[{"type": "BODY", "text": "<i>')}</textarea>`);
      const twice = await hub.post(editPath(made.id), { category: 'UTILITY', components: [JSON.stringify(fixed), '[]'] });
      expect(twice.status).toBe(400);
      expect(twice.html).toContain('id="t-components-error">components must be given once, as text</p>');
      expect((await listApi(a, 'edit_refusals'))[0]).toEqual(before);
    });

    it('needs the CSRF token, and never reaches another partner’s template (404 page)', async () => {
      const made = await createApi(a, utility('csrf_edit'));
      await review();
      const [before] = await listApi(a, 'csrf_edit');
      const form = { category: 'UTILITY', components: JSON.stringify(fixed) };
      expect((await hub.postRaw(editPath(made.id), form)).status).toBe(403);
      expect((await hub.postRaw(editPath(made.id), { ...form, _csrf: 'x'.repeat(hub.csrf!.length) })).status).toBe(403);
      expect((await listApi(a, 'csrf_edit'))[0]).toEqual(before);

      // B's template could be edited by B (it is APPROVED): to A it is not there at all.
      const [secret] = await listApi(b, 'b_private_offer');
      expect(secret.status).toBe('APPROVED');
      for (const path of [editPath(secret.id, b.waba_account_id), editPath(secret.id, a.waba_account_id)]) {
        for (const res of [await hub.get(path), await hub.post(path, form)]) {
          expect(res.status, path).toBe(404);
          expect(res.html, path).toContain('<nav aria-label="Hub">');
          expect(res.html, path).not.toContain('b_private_offer');
          expect(res.html, path).not.toContain('Secret');
        }
      }
      // On B's own pages: 403.
      expect((await hub.post(`/hub/partner/${b.partner_id}/templates/${b.waba_account_id}/${secret.id}/edit`, form)).status).toBe(403);
      expect((await listApi(b, 'b_private_offer'))[0]).toEqual(secret);
    });
  });

  describe('the partner’s WABAs (listPartnerWabas: the pickers’ choices and the rows’ labels)', () => {
    it('lists the partner’s WABAs by client name, with their client; never another partner’s', async () => {
      const mine = [
        { id: a.waba_account_id, name: 'Acme Bakery', client_id: a.client_id, client_name: 'Acme Bakery' },
        { id: a2Waba, name: 'Zed Florist', client_id: a2Client, client_name: 'Zed Florist' },
      ];
      expect(await listPartnerWabas(t.deps, a.partner_id)).toEqual(mine);
      expect(await listPartnerWabas(t.deps, b.partner_id)).toEqual([{ id: b.waba_account_id, name: 'Other Partner Client', client_id: b.client_id, client_name: 'Other Partner Client' }]);
      // These ids only (once each): another partner's is left out.
      expect(await listPartnerWabas(t.deps, a.partner_id, { ids: [a2Waba, b.waba_account_id, a2Waba] })).toEqual([mine[1]]);
      expect(await listPartnerWabas(t.deps, a.partner_id, { ids: [] })).toEqual([]);
      // `include` adds nothing that is listed already, nor another partner's WABA.
      expect(await listPartnerWabas(t.deps, a.partner_id, { include: a2Waba })).toEqual(mine);
      expect(await listPartnerWabas(t.deps, a.partner_id, { include: b.waba_account_id })).toEqual(mine);
    });
  });
});
