// Meta's WABA analytics on the WhatsApp Business Account node (GET /{version}/{waba-id}?fields=
// analytics.… | conversation_analytics.… | pricing_analytics.…) and Meta's template analytics
// (GET /{version}/{waba-id}/template_analytics, and /template_analytics at the root), counted from
// the stored messages: real sends whose sandbox statuses play out, a user's quick-reply answer,
// and a dated history written straight into the table for the buckets. Another WABA's messages
// never count; malformed field modifiers and query values are Graph's 400 code 100.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { insertMessageRow } from '../helpers/messages.ts';
import { userWrites } from './media-fixtures.ts';
import { createChannel } from '../../src/services/channels.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import type { MessageStatus } from '../../src/db/schema.ts';

const secs = (iso: string) => Date.parse(iso) / 1000;
const DE_USER = '4917612340001';
const US_USER = '14155550123';

describeEachDb('WABA analytics from the stored messages', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let ch2Phone: string;
  let wabaA: string;
  let wabaB: string;
  let helloA: string;
  let helloB: string;
  let todayStart: number;
  const sendIds: string[] = [];

  const node = (fields: string, q: BootstrapResult = a, waba = wabaA) => t.get(`/v21.0/${waba}`, { headers: bearer(q.channel_api_key), query: { fields } });
  const wabaOf = async (q: BootstrapResult) =>
    (await t.deps.db.kysely.selectFrom('waba_accounts').innerJoin('channels', 'channels.waba_account_id', 'waba_accounts.id').select('waba_accounts.external_id').where('channels.id', '=', q.channel_id).executeTakeFirstOrThrow()).external_id;
  const helloOf = async (q: BootstrapResult) => {
    const list = await t.get('/message_templates', { headers: channelKey(q.channel_api_key), query: { name: 'hello_world' } });
    expect(list.status, list.text).toBe(200);
    return list.body.data[0].id as string;
  };
  const send = async (q: BootstrapResult, json: Record<string, unknown>) => {
    const res = await t.post('/messages', { headers: channelKey(q.channel_api_key), json: { messaging_product: 'whatsapp', to: DE_USER, ...json } });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };
  const hello = { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } };

  beforeAll(async () => {
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=20ms,delivered=40ms,read=60ms' } });
    a = await t.tenant();
    b = await t.tenant();
    ch2Phone = '4915000000012';
    const ch2 = (await createChannel(t.deps, { partnerId: a.partner_id, clientId: a.client_id, phoneNumber: ch2Phone, phoneName: 'Second', network: 'sandbox' })).id;
    [wabaA, wabaB, helloA, helloB] = [await wabaOf(a), await wabaOf(b), await helloOf(a), await helloOf(b)];

    // Today, through the API: the user writes (the window opens), two templates and a text go out
    // on a's number, one template on b's (another WABA); the sandbox moves each to read.
    await userWrites(t, a.channel_api_key, { from: DE_USER, name: 'Dora', type: 'text', text: { body: 'hi' } });
    sendIds.push(await send(a, hello), await send(a, hello), await send(a, { type: 'text', text: { body: 'thanks' } }));
    sendIds.push(await send(b, hello));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const rows = await t.deps.db.kysely.selectFrom('messages').select('status').where('id', 'in', sendIds).execute();
      if (rows.length === sendIds.length && rows.every((r) => r.status === 'read')) break;
      if (Date.now() > deadline) throw new Error(`statuses did not reach read: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The user taps a quick-reply button of the first template.
    await userWrites(t, a.channel_api_key, { from: DE_USER, name: 'Dora', type: 'button', button: { text: 'Yes please', payload: 'yes' }, context: { message_id: sendIds[0] } });
    const now = Date.now();
    todayStart = (now - (now % 86_400_000)) / 1000;

    // A dated history (autumn 2025).
    const row = (channel: string, wa: string, category: string, status: MessageStatus, at: string, q: BootstrapResult = a) =>
      insertMessageRow(t.deps.db, {
        partner_id: q.partner_id,
        client_id: q.client_id,
        channel_id: channel,
        direction: 'outbound',
        wa_id: wa,
        type: category === 'service' ? 'text' : 'template',
        status,
        category,
        created_at: at,
      });
    await row(a.channel_id, DE_USER, 'marketing', 'delivered', '2025-10-01T00:10:00.000Z');
    await row(a.channel_id, DE_USER, 'utility', 'read', '2025-10-01T00:40:00.000Z');
    await row(a.channel_id, DE_USER, 'marketing', 'read', '2025-10-01T05:00:00.000Z'); // the same user's marketing conversation
    await row(ch2, US_USER, 'marketing', 'read', '2025-10-01T10:00:00.000Z'); // the WABA's second number
    await row(a.channel_id, DE_USER, 'service', 'sent', '2025-10-02T09:00:00.000Z'); // sent, never delivered
    await row(a.channel_id, DE_USER, 'marketing', 'failed', '2025-10-02T10:00:00.000Z'); // failed: nowhere
    await row(a.channel_id, DE_USER, 'authentication', 'delivered', '2025-11-05T08:00:00.000Z');
    await row(b.channel_id, DE_USER, 'marketing', 'read', '2025-10-01T11:00:00.000Z', b); // another WABA
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('analytics: sent and delivered per day, month and half hour, over both numbers of the WABA only', async () => {
    const day = await node(`analytics.start(${secs('2025-10-01T00:00:00Z')}).end(${secs('2025-10-03T00:00:00Z')}).granularity(DAY)`);
    expect(day.status, day.text).toBe(200);
    expect(day.body).toEqual({
      analytics: {
        phone_numbers: [a.phone_number, ch2Phone].sort(),
        granularity: 'DAY',
        data_points: [
          { start: secs('2025-10-01T00:00:00Z'), end: secs('2025-10-02T00:00:00Z'), sent: 4, delivered: 4 },
          { start: secs('2025-10-02T00:00:00Z'), end: secs('2025-10-03T00:00:00Z'), sent: 1, delivered: 0 },
        ],
      },
      id: wabaA,
    });
    const month = await node(`analytics.start(${secs('2025-10-01T00:00:00Z')}).end(${secs('2025-12-01T00:00:00Z')}).granularity(MONTH)`);
    expect(month.body.analytics.data_points).toEqual([
      { start: secs('2025-10-01T00:00:00Z'), end: secs('2025-11-01T00:00:00Z'), sent: 5, delivered: 4 },
      { start: secs('2025-11-01T00:00:00Z'), end: secs('2025-12-01T00:00:00Z'), sent: 1, delivered: 1 },
    ]);
    const half = await node(`analytics.start(${secs('2025-10-01T00:00:00Z')}).end(${secs('2025-10-01T01:00:00Z')}).granularity(HALF_HOUR)`);
    expect(half.body.analytics.data_points).toEqual([
      { start: secs('2025-10-01T00:00:00Z'), end: secs('2025-10-01T00:30:00Z'), sent: 1, delivered: 1 },
      { start: secs('2025-10-01T00:30:00Z'), end: secs('2025-10-01T01:00:00Z'), sent: 1, delivered: 1 },
    ]);
    // Filters: one number (with its "+"; the list holds a comma), one country, product type 2 (not templates).
    const window = `start(${secs('2025-10-01T00:00:00Z')}).end(${secs('2025-10-03T00:00:00Z')}).granularity(DAY)`;
    const one = await node(`name,analytics.${window}.phone_numbers(["+${ch2Phone}","999"])`);
    expect(one.status, one.text).toBe(200);
    expect(one.body.name).toEqual(expect.any(String));
    // The numbers asked, as digits (Meta's normalized form); one of no number of the WABA counts nothing.
    expect(one.body.analytics.phone_numbers).toEqual([ch2Phone, '999']);
    expect(one.body.analytics.data_points).toEqual([{ start: secs('2025-10-01T00:00:00Z'), end: secs('2025-10-02T00:00:00Z'), sent: 1, delivered: 1 }]);
    const us = await node(`analytics.${window}.country_codes(["US"])`);
    expect(us.body.analytics).toMatchObject({ country_codes: ['US'], data_points: [{ start: secs('2025-10-01T00:00:00Z'), sent: 1, delivered: 1 }] });
    const support = await node(`analytics.${window}.product_types([2])`);
    expect(support.body.analytics.data_points).toEqual([{ start: secs('2025-10-02T00:00:00Z'), end: secs('2025-10-03T00:00:00Z'), sent: 1, delivered: 0 }]);
    // Today's real sends: a's three (b's template is another WABA's).
    const today = await node(`analytics.start(${todayStart}).end(${todayStart + 86_400}).granularity(DAY)`);
    expect(today.body.analytics.data_points).toEqual([{ start: todayStart, end: todayStart + 86_400, sent: 3, delivered: 3 }]);
    const todayB = await node(`analytics.start(${todayStart}).end(${todayStart + 86_400}).granularity(DAY)`, b, wabaB);
    expect(todayB.body.analytics).toEqual({ phone_numbers: [b.phone_number], granularity: 'DAY', data_points: [{ start: todayStart, end: todayStart + 86_400, sent: 1, delivered: 1 }] });
  });

  it('conversation_analytics: one conversation per user, category and day, priced per category', async () => {
    const window = `start(${secs('2025-10-01T00:00:00Z')}).end(${secs('2025-10-02T00:00:00Z')}).granularity(DAILY)`;
    const day = secs('2025-10-01T00:00:00Z');
    const plain = await node(`conversation_analytics.${window}`);
    expect(plain.status, plain.text).toBe(200);
    expect(plain.body).toEqual({ conversation_analytics: { data: [{ data_points: [{ start: day, end: day + 86_400, conversation: 3, cost: 0.14 }] }] }, id: wabaA });
    const byCategory = await node(`conversation_analytics.${window}.dimensions(["CONVERSATION_CATEGORY","CONVERSATION_TYPE"])`);
    expect(byCategory.body.conversation_analytics.data[0].data_points).toEqual([
      { start: day, end: day + 86_400, conversation: 2, conversation_type: 'REGULAR', conversation_category: 'MARKETING', cost: 0.12 },
      { start: day, end: day + 86_400, conversation: 1, conversation_type: 'REGULAR', conversation_category: 'UTILITY', cost: 0.02 },
    ]);
    const byPhone = await node(`conversation_analytics.${window}.dimensions([PHONE,COUNTRY]).metric_types([CONVERSATION])`);
    expect(byPhone.body.conversation_analytics.data[0].data_points).toEqual(
      expect.arrayContaining([
        { start: day, end: day + 86_400, conversation: 2, phone_number: a.phone_number, country: 'DE' },
        { start: day, end: day + 86_400, conversation: 1, phone_number: ch2Phone, country: 'US' },
      ]),
    );
    expect(byPhone.body.conversation_analytics.data[0].data_points).toHaveLength(2);
    // Half hours: each conversation in the half hour of its first message.
    const half = await node(`conversation_analytics.start(${day}).end(${day + 3600}).granularity(HALF_HOUR)`);
    expect(half.body.conversation_analytics.data[0].data_points).toEqual([
      { start: day, end: day + 1800, conversation: 1, cost: 0.06 },
      { start: day + 1800, end: day + 3600, conversation: 1, cost: 0.02 },
    ]);
  });

  it("pricing_analytics: channel-usage's per-message pricing over the WABA's numbers, by dimension", async () => {
    const day = secs('2025-10-01T00:00:00Z');
    const window = `start(${day}).end(${secs('2025-11-01T00:00:00Z')}).granularity(MONTHLY)`;
    const res = await node(`pricing_analytics.${window}.dimensions(["PRICING_CATEGORY","PRICING_TYPE"])`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.pricing_analytics).toEqual({
      data: [
        {
          data_points: [
            { start: day, end: secs('2025-11-01T00:00:00Z'), pricing_type: 'REGULAR', pricing_category: 'MARKETING', volume: 3, cost: 0.18 },
            { start: day, end: secs('2025-11-01T00:00:00Z'), pricing_type: 'REGULAR', pricing_category: 'UTILITY', volume: 1, cost: 0.02 },
          ],
        },
      ],
    });
    const us = await node(`pricing_analytics.${window}.dimensions([COUNTRY,PHONE]).country_codes([US])`);
    expect(us.body.pricing_analytics.data[0].data_points).toEqual([{ start: day, end: secs('2025-11-01T00:00:00Z'), phone_number: ch2Phone, country: 'US', volume: 1, cost: 0.06 }]);
    const today = await node(`pricing_analytics.start(${todayStart}).end(${todayStart + 86_400}).granularity(DAILY).dimensions([PRICING_CATEGORY])`, b, wabaB);
    expect(today.body.pricing_analytics.data[0].data_points).toEqual([expect.objectContaining({ volume: 1 })]);
  });

  it('template_analytics: per template and day, sent/delivered/read and quick-reply clicks, on the Graph path and the root', async () => {
    const q = { start: String(todayStart - 86_400), end: String(todayStart + 86_400), granularity: 'DAILY', template_ids: JSON.stringify([helloA]), metric_types: '["SENT","DELIVERED","READ","CLICKED"]' };
    const graph = await t.get(`/v21.0/${wabaA}/template_analytics`, { headers: bearer(a.channel_api_key), query: q });
    expect(graph.status, graph.text).toBe(200);
    expect(graph.body.data).toEqual([
      {
        granularity: 'DAILY',
        product_type: 'cloud_api',
        data_points: [
          { template_id: helloA, start: todayStart - 86_400, end: todayStart, sent: 0, delivered: 0, read: 0, clicked: [] },
          { template_id: helloA, start: todayStart, end: todayStart + 86_400, sent: 2, delivered: 2, read: 2, clicked: [{ type: 'quick_reply_button', button_content: 'Yes please', count: 1 }] },
        ],
      },
    ]);
    expect(graph.body.paging.next).toBeUndefined();
    const root = await t.get('/template_analytics', { headers: channelKey(a.channel_api_key), query: { ...q, metric_types: 'SENT', template_ids: helloA } });
    expect(root.status, root.text).toBe(200);
    expect(root.body.data[0].data_points[1]).toEqual({ template_id: helloA, start: todayStart, end: todayStart + 86_400, sent: 2 });
    // b's own template: its one send; a's template id is not b's (400), nor is a's WABA (Graph's 100/33).
    const mine = await t.get('/template_analytics', { headers: channelKey(b.channel_api_key), query: { ...q, template_ids: helloB } });
    expect(mine.body.data[0].data_points[1]).toMatchObject({ sent: 1, delivered: 1, read: 1, clicked: [] });
    const notB = await t.get('/template_analytics', { headers: channelKey(b.channel_api_key), query: q });
    expect(notB.status, notB.text).toBe(400);
    expect(notB.body.error).toMatchObject({ code: 100, error_data: { details: expect.stringContaining(helloA) } });
    const otherWaba = await t.get(`/v21.0/${wabaA}/template_analytics`, { headers: bearer(b.channel_api_key), query: q });
    expect(otherWaba.status, otherWaba.text).toBe(400);
    expect(otherWaba.body.error).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it('malformed modifiers and query values are Graph 400 code 100 naming the field', async () => {
    const w = `start(${secs('2025-10-01T00:00:00Z')}).end(${secs('2025-10-02T00:00:00Z')})`;
    // Each: the fields, the field named, and what the details say is wrong.
    const cases: [string, string, string][] = [
      [`analytics.start(yesterday).end(1).granularity(DAY)`, 'analytics', 'start must be a Unix timestamp'],
      [`analytics.${w}.granularity(WEEK)`, 'analytics', 'granularity must be'],
      [`analytics.end(1759276800).granularity(DAY)`, 'analytics', 'start(<unix seconds>) is required'],
      [`analytics.start(1759276800.end(1759363200).granularity(DAY)`, 'analytics', 'unbalanced'],
      [`analytics.${w}.granularity(DAY).phone_numbers(["a")`, 'analytics', 'unbalanced'],
      [`analytics.${w}.granularity(DAY)..x`, 'analytics', 'is not a modifier name'],
      [`analytics.${w}.granularity(DAY).bogus(1)`, 'analytics', 'bogus is not a modifier of analytics'],
      [`analytics.start(1759363200000).end(1759363200001).granularity(DAY)`, 'analytics', 'milliseconds'],
      [`analytics.start(1759363200).end(1759276800).granularity(DAY)`, 'analytics', 'must be before end'],
      [`conversation_analytics.${w}.granularity(DAILY).dimensions([FOO])`, 'conversation_analytics', '"FOO" is not one of'],
      [`conversation_analytics.${w}.granularity(HALF_HOUR).metric_types([CLICKS])`, 'conversation_analytics', '"CLICKS" is not one of'],
      [`pricing_analytics.${w}.granularity(DAILY).pricing_categories({"a":1})`, 'pricing_analytics', 'pricing_categories: "{"A":1}" is not one of'],
      [`pricing_analytics.start(0).end(99999999).granularity(DAILY)`, 'pricing_analytics', 'longer than 366 days'],
    ];
    for (const [fields, name, problem] of cases) {
      const res = await node(fields);
      expect(res.status, `${fields}: ${res.text}`).toBe(400);
      expect(res.body.error, fields).toMatchObject({ code: 100, fbtrace_id: expect.any(String) });
      expect(res.body.error.error_data.details.startsWith(`fields: ${name}: `), res.text).toBe(true);
      expect(res.body.error.error_data.details, fields).toContain(problem);
    }
    const bad: [Record<string, string>, string][] = [
      [{ start: 'x', end: '1', template_ids: helloA }, 'start must be a Unix timestamp'],
      [{ start: '1759276800', end: '1759363200', template_ids: '' }, 'template_ids is required'],
      [{ start: '1759276800', end: '1759363200', template_ids: helloA, granularity: 'MONTHLY' }, 'granularity must be DAILY'],
      [{ start: '1759276800', end: '1759363200', template_ids: helloA, metric_types: 'COST' }, 'metric_types: "COST"'],
      [{ start: '1759276800', end: '1769363200', template_ids: helloA }, 'at most 90 days'],
      [{ start: '1759276800', end: '1759363200', template_ids: '[{"a":1}]' }, 'template_ids must be a list'],
    ];
    for (const [query, problem] of bad) {
      const res = await t.get('/template_analytics', { headers: channelKey(a.channel_api_key), query });
      expect(res.status, `${JSON.stringify(query)}: ${res.text}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100 });
      expect(res.body.error.error_data.details).toContain(problem);
    }
  });
});
