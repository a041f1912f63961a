// The Hub's Flows pages over HTTP, on both databases: the partner's flows across its WABAs
// (filters by name, status and WABA; paging), one flow with its fields, validation errors and its
// Flow JSON pretty-printed and escaped, publish / deprecate / delete after a confirm page
// (post/redirect/get, the result told once through a flash), refusals in the Partner API's own
// words, creating a flow, editing a DRAFT's name, categories and endpoint URI, uploading its Flow
// JSON from a textarea within the Hub's form body limit, and another partner's flows, which never
// show and cannot be touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createClient } from '../../src/services/clients.ts';
import { createChannel } from '../../src/services/channels.ts';
import { MAX_HUB_FLOW_JSON_CHARS } from '../../src/web/hub/flow-json-text.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { HubClient, type PageResponse } from './hub-client.ts';
import { MINIMAL_FLOW_JSON } from '../helpers/flows.ts';

/** As the template engine escapes text. */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const unesc = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const FLOW_JSON = MINIMAL_FLOW_JSON;
/** The Hub's form body limit (web/plugin.ts); the flow forms take more (LONG_TEXT_FORM_BODY_LIMIT). */
const FORM_BODY_LIMIT = 64 * 1024;
/** 0 → A, 25 → Z, 26 → AA: a number in a screen id, which takes letters and underscores only. */
const letters = (i: number): string => (i < 26 ? '' : letters(Math.floor(i / 26) - 1)) + String.fromCharCode(65 + (i % 26));

describeEachDb('Partner Hub: flows', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  /** Partner A's second client's WABA. */
  let a2Waba: string;
  let hub: HubClient;
  let base: string;
  const clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
  const apiFlows = (p: BootstrapResult, waba = p.waba_account_id) => `/api/v2/partners/${p.partner_id}/waba_accounts/${waba}/flows`;
  const auth = (p: BootstrapResult) => ({ headers: partnerKey(p.partner_api_key) });
  const createApi = async (p: BootstrapResult, body: Record<string, unknown>, waba = p.waba_account_id) => {
    clock.advance(1000);
    const res = await t.post(apiFlows(p, waba), { ...auth(p), json: { categories: ['OTHER'], ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };
  const getApi = async (p: BootstrapResult, id: string, waba = p.waba_account_id) =>
    t.get(`${apiFlows(p, waba)}/${id}`, { ...auth(p), query: { fields: 'name,status,categories,validation_errors,json_version,endpoint_uri' } });
  const flowPage = (id: string, waba = a.waba_account_id) => `${base}/flows/${waba}/${id}`;
  /** The names in the list page's table, in order. */
  const names = (page: PageResponse) => [...page.html.matchAll(/<tr data-flow-id="\d+">\s*<td><a href="[^"]+">([^<]+)<\/a>/g)].map((m) => unesc(m[1]!));
  const notice = (page: PageResponse) => /<p class="notice" role="status">([^<]*)<\/p>/.exec(page.html)?.[1];
  const alert = (page: PageResponse) => /<p class="alert" role="alert">([^<]*)<\/p>/.exec(page.html)?.[1];

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant({ clientName: 'Acme Bakery' });
    b = await t.tenant({ clientName: 'Other Partner Client' });
    const c2 = await createClient(t.deps, a.partner_id, { name: 'Zed Florist', email: 'zed@example.com' });
    const ch2 = await createChannel(t.deps, { partnerId: a.partner_id, clientId: c2.id, phoneNumber: '4916099887766', phoneName: 'Zed', status: 'ready' });
    a2Waba = ch2.waba_account_id;
    base = `/hub/partner/${a.partner_id}`;
    hub = new HubClient(t.baseUrl);
    expect((await hub.login(a.username, a.password)).status).toBe(303);
    // Partner B's own flow, which partner A must never see.
    await createApi(b, { name: 'b secret flow', flow_json: JSON.stringify(FLOW_JSON) });
  });
  afterAll(() => t?.close());

  describe('the list', () => {
    it('is in the menu, and shows the partner’s flows across its WABAs with their client', async () => {
      await createApi(a, { name: 'Sign up', categories: ['SIGN_UP', 'OTHER'] });
      await createApi(a, { name: 'Book a slot', categories: ['APPOINTMENT_BOOKING'] }, a2Waba);
      const home = await hub.get(base);
      expect(home.html).toContain(`<a href="${base}/flows" >Flows</a>`);
      const page = await hub.get(`${base}/flows`);
      expect(page.status).toBe(200);
      expect(page.html).toContain(`<a href="${base}/flows" aria-current="page">Flows</a>`);
      expect(names(page)).toEqual(['Book a slot', 'Sign up']);
      expect(page.html).toContain('<td>Zed Florist</td>');
      expect(page.html).toContain('<td>Acme Bakery</td>');
      expect(page.html).toContain('<span class="badge draft">DRAFT</span>');
      expect(page.html).toContain('<td>SIGN_UP, OTHER</td>');
      expect(page.html).toContain('<td>2026-03-01 10:00:0');
      expect(page.html).toContain(`<option value="${a.waba_account_id}">Acme Bakery</option>`);
      expect(page.html).toContain(`<option value="${a2Waba}">Zed Florist</option>`);
      expect(page.html).not.toContain(b.waba_account_id);
      expect(page.html).not.toContain('b secret flow');
    });

    it('filters by part of the name (any case), by status (either case) and by WABA; pages with the filters kept', async () => {
      for (let i = 1; i <= 11; i++) await createApi(a, { name: `Survey ${String(i).padStart(2, '0')}`, categories: ['SURVEY'] }, a2Waba);
      const published = await createApi(a, { name: 'Survey live', flow_json: JSON.stringify(FLOW_JSON), publish: true });
      const survey = await hub.get(`${base}/flows?q=SURVEY&sort=name&limit=10`);
      expect(names(survey)).toEqual(Array.from({ length: 10 }, (_, i) => `Survey ${String(i + 1).padStart(2, '0')}`));
      expect(survey.html).toContain('<span>1–10 of 12</span>');
      const next = unesc(/href="([^"]+)" rel="next"/.exec(survey.html)![1]!);
      expect(next).toContain('q=SURVEY');
      const second = await hub.get(next);
      expect(names(second)).toEqual(['Survey 11', 'Survey live']);
      expect(second.html).toContain(`<a href="${flowPage(published)}">Survey live</a>`);
      expect(names(await hub.get(`${base}/flows?status=PUBLISHED`))).toEqual(['Survey live']);
      expect(names(await hub.get(`${base}/flows?status=published`))).toEqual(['Survey live']);
      expect(names(await hub.get(`${base}/flows?waba_account_id=${a.waba_account_id}&sort=name`))).toEqual(['Sign up', 'Survey live']);
      expect(names(await hub.get(`${base}/flows?waba_account_id=${a2Waba}&q=book`))).toEqual(['Book a slot']);
      expect((await hub.get(`${base}/flows?status=DEPRECATED`)).html).toContain('id="no-results"');
      // The selected filters stay selected; "New flow" from a WABA's list starts with that WABA.
      const filtered = await hub.get(`${base}/flows?waba_account_id=${a2Waba}&status=DRAFT`);
      expect(filtered.html).toContain(`<option value="${a2Waba}" selected>Zed Florist</option>`);
      expect(filtered.html).toContain('<option selected>DRAFT</option>');
      expect(filtered.html).toContain(`<a class="button" href="${base}/flows/new?waba_account_id=${a2Waba}" id="new-flow">`);
    });

    it('never shows another partner’s flow: not by name, status, WABA nor id', async () => {
      const [secret] = (await t.get(apiFlows(b), auth(b))).body.flows;
      for (const query of ['', '?q=secret', '?status=DRAFT', `?waba_account_id=${b.waba_account_id}`, `?waba_account_id=${b.waba_account_id}&q=b`, '?sort=name&limit=100']) {
        const page = await hub.get(`${base}/flows${query}`);
        expect(page.status, query).toBe(200);
        expect(page.html, query).not.toContain('b secret flow');
        expect(page.html, query).not.toContain(secret.id);
        expect(page.html, query).not.toContain('Other Partner Client');
      }
      expect((await hub.get(`${base}/flows?waba_account_id=${b.waba_account_id}`)).html).toContain('id="no-results"');
      expect((await hub.get(`/hub/partner/${b.partner_id}/flows`)).status).toBe(403);
    });

    it('bad list parameters are clear 400 pages inside the Hub', async () => {
      for (const query of ['limit=abc', 'offset=-1', 'sort=nope', 'sort=constructor', 'q=a&q=b', `status=${'x'.repeat(60)}`]) {
        const res = await hub.get(`${base}/flows?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.html, query).toContain('<nav aria-label="Hub">');
      }
    });
  });

  describe('one flow', () => {
    it('shows its fields and its Flow JSON pretty-printed, escaped, and downloadable', async () => {
      const hostile = { ...FLOW_JSON, screens: [{ ...FLOW_JSON.screens[0]!, title: '</pre><script>alert(1)</script> & "more"' }] };
      const id = await createApi(a, { name: '<b>Bold</b> signup', categories: ['SIGN_UP', 'LEAD_GENERATION'], endpoint_uri: 'https://flows.example.com/x?a=1&b=2', flow_json: JSON.stringify(hostile) });
      const page = await hub.get(flowPage(id));
      expect(page.status).toBe(200);
      expect(page.html).toContain(`<h1>${esc('<b>Bold</b> signup')}</h1>`);
      expect(page.html).toContain('<span class="badge draft" id="flow-status">DRAFT</span>');
      expect(page.html).toContain('<dd id="flow-categories">SIGN_UP, LEAD_GENERATION</dd>');
      expect(page.html).toContain(`<code id="flow-id">${id}</code>`);
      expect(page.html).toContain('<dd id="flow-endpoint"><code>https://flows.example.com/x?a=1&amp;b=2</code></dd>');
      expect(page.html).toContain('<dd id="flow-json-version">7.0</dd>');
      expect(page.html).toContain('<dd id="flow-data-api-version">—</dd>');
      expect(page.html).toContain('Acme Bakery');
      const shown = /<pre class="payload" id="flow-json"[^>]*>([\s\S]*?)<\/pre>/.exec(page.html)![1]!;
      expect(shown).toBe(esc(JSON.stringify(hostile, null, 2)));
      expect(shown).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\&quot;more\\&quot;');
      expect(page.html).not.toContain('<script>alert(1)');
      expect(page.html).not.toContain('<b>Bold</b>');
      // A DRAFT offers the textarea (holding its JSON), publish and delete; not deprecate.
      expect(unesc(/<textarea id="fl-json"[^>]*>([\s\S]*?)<\/textarea>/.exec(page.html)![1]!)).toBe(JSON.stringify(hostile, null, 2));
      expect(page.html).toContain(`href="${flowPage(id)}/publish" id="publish-flow"`);
      expect(page.html).toContain(`href="${flowPage(id)}/delete" id="delete-flow"`);
      expect(page.html).not.toContain('id="deprecate-flow"');

      const download = await hub.get(`${flowPage(id)}/flow.json`);
      expect(download.status).toBe(200);
      expect(download.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(download.headers['content-disposition']).toBe('attachment; filename="flow.json"');
      expect(download.headers['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(download.html)).toEqual(hostile);
    });

    it('a flow without Flow JSON says so and offers an example; its validation errors are listed', async () => {
      const empty = await createApi(a, { name: 'No JSON yet' });
      const page = await hub.get(flowPage(empty));
      expect(page.html).toContain('id="no-flow-json">No Flow JSON yet.</p>');
      expect(page.html).toContain('The flow has no Flow JSON yet: the form holds an example to start from.');
      expect(page.html).not.toContain('id="download-flow-json"');
      expect((await hub.get(`${flowPage(empty)}/flow.json`)).status).toBe(404);

      const broken = await createApi(a, { name: 'Broken JSON', flow_json: '{\n  "version": "7.0",\n  "screens": [,]\n}' });
      const errors = (await getApi(a, broken)).body.validation_errors;
      const shown = await hub.get(flowPage(broken));
      expect(shown.html).toContain('<table id="validation-errors"');
      expect(shown.html).toContain(`<tr><td><code>INVALID_FLOW_JSON</code></td><td>${esc(errors[0].message)}</td><td>line 3, column 15</td></tr>`);
      // Not JSON: shown as stored.
      expect(shown.html).toContain('<pre class="payload" id="flow-json" tabindex="0" aria-label="Flow JSON">{\n  &quot;version&quot;: &quot;7.0&quot;,\n  &quot;screens&quot;: [,]\n}</pre>');
      expect((await hub.get(`${base}/flows?q=broken`)).html).toContain('<span class="error reason">1 validation error</span>');
    });

    it('a Flow JSON too big to show is downloaded instead; one nested too deep is shown as stored, at once', async () => {
      const screens = Array.from({ length: 3000 }, (_, i) => ({ id: `S${i}`, title: `Screen number ${i} of a long flow`, layout: { type: 'SingleColumnLayout', children: [] } }));
      const bigJson = JSON.stringify({ version: '7.0', screens });
      expect(bigJson.length).toBeGreaterThan(256 * 1024);
      const big = await createApi(a, { name: 'Too big to show', flow_json: bigJson });
      const page = await hub.get(flowPage(big));
      expect(page.status).toBe(200);
      expect(page.html).toContain(`id="flow-json-too-big">The Flow JSON (${bigJson.length.toLocaleString('en')} bytes) is too big to show here.</p>`);
      expect(page.html).not.toContain('id="flow-json"');
      expect(page.html).toContain(`The stored Flow JSON (${bigJson.length.toLocaleString('en')} characters) is longer than this form takes`);
      expect(page.html.length).toBeLessThan(64 * 1024);
      expect((await hub.get(`${flowPage(big)}/flow.json`)).html).toBe(bigJson);

      // 50,000 levels: pretty-printing would indent its lines by up to 100,000 spaces each.
      const deepJson = `{"version":"7.0","screens":[${'['.repeat(50_000)}${']'.repeat(50_000)}]}`;
      const deep = await createApi(a, { name: 'Deep', flow_json: deepJson });
      const deepPage = await hub.get(flowPage(deep));
      expect(deepPage.status).toBe(200);
      expect(deepPage.ms).toBeLessThan(2000);
      expect(deepPage.html).toContain(`aria-label="Flow JSON">${esc(deepJson)}</pre>`);
    });

    it('another partner’s flow, or an unknown one, is a 404 page (under any WABA)', async () => {
      const [secret] = (await t.get(apiFlows(b), auth(b))).body.flows;
      for (const path of [
        `/flows/${b.waba_account_id}/${secret.id}`,
        `/flows/${a.waba_account_id}/${secret.id}`,
        `/flows/${b.waba_account_id}/${secret.id}/flow.json`,
        `/flows/${a.waba_account_id}/${secret.id}/flow.json`,
        `/flows/${a.waba_account_id}/${secret.id}/publish`,
        `/flows/${b.waba_account_id}/${secret.id}/delete`,
        `/flows/${a.waba_account_id}/0000000000000000`,
        `/flows/nope/${secret.id}`,
      ]) {
        const res = await hub.get(`${base}${path}`);
        expect(res.status, path).toBe(404);
        expect(res.html, path).toContain('<nav aria-label="Hub">');
        expect(res.html, path).not.toContain('b secret flow');
      }
    });
  });

  describe('publish, deprecate, delete', () => {
    it('each asks first, then acts (303), and the page it lands on tells what was done, once', async () => {
      const id = await createApi(a, { name: 'Lifecycle', flow_json: JSON.stringify(FLOW_JSON) });
      const confirm = await hub.get(`${flowPage(id)}/publish`);
      expect(confirm.status).toBe(200);
      expect(confirm.html).toContain('<h1>Publish flow Lifecycle?</h1>');
      expect(confirm.html).toContain(`<form method="post" action="${flowPage(id)}/publish" class="card">`);
      expect(confirm.html).toContain('id="confirm-publish">Publish</button>');
      expect((await getApi(a, id)).body.status).toBe('DRAFT');

      const published = await hub.post(`${flowPage(id)}/publish`);
      expect(published.status).toBe(303);
      expect(published.location).toBe(`${flowPage(id)}?done=1`);
      expect(published.headers['set-cookie']).toBeUndefined();
      expect((await getApi(a, id)).body.status).toBe('PUBLISHED');
      const landed = await hub.follow(published);
      expect(notice(landed)).toBe('Flow “Lifecycle” published.');
      expect(landed.html).toContain('<span class="badge published" id="flow-status">PUBLISHED</span>');
      // A published flow: no textarea, no publish or delete; deprecate instead.
      expect(landed.html).not.toContain('id="flow-json-form"');
      expect(landed.html).toContain(`href="${flowPage(id)}/deprecate" id="deprecate-flow"`);
      expect(landed.html).not.toContain('id="publish-flow"');
      // A reload tells nothing more (the flash was taken), and posts nothing.
      expect(notice(await hub.get(published.location!))).toBeUndefined();

      expect((await hub.get(`${flowPage(id)}/deprecate`)).html).toContain('A deprecated flow can no longer be sent');
      const deprecated = await hub.post(`${flowPage(id)}/deprecate`);
      expect(deprecated.status).toBe(303);
      expect(notice(await hub.follow(deprecated))).toBe('Flow “Lifecycle” deprecated.');
      expect((await getApi(a, id)).body.status).toBe('DEPRECATED');

      const draft = await createApi(a, { name: 'Short lived' }, a2Waba);
      expect((await hub.get(`${flowPage(draft, a2Waba)}/delete`)).html).toContain('The flow and its Flow JSON are deleted.');
      const deleted = await hub.post(`${flowPage(draft, a2Waba)}/delete`);
      expect(deleted.status).toBe(303);
      expect(deleted.location).toBe(`${base}/flows?waba_account_id=${a2Waba}&done=1`);
      const list = await hub.follow(deleted);
      expect(notice(list)).toBe('Flow “Short lived” deleted.');
      expect(names(list)).not.toContain('Short lived');
      expect((await getApi(a, draft, a2Waba)).status).toBe(404);
      // A notice in the URL alone shows nothing: it comes from the session's flash only.
      expect(notice(await hub.get(`${base}/flows?done=1&notice=hacked`))).toBeUndefined();
    });

    it('refuses what the API refuses, in the API’s words, on the confirm page (400), changing nothing', async () => {
      const noJson = await createApi(a, { name: 'Unpublishable' });
      const bad = await createApi(a, { name: 'With errors', flow_json: '{"version":"7.0","screens":[]}' });
      const live = await createApi(a, { name: 'Live one', flow_json: JSON.stringify(FLOW_JSON), publish: true });
      const cases: [id: string, action: string, api: () => Promise<{ status: number; body: any }>][] = [
        [noJson, 'publish', () => t.post(`${apiFlows(a)}/${noJson}/publish`, auth(a))],
        [bad, 'publish', () => t.post(`${apiFlows(a)}/${bad}/publish`, auth(a))],
        [noJson, 'deprecate', () => t.post(`${apiFlows(a)}/${noJson}/deprecate`, auth(a))],
        [live, 'delete', () => t.delete(`${apiFlows(a)}/${live}`, auth(a))],
        [live, 'publish', () => t.post(`${apiFlows(a)}/${live}/publish`, auth(a))],
      ];
      for (const [id, action, api] of cases) {
        const refusedByApi = await api();
        expect(refusedByApi.status).toBe(400);
        const message = refusedByApi.body.meta.developer_message as string;
        expect(message).toMatch(/^\(#13900\d\) /);
        const res = await hub.post(`${flowPage(id)}/${action}`);
        expect(res.status, message).toBe(400);
        expect(alert(res), message).toBe(esc(message));
        expect(res.html).toContain(`<form method="post" action="${flowPage(id)}/${action}"`);
      }
      expect((await getApi(a, noJson)).body.status).toBe('DRAFT');
      expect((await getApi(a, bad)).body.status).toBe('DRAFT');
      expect((await getApi(a, live)).body.status).toBe('PUBLISHED');
    });

    it('needs the CSRF token, and never reaches another partner’s flow', async () => {
      const mine = await createApi(a, { name: 'Keep me', flow_json: JSON.stringify(FLOW_JSON) });
      for (const action of ['publish', 'delete', 'flow-json']) {
        expect((await hub.postRaw(`${flowPage(mine)}/${action}`, { flow_json: '{}' })).status, action).toBe(403);
        expect((await hub.postRaw(`${flowPage(mine)}/${action}`, { flow_json: '{}', _csrf: 'x'.repeat(hub.csrf!.length) })).status, action).toBe(403);
      }
      expect((await getApi(a, mine)).body).toMatchObject({ status: 'DRAFT', validation_errors: [] });

      const [secret] = (await t.get(apiFlows(b), auth(b))).body.flows;
      for (const action of ['publish', 'deprecate', 'delete', 'flow-json']) {
        for (const waba of [b.waba_account_id, a.waba_account_id]) {
          const res = await hub.post(`${base}/flows/${waba}/${secret.id}/${action}`, { flow_json: '{"version":"7.0"}' });
          expect(res.status, `${action} ${waba}`).toBe(404);
        }
        // On B's own pages: 403, with A's token.
        expect((await hub.post(`/hub/partner/${b.partner_id}/flows/${b.waba_account_id}/${secret.id}/${action}`, { flow_json: '{}' })).status).toBe(403);
      }
      expect((await getApi(b, secret.id)).body).toMatchObject({ name: 'b secret flow', status: 'DRAFT', validation_errors: [] });
      expect((await t.get(`${apiFlows(b)}/${secret.id}/assets/FLOW_JSON`, auth(b))).body).toEqual(FLOW_JSON);
    });
  });

  describe('creating', () => {
    it('offers a form prefilled with an example Flow JSON; the flow is created as a DRAFT (303 to its page)', async () => {
      const form = await hub.get(`${base}/flows/new?waba_account_id=${a2Waba}`);
      expect(form.status).toBe(200);
      expect(form.html).toContain(`<option value="${a2Waba}" selected>Zed Florist</option>`);
      expect(form.html).toContain('<input type="checkbox" id="fl-category-SIGN_UP" name="categories" value="SIGN_UP">');
      expect(form.html).toContain('this server (OPENWABA_WEBHOOK_URL_POLICY=local) also takes http and localhost');
      const example = unesc(/<textarea id="fl-json"[^>]*>([\s\S]*?)<\/textarea>/.exec(form.html)![1]!);

      const res = await hub.post(`${base}/flows/new`, { waba_account_id: a2Waba, name: 'Newsletter sign-up', categories: ['SIGN_UP', 'LEAD_GENERATION'], endpoint_uri: 'http://localhost:3000/flow', flow_json: example });
      expect(res.status, res.html.slice(0, 500)).toBe(303);
      const list = (await t.get(apiFlows(a, a2Waba), { ...auth(a), query: { fields: 'name,status,categories,validation_errors,json_version,endpoint_uri' } })).body.flows;
      const made = list.find((f: { name: string }) => f.name === 'Newsletter sign-up');
      expect(made).toEqual({ id: expect.any(String), name: 'Newsletter sign-up', status: 'DRAFT', categories: ['SIGN_UP', 'LEAD_GENERATION'], validation_errors: [], json_version: '7.0', endpoint_uri: 'http://localhost:3000/flow' });
      expect(res.location).toBe(`${flowPage(made.id, a2Waba)}?done=1`);
      const page = await hub.follow(res);
      expect(notice(page)).toBe('Flow “Newsletter sign-up” created as a DRAFT. Its Flow JSON has no validation errors.');
      expect((await t.get(`${apiFlows(a, a2Waba)}/${made.id}/assets/FLOW_JSON`, auth(a))).body).toEqual(JSON.parse(example));

      // Without Flow JSON: added later on its page.
      const bare = await hub.post(`${base}/flows/new`, { waba_account_id: a.waba_account_id, name: 'Bare', categories: 'OTHER', endpoint_uri: '', flow_json: '  ' });
      expect(bare.status).toBe(303);
      expect(notice(await hub.follow(bare))).toBe('Flow “Bare” created as a DRAFT. Add its Flow JSON below, then publish it.');
    });

    it('refuses what the API refuses, in the API’s words, at the field (400), creating nothing', async () => {
      const cases: { api: Record<string, unknown>; form: Record<string, string | string[]>; at: string }[] = [
        { api: { name: '  ', categories: ['OTHER'] }, form: { name: '  ', categories: 'OTHER' }, at: 'fl-name-error' },
        { api: { name: 'x'.repeat(201), categories: ['OTHER'] }, form: { name: 'x'.repeat(201), categories: 'OTHER' }, at: 'fl-name-error' },
        { api: { name: 'no categories' }, form: { name: 'no categories' }, at: 'fl-categories-error' },
        { api: { name: 'bad category', categories: ['MARKETING'] }, form: { name: 'bad category', categories: ['OTHER', 'MARKETING'] }, at: 'fl-categories-error' },
        { api: { name: 'bad endpoint', categories: ['OTHER'], endpoint_uri: 'ftp://example.com/flow' }, form: { name: 'bad endpoint', categories: 'OTHER', endpoint_uri: 'ftp://example.com/flow' }, at: 'fl-endpoint-error' },
      ];
      for (const { api, form, at } of cases) {
        const refused = await t.post(apiFlows(a), { ...auth(a), json: api });
        expect(refused.status).toBe(400);
        const message = refused.body.meta.developer_message as string;
        const res = await hub.post(`${base}/flows/new`, { waba_account_id: a.waba_account_id, endpoint_uri: '', flow_json: '', ...form });
        expect(res.status, message).toBe(400);
        expect(res.html, message).toContain(`<p class="error field-error" id="${at}">${esc(message)}</p>`);
        expect(res.html, message).toContain('aria-invalid="true"');
      }
      // A name already used in the WABA: the API's message, above the form; what was typed stays.
      await createApi(a, { name: 'Taken name' });
      const dupApi = await t.post(apiFlows(a), { ...auth(a), json: { name: 'Taken name', categories: ['OTHER'] } });
      const dup = await hub.post(`${base}/flows/new`, { waba_account_id: a.waba_account_id, name: 'Taken name', categories: ['SURVEY', 'OTHER'], endpoint_uri: '', flow_json: '{"version":"7.0"}' });
      expect(dup.status).toBe(400);
      expect(alert(dup)).toBe(esc(dupApi.body.meta.developer_message));
      expect(dup.html).toContain('name="name" maxlength="200" required value="Taken name"');
      expect(dup.html).toContain('<input type="checkbox" id="fl-category-SURVEY" name="categories" value="SURVEY" checked>');
      expect(dup.html).toContain('>{&quot;version&quot;:&quot;7.0&quot;}</textarea>');
      // No WABA, another partner's WABA (it reads as none, and is not offered).
      expect((await hub.post(`${base}/flows/new`, { waba_account_id: '', name: 'no waba', categories: 'OTHER' })).html).toContain('id="fl-waba-error">waba_account_id: choose the WABA the flow belongs to</p>');
      const foreign = await hub.post(`${base}/flows/new`, { waba_account_id: b.waba_account_id, name: 'planted', categories: 'OTHER' });
      expect(foreign.status).toBe(400);
      expect(foreign.html).toContain(`id="fl-waba-error">waba_account_id: WABA account ${b.waba_account_id} not found</p>`);
      expect(foreign.html).not.toContain(`<option value="${b.waba_account_id}"`);
      // A field sent twice.
      expect((await hub.post(`${base}/flows/new`, { waba_account_id: a.waba_account_id, name: ['one', 'two'], categories: 'OTHER' })).html).toContain('id="fl-name-error">name must be given once, as text</p>');
      // Nothing was created, here or at B.
      const mine = (await t.get(apiFlows(a), { ...auth(a), query: { fields: 'name' } })).body.flows.map((f: { name: string }) => f.name);
      for (const n of ['no categories', 'bad category', 'bad endpoint', 'no waba', 'one', 'two']) expect(mine).not.toContain(n);
      expect(mine.filter((n: string) => n === 'Taken name')).toHaveLength(1);
      expect((await t.get(apiFlows(b), { ...auth(b), query: { fields: 'name' } })).body.flows.map((f: { name: string }) => f.name)).toEqual(['b secret flow']);
    });

    it('needs the form’s CSRF token; the form address answers a GET', async () => {
      expect((await hub.postRaw(`${base}/flows/new`, { waba_account_id: a.waba_account_id, name: 'no token', categories: 'OTHER' })).status).toBe(403);
      const names = (await t.get(apiFlows(a), { ...auth(a), query: { fields: 'name' } })).body.flows.map((f: { name: string }) => f.name);
      expect(names).not.toContain('no token');
      expect((await hub.get(`${base}/flows/new`)).html).toContain('<h1>New flow</h1>');
    });
  });

  describe('editing a DRAFT’s name, categories and endpoint URI', () => {
    const field = (page: PageResponse, id: string) => new RegExp(`<input [^>]*id="${id}"[^>]*>`).exec(page.html)?.[0];

    it('offers a form prefilled with the flow’s values; saving answers 303 and the page tells it once', async () => {
      const id = await createApi(a, { name: 'Before & after', categories: ['SURVEY', 'OTHER'], endpoint_uri: 'https://flows.example.com/a?x=1&y=2' });
      const page = await hub.get(flowPage(id));
      expect(page.html).toContain(`<form method="post" action="${flowPage(id)}/metadata" class="card" id="flow-metadata-form"`);
      expect(field(page, 'fm-name')).toContain(`value="${esc('Before & after')}"`);
      expect(page.html).toContain('<input type="checkbox" id="fm-category-SURVEY" name="categories" value="SURVEY" checked>');
      expect(page.html).toContain('<input type="checkbox" id="fm-category-OTHER" name="categories" value="OTHER" checked>');
      expect(page.html).toContain('<input type="checkbox" id="fm-category-SIGN_UP" name="categories" value="SIGN_UP">');
      expect(field(page, 'fm-endpoint')).toContain('value="https://flows.example.com/a?x=1&amp;y=2"');

      const saved = await hub.post(`${flowPage(id)}/metadata`, { name: 'Renamed', categories: ['LEAD_GENERATION', 'SIGN_UP'], endpoint_uri: 'http://localhost:3000/flow' });
      expect(saved.status, saved.html.slice(0, 500)).toBe(303);
      expect(saved.location).toBe(`${flowPage(id)}?done=1`);
      expect((await getApi(a, id)).body).toMatchObject({ name: 'Renamed', status: 'DRAFT', categories: ['LEAD_GENERATION', 'SIGN_UP'], endpoint_uri: 'http://localhost:3000/flow' });
      const landed = await hub.follow(saved);
      expect(notice(landed)).toBe('Flow “Renamed” updated.');
      expect(landed.html).toContain('<h1>Renamed</h1>');
      expect(landed.html).toContain('<dd id="flow-categories">LEAD_GENERATION, SIGN_UP</dd>');
      expect(field(landed, 'fm-name')).toContain('value="Renamed"');
      expect(landed.html).toContain('<input type="checkbox" id="fm-category-SIGN_UP" name="categories" value="SIGN_UP" checked>');
      expect(notice(await hub.get(saved.location!))).toBeUndefined();

      // An empty endpoint URI clears it; one category, sent alone, is a single value.
      const cleared = await hub.post(`${flowPage(id)}/metadata`, { name: 'Renamed', categories: 'OTHER', endpoint_uri: ' ' });
      expect(cleared.status).toBe(303);
      expect((await getApi(a, id)).body).toMatchObject({ name: 'Renamed', categories: ['OTHER'] });
      expect((await getApi(a, id)).body.endpoint_uri).toBeUndefined();
      expect((await hub.follow(cleared)).html).toContain('<dd id="flow-endpoint"><span class="muted">none</span></dd>');
      // The form's address opened with GET: the flow's page.
      expect((await hub.get(`${flowPage(id)}/metadata`)).location).toBe(flowPage(id));
    });

    it('refuses what the API refuses, in the API’s words, at the field or above the page (400), changing nothing', async () => {
      const id = await createApi(a, { name: 'Stays put', categories: ['SURVEY'], endpoint_uri: 'https://flows.example.com/keep' });
      await createApi(a, { name: 'Already here' });
      const cases: { api: Record<string, unknown>; form: Record<string, string | string[]>; at?: string }[] = [
        { api: { name: 'x'.repeat(201) }, form: { name: 'x'.repeat(201), categories: 'OTHER' }, at: 'fm-name-error' },
        { api: { name: '  ' }, form: { name: '  ', categories: 'OTHER' }, at: 'fm-name-error' },
        { api: { categories: [] }, form: { name: 'Stays put' }, at: 'fm-categories-error' },
        { api: { categories: ['MARKETING'] }, form: { name: 'Stays put', categories: ['OTHER', 'MARKETING'] }, at: 'fm-categories-error' },
        { api: { endpoint_uri: 'ftp://example.com/flow' }, form: { name: 'Stays put', categories: 'OTHER', endpoint_uri: 'ftp://example.com/flow' }, at: 'fm-endpoint-error' },
        { api: { name: 'Already here' }, form: { name: 'Already here', categories: ['SIGN_UP', 'OTHER'], endpoint_uri: 'https://flows.example.com/typed' } },
      ];
      for (const { api, form, at } of cases) {
        const refused = await t.post(`${apiFlows(a)}/${id}`, { ...auth(a), json: api });
        expect(refused.status).toBe(400);
        const message = refused.body.meta.developer_message as string;
        const res = await hub.post(`${flowPage(id)}/metadata`, { endpoint_uri: '', ...form });
        expect(res.status, message).toBe(400);
        if (at) {
          expect(res.html, message).toContain(`<p class="error field-error" id="${at}">${esc(message)}</p>`);
          expect(res.html, message).toContain('aria-invalid="true"');
          expect(alert(res), message).toBeUndefined();
        } else {
          expect(alert(res), message).toBe(esc(message));
          expect(message).toMatch(/^\(#100\) Flow name is not unique: /);
        }
      }
      // What was typed stays on the form (the last case).
      const dup = await hub.post(`${flowPage(id)}/metadata`, { name: 'Already here', categories: ['SIGN_UP', 'OTHER'], endpoint_uri: 'https://flows.example.com/typed' });
      expect(field(dup, 'fm-name')).toContain('value="Already here"');
      expect(dup.html).toContain('<input type="checkbox" id="fm-category-SIGN_UP" name="categories" value="SIGN_UP" checked>');
      expect(dup.html).toContain('<input type="checkbox" id="fm-category-SURVEY" name="categories" value="SURVEY">');
      expect(field(dup, 'fm-endpoint')).toContain('value="https://flows.example.com/typed"');
      expect(dup.html).toContain('<h1>Stays put</h1>');

      // Under the strict URL policy, an http endpoint is the API's refusal too.
      const policy = t.deps.config.webhookUrlPolicy;
      t.deps.config.webhookUrlPolicy = 'strict';
      try {
        const api = await t.post(`${apiFlows(a)}/${id}`, { ...auth(a), json: { endpoint_uri: 'http://flows.example.com/x' } });
        expect(api.status).toBe(400);
        const res = await hub.post(`${flowPage(id)}/metadata`, { name: 'Stays put', categories: 'SURVEY', endpoint_uri: 'http://flows.example.com/x' });
        expect(res.status).toBe(400);
        expect(res.html).toContain(`id="fm-endpoint-error">${esc(api.body.meta.developer_message)}</p>`);
      } finally {
        t.deps.config.webhookUrlPolicy = policy;
      }
      expect((await getApi(a, id)).body).toMatchObject({ name: 'Stays put', categories: ['SURVEY'], endpoint_uri: 'https://flows.example.com/keep' });
    });

    it('a flow no longer DRAFT has no form, and saving it is refused in the API’s words', async () => {
      const id = await createApi(a, { name: 'Published meta', flow_json: JSON.stringify(FLOW_JSON) });
      const typed = { name: 'Late rename', categories: 'OTHER', endpoint_uri: '' };
      // Published meanwhile (another tab, the API).
      expect((await t.post(`${apiFlows(a)}/${id}/publish`, auth(a))).status).toBe(200);
      expect((await hub.get(flowPage(id))).html).not.toContain('id="flow-metadata-form"');
      const api = await t.post(`${apiFlows(a)}/${id}`, { ...auth(a), json: { name: 'Late rename' } });
      expect(api.status).toBe(400);
      const res = await hub.post(`${flowPage(id)}/metadata`, typed);
      expect(res.status).toBe(400);
      expect(alert(res)).toBe(esc(api.body.meta.developer_message));
      expect(alert(res)).toMatch(/^\(#139001\) Flow can&#39;t be updated: /);
      expect(res.html).not.toContain('id="flow-metadata-form"');
      expect((await getApi(a, id)).body).toMatchObject({ name: 'Published meta', status: 'PUBLISHED' });
    });

    it('needs the CSRF token, and never reaches another partner’s flow', async () => {
      const mine = await createApi(a, { name: 'Token needed' });
      expect((await hub.postRaw(`${flowPage(mine)}/metadata`, { name: 'no token', categories: 'OTHER' })).status).toBe(403);
      expect((await hub.postRaw(`${flowPage(mine)}/metadata`, { name: 'bad token', categories: 'OTHER', _csrf: 'x'.repeat(hub.csrf!.length) })).status).toBe(403);
      expect((await getApi(a, mine)).body.name).toBe('Token needed');

      const [secret] = (await t.get(apiFlows(b), auth(b))).body.flows;
      for (const waba of [b.waba_account_id, a.waba_account_id]) {
        const res = await hub.post(`${base}/flows/${waba}/${secret.id}/metadata`, { name: 'planted', categories: 'OTHER' });
        expect(res.status, waba).toBe(404);
        expect(res.html).not.toContain('b secret flow');
      }
      expect((await hub.post(`/hub/partner/${b.partner_id}/flows/${b.waba_account_id}/${secret.id}/metadata`, { name: 'planted', categories: 'OTHER' })).status).toBe(403);
      expect((await getApi(b, secret.id)).body).toMatchObject({ name: 'b secret flow', categories: ['OTHER'], status: 'DRAFT' });
    });
  });

  describe('uploading the Flow JSON from the textarea', () => {
    it('replaces a DRAFT’s Flow JSON; the page tells whether it has validation errors', async () => {
      const id = await createApi(a, { name: 'Editable' });
      const broken = await hub.post(`${flowPage(id)}/flow-json`, { flow_json: JSON.stringify({ version: '7.0', screens: [FLOW_JSON.screens[0], FLOW_JSON.screens[0]] }, null, 2) });
      expect(broken.status).toBe(303);
      expect(broken.location).toBe(`${flowPage(id)}?done=1`);
      const withErrors = await hub.follow(broken);
      expect(notice(withErrors)).toBe('Flow JSON saved. Its Flow JSON has 1 validation error (listed below): the flow cannot be published until a corrected Flow JSON is uploaded.');
      expect(withErrors.html).toContain('<code>INVALID_PROPERTY_VALUE</code>');
      // Where: the line and column of the second screen's id, and its path.
      expect(withErrors.html).toContain('<td>line 23, column 13 (screens[1].id)</td>');
      expect((await getApi(a, id)).body.validation_errors).toEqual([expect.objectContaining({ error: 'INVALID_PROPERTY_VALUE' })]);

      // The textarea's text is the file, line breaks as a browser sends them (CRLF).
      const fixed = await hub.post(`${flowPage(id)}/flow-json`, { flow_json: JSON.stringify(FLOW_JSON, null, 2).replace(/\n/g, '\r\n') });
      expect(fixed.status).toBe(303);
      expect(notice(await hub.follow(fixed))).toBe('Flow JSON saved. Its Flow JSON has no validation errors.');
      expect((await getApi(a, id)).body).toMatchObject({ validation_errors: [], json_version: '7.0' });
      expect((await t.get(`${apiFlows(a)}/${id}/assets/FLOW_JSON`, auth(a))).body).toEqual(FLOW_JSON);
      // And it can be published from its page.
      expect((await hub.post(`${flowPage(id)}/publish`)).status).toBe(303);
      expect((await getApi(a, id)).body.status).toBe('PUBLISHED');
    });

    it('refuses an empty or too long text at the textarea, and a flow no longer DRAFT in the API’s words (400)', async () => {
      const id = await createApi(a, { name: 'Upload refusals', flow_json: JSON.stringify(FLOW_JSON) });
      const empty = await hub.post(`${flowPage(id)}/flow-json`, { flow_json: ' \n' });
      expect(empty.status).toBe(400);
      expect(empty.html).toContain('id="fl-json-error">flow_json: paste the Flow JSON');

      const long = await hub.post(`${flowPage(id)}/flow-json`, { flow_json: ' '.repeat(MAX_HUB_FLOW_JSON_CHARS + 1) });
      expect(long.status).toBe(400);
      expect(long.html).toContain(`id="fl-json-error">flow_json: at most 30,000 characters in the Hub&#39;s form (got 30,001); upload a bigger Flow JSON (up to 10 MB) with the Partner API: POST …/flows/{flow_id}/assets</p>`);
      expect((await t.get(`${apiFlows(a)}/${id}/assets/FLOW_JSON`, auth(a))).body).toEqual(FLOW_JSON);

      // Published meanwhile (another tab, the API): the upload is the API's refusal, above the page.
      expect((await t.post(`${apiFlows(a)}/${id}/publish`, auth(a))).status).toBe(200);
      const api = await t.post(`${apiFlows(a)}/${id}`, { ...auth(a), json: { name: 'x' } });
      const late = await hub.post(`${flowPage(id)}/flow-json`, { flow_json: '{"version":"7.0","screens":[]}' });
      expect(late.status).toBe(400);
      expect(alert(late)).toBe(esc(api.body.meta.developer_message));
      expect(alert(late)).toMatch(/^\(#139001\) Flow can&#39;t be updated: /);
      expect(late.html).toContain('<span class="badge published" id="flow-status">PUBLISHED</span>');
      expect((await t.get(`${apiFlows(a)}/${id}/assets/FLOW_JSON`, auth(a))).body).toEqual(FLOW_JSON);
      // The form's address opened with GET: the flow's page.
      const stray = await hub.get(`${flowPage(id)}/flow-json`);
      expect(stray.status).toBe(303);
      expect(stray.location).toBe(flowPage(id));
    });

    it('a Flow JSON of the most the textarea takes fits the Hub’s form body limit, as a browser encodes it', async () => {
      const id = await createApi(a, { name: 'Big one' });
      // Pretty-printed screens (quotes, braces and CRLF line breaks are what encoding inflates), up to the limit.
      const screens: unknown[] = [];
      let text = '';
      for (let i = 0; ; i++) {
        // Screen ids are letters and underscores: SCREEN_A, SCREEN_B, … SCREEN_AA, …
        const step = { id: `SCREEN_${letters(i)}`, title: `Step ${i}`, layout: { type: 'SingleColumnLayout', children: [{ type: 'TextBody', text: `Question ${i}?` }] } };
        const next = JSON.stringify({ version: '7.0', screens: [...FLOW_JSON.screens, ...screens, step] }, null, 2).replace(/\n/g, '\r\n');
        // The textarea counts a line break once.
        if (next.replace(/\r\n/g, '\n').length > MAX_HUB_FLOW_JSON_CHARS) break;
        screens.push(step);
        text = next;
      }
      const body = new URLSearchParams({ _csrf: hub.csrf!, flow_json: text }).toString();
      expect(body.length).toBeLessThan(FORM_BODY_LIMIT);
      expect(text.replace(/\r\n/g, '\n').length).toBeGreaterThan(MAX_HUB_FLOW_JSON_CHARS - 300);
      // Sent as a browser sends it, CRLFs and all: taken (the line breaks counted once, as the textarea counted them).
      const res = await hub.post(`${flowPage(id)}/flow-json`, { flow_json: text });
      expect(res.status, res.html.slice(0, 300)).toBe(303);
      expect((await getApi(a, id)).body).toMatchObject({ validation_errors: [], json_version: '7.0' });
      expect((await t.get(`${apiFlows(a)}/${id}/assets/FLOW_JSON`, auth(a))).body.screens).toHaveLength(screens.length + 1);
    });

    it('a Flow JSON of non-ASCII text within the textarea’s limit is taken, though it encodes far past 64 KiB', async () => {
      const id = await createApi(a, { name: 'Umlaute' });
      const flow = { ...FLOW_JSON, screens: [{ ...FLOW_JSON.screens[0]!, layout: { type: 'SingleColumnLayout', children: [{ type: 'TextBody', text: 'ü'.repeat(25_000) }, FLOW_JSON.screens[0]!.layout.children[0]] } }] };
      const text = JSON.stringify(flow);
      expect(text.length).toBeLessThanOrEqual(MAX_HUB_FLOW_JSON_CHARS);
      expect(new URLSearchParams({ flow_json: text }).toString().length).toBeGreaterThan(FORM_BODY_LIMIT * 2);
      const res = await hub.post(`${flowPage(id)}/flow-json`, { flow_json: text });
      expect(res.status, res.html.slice(0, 300)).toBe(303);
      expect((await t.get(`${apiFlows(a)}/${id}/assets/FLOW_JSON`, auth(a))).body).toEqual(flow);
    });
  });
});
