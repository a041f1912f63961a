// A flow's preview link (Meta's `preview` field): the flow GET answers preview: {preview_url,
// expires_at} for `preview` and `preview.invalidate(true|false)`; the link opens, without a login,
// a page showing only that flow (its screens navigable, `__example__` data, completing sends
// nothing); invalidate(true) ends the earlier links; a link expires after 30 days (the test clock);
// an unknown token is a 404 page; only the token's SHA-256 is stored.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { describeEachDb } from './helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';

const FLOW_JSON = {
  version: '7.0',
  screens: [
    {
      id: 'PICK',
      title: 'Pick a day',
      data: { greeting: { type: 'string', __example__: 'Hello from the example' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '${data.greeting}' },
          { type: 'TextInput', name: 'who', label: 'Your name', required: true },
          { type: 'Footer', label: 'Next', 'on-click-action': { name: 'navigate', next: { type: 'screen', name: 'CONFIRM' }, payload: { who: '${form.who}' } } },
        ],
      },
    },
    {
      id: 'CONFIRM',
      title: 'Confirm',
      terminal: true,
      data: { who: { type: 'string', __example__: 'nobody' }, slot: { type: 'string', __example__: 'Monday 10:00' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '`${data.who} at ${data.slot}`' },
          { type: 'Footer', label: 'Book', 'on-click-action': { name: 'complete', payload: { who: '${data.who}' } } },
        ],
      },
    },
  ],
};

const DAY = 24 * 60 * 60 * 1000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const stateOf = (html: string) => /name="_state" value="([^"]*)"/.exec(html)![1]!;
const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const actionOf = (html: string, label: string) => unescape(new RegExp(`name="_action" value="([^"]*)"[^>]*>${label}<`).exec(html)![1]!);

describeEachDb('Partner API: a flow’s preview link', (kind) => {
  const clock = new ManualClock(new Date('2026-03-01T12:00:00.000Z'));
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let flowId = '';

  const flowsPath = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`;
  const get = (p: BootstrapResult, id: string, fields?: string) => t.get(`${flowsPath(p)}/${id}`, { headers: partnerKey(p.partner_api_key), query: fields === undefined ? undefined : { fields } });
  const pathOf = (url: string) => new URL(url).pathname;
  const tokenOf = (url: string) => pathOf(url).split('/').pop()!;
  const post = (path: string, fields: [string, string][]) => t.post(path, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: new URLSearchParams(fields).toString() });
  const messageCount = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
    const created = await t.post(flowsPath(a), { headers: partnerKey(a.partner_api_key), json: { name: 'Booking', categories: ['APPOINTMENT_BOOKING'], flow_json: JSON.stringify(FLOW_JSON) } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.validation_errors).toEqual([]);
    flowId = created.body.id;
  });
  afterAll(() => t?.close());

  it('answers preview {preview_url, expires_at} in Meta’s shape, 30 days ahead, with the other fields asked', async () => {
    const res = await get(a, flowId, 'preview.invalidate(false)');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id: flowId, preview: { preview_url: expect.stringMatching(new RegExp(`^${t.baseUrl}/flows/preview/[A-Za-z0-9]{40}$`)), expires_at: '2026-03-31T12:00:00+0000' } });
    const plain = await get(a, flowId, 'name,status,preview');
    expect(plain.body).toEqual({ id: flowId, name: 'Booking', status: 'DRAFT', preview: { preview_url: expect.any(String), expires_at: '2026-03-31T12:00:00+0000' } });
    // Without preview asked, none is made.
    expect((await get(a, flowId)).body.preview).toBeUndefined();
  });

  it('stores only the SHA-256 of the link’s token', async () => {
    const url = (await get(a, flowId, 'preview')).body.preview.preview_url as string;
    const token = tokenOf(url);
    const rows = await t.deps.db.kysely.selectFrom('flow_previews').selectAll().where('flow_id', '=', flowId).execute();
    expect(rows.map((r) => r.token_hash)).toContain(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('the link shows the flow without a login: example data, screens navigable, completing sends nothing', async () => {
    const url = (await get(a, flowId, 'preview')).body.preview.preview_url as string;
    const page = await t.get(pathOf(url));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('<p class="flow-body">Hello from the example</p>');
    expect(page.text).toContain('Preview of this flow');
    // Only the flow: no session, no CSRF token, nothing of the partner, WABA or number.
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(page.text).not.toContain('name="_csrf"');
    for (const secret of [a.partner_id, a.waba_account_id, a.phone_number, a.channel_api_key]) expect(page.text).not.toContain(secret);

    const path = pathOf(url);
    const missing = await post(path, [['_state', stateOf(page.text)], ['_action', actionOf(page.text, 'Next')]]);
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('One field needs your attention.');
    const next = await post(path, [['_state', stateOf(page.text)], ['f.who', 'Jane'], ['_action', actionOf(page.text, 'Next')]]);
    expect(next.status).toBe(200);
    // The navigate payload over the screen's example data.
    expect(next.text).toContain('<p class="flow-body">Jane at Monday 10:00</p>');
    const back = await post(path, [['_state', stateOf(next.text)], ['_back', '1']]);
    expect(back.text).toContain('value="Jane"');

    const before = await messageCount();
    const done = await post(path, [['_state', stateOf(next.text)], ['_action', actionOf(next.text, 'Book')]]);
    expect(done.status).toBe(200);
    expect(done.text).toContain('This is a preview: nothing is sent.');
    expect(unescape(done.text)).toContain('{"flow_token":"preview","who":"Jane"}');
    expect(await messageCount()).toBe(before);
    // The link's token is its secret: the request log censors it.
    const token = tokenOf(url);
    expect(t.logs.join('')).toContain('/flows/preview/[redacted]');
    expect(t.logs.join('')).not.toContain(token);
  });

  it('a forged post is a 4xx, never a 5xx', async () => {
    const path = pathOf((await get(a, flowId, 'preview')).body.preview.preview_url);
    expect((await post(path, [['_state', 'not base64!'], ['_action', '[0]']])).status).toBe(400);
    const nowhere = Buffer.from(JSON.stringify({ screen: 'NOPE', data: {}, forms: {}, stack: [] })).toString('base64url');
    expect((await post(path, [['_state', nowhere], ['_action', '[2]']])).status).toBe(400);
    const page = await t.get(path);
    expect((await post(path, [['_state', stateOf(page.text)], ['_action', '[0]']])).status).toBe(400);
    expect((await post(path, [['_state', stateOf(page.text)], ['_action', '{"x":1}']])).status).toBe(400);
  });

  it('invalidate(false) keeps the earlier links; invalidate(true) ends them and starts 30 new days', async () => {
    const first = (await get(a, flowId, 'preview.invalidate(false)')).body.preview;
    clock.advance(DAY);
    const second = (await get(a, flowId, 'preview.invalidate(false)')).body.preview;
    expect(second.expires_at).toBe(first.expires_at);
    expect((await t.get(pathOf(first.preview_url))).status).toBe(200);
    expect((await t.get(pathOf(second.preview_url))).status).toBe(200);

    const fresh = (await get(a, flowId, 'preview.invalidate(true)')).body.preview;
    expect(fresh.expires_at).toBe('2026-04-01T12:00:00+0000');
    expect(fresh.preview_url).not.toBe(second.preview_url);
    for (const old of [first, second]) {
      const gone = await t.get(pathOf(old.preview_url));
      expect(gone.status).toBe(404);
      expect(gone.text).toContain('This preview link is unknown or has expired.');
    }
    expect((await t.get(pathOf(fresh.preview_url))).status).toBe(200);
  });

  it('a link expires after 30 days (the test clock)', async () => {
    const link = (await get(a, flowId, 'preview.invalidate(true)')).body.preview;
    clock.advance(30 * DAY - 1000);
    expect((await t.get(pathOf(link.preview_url))).status).toBe(200);
    clock.advance(1000);
    expect((await t.get(pathOf(link.preview_url))).status).toBe(404);
    // An expired generation is not extended: the next link is a new one of 30 days.
    const next = (await get(a, flowId, 'preview')).body.preview;
    expect(new Date(next.expires_at.replace('+0000', 'Z')).getTime()).toBe(clock.now().getTime() + 30 * DAY - (clock.now().getTime() % 1000));
    expect((await t.get(pathOf(next.preview_url))).status).toBe(200);
  });

  it('an unknown or malformed token is a 404 page', async () => {
    for (const token of ['A'.repeat(40), 'nope', 'a%20b', 'x'.repeat(300)]) {
      const res = await t.get(`/flows/preview/${token}`);
      expect(res.status, token).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
    }
    expect((await post(`/flows/preview/${'B'.repeat(40)}`, [['_state', 'x']])).status).toBe(404);
  });

  it('another partner reaches neither the flow nor its preview; a deleted flow’s link ends', async () => {
    expectPartnerError(await get(b, flowId, 'preview'), 404);
    const crossWaba = await t.get(`/api/v2/partners/${b.partner_id}/waba_accounts/${a.waba_account_id}/flows/${flowId}`, { headers: partnerKey(b.partner_api_key), query: { fields: 'preview.invalidate(true)' } });
    expect(crossWaba.status).toBeGreaterThanOrEqual(400);
    expect(crossWaba.status).toBeLessThan(500);
    expect((await t.get(`/api/v2/partners/${a.partner_id}/waba_accounts/${a.waba_account_id}/flows/${flowId}`, { headers: partnerKey(b.partner_api_key), query: { fields: 'preview' } })).status).toBeGreaterThanOrEqual(401);
    // Still a's link only.
    const link = (await get(a, flowId, 'preview')).body.preview.preview_url as string;
    expect((await t.get(pathOf(link))).status).toBe(200);
    expect((await t.delete(`${flowsPath(a)}/${flowId}`, { headers: partnerKey(a.partner_api_key) })).status).toBe(200);
    expect((await t.get(pathOf(link))).status).toBe(404);
  });

  it('refuses a malformed preview field and preview on the list (400), and no channel key opens it', async () => {
    const other = await t.post(flowsPath(a), { headers: partnerKey(a.partner_api_key), json: { name: 'Other', categories: ['OTHER'] } });
    for (const fields of ['preview.invalidate(maybe)', 'preview.invalidate', 'preview.foo(true)', 'previewx']) expectPartnerError(await get(a, other.body.id, fields), 400);
    expectPartnerError(await t.get(flowsPath(a), { headers: partnerKey(a.partner_api_key), query: { fields: 'preview' } }), 400);
    expect((await t.get(`${flowsPath(a)}/${other.body.id}`, { headers: channelKey(a.channel_api_key), query: { fields: 'preview' } })).status).toBe(401);
    // A flow without Flow JSON: the link opens and says so.
    const link = (await get(a, other.body.id, 'preview')).body.preview.preview_url as string;
    const page = await t.get(pathOf(link));
    expect(page.status).toBe(200);
    expect(page.text).toContain('This flow has no Flow JSON yet.');
  });
});
