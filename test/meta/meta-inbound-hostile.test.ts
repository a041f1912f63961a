// Hostile notifications, signed correctly (a leaked app secret, or a bug at Meta's end): each is
// answered 200 or 4xx, never 5xx; nothing malformed is stored; the app keeps working.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { MAX_UPDATES } from '../../src/network/meta/notification.ts';
import { Prng, contentTypeCases, mutations, randomJsonCases, structuralCases, HOSTILE_STRINGS, HOSTILE_VALUES } from '../messaging/hostile-bodies.ts';
import { ACCESS_TOKEN, META_ENV, WEBHOOK_PATH, epoch, notification, sign, textFrom, wamid } from './meta-webhook-fixtures.ts';

const NUMBER = '106540352242944';

/** A notification with a message and a status, every field Meta sends. */
function fullNotification() {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: NUMBER },
              contacts: [{ profile: { name: 'Jane' }, wa_id: '4917600000001' }],
              messages: [
                {
                  from: '4917600000001',
                  id: 'wamid.HBgLNDkxNzYwMDAwMDAxFQIAEhggQTRBQjM2',
                  timestamp: '1760000000',
                  type: 'interactive',
                  interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } },
                  context: { from: '15550783881', id: 'wamid.HBgLNDkxNzYwMDAwMDAxFQIAERgSQzBG' },
                },
              ],
              statuses: [
                {
                  id: 'wamid.HBgLNDkxNzYwMDAwMDAxFQIAERgSOUU1',
                  status: 'failed',
                  timestamp: '1760000001',
                  recipient_id: '4917600000001',
                  errors: [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'x' } }],
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

describeEachDb('Meta webhooks in: hostile notifications', (kind) => {
  let t: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: META_ENV });
    const p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: NUMBER, wabaId: '102290129340398', accessToken: ACCESS_TOKEN });
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('about 400 signed hostile bodies: each a 200 or a 4xx, never a 5xx', async () => {
    const rng = new Prng(20260201);
    const valid = fullNotification();
    const cases: { label: string; body: string | Buffer | undefined; headers: Record<string, string> }[] = [
      ...structuralCases(valid).map((c) => ({ label: c.label, body: c.body, headers: c.headers })),
      ...contentTypeCases(valid).slice(0, 30).map((c) => ({ label: c.label, body: c.body, headers: c.headers })),
      ...mutations(valid, rng).map((m) => ({ label: m.label, body: m.raw, headers: { 'content-type': 'application/json' } })),
      ...randomJsonCases(rng, 40).map((c) => ({ label: c.label, body: c.body, headers: c.headers })),
    ];
    // Wrong types where a message, a status, an id or a timestamp should be.
    const json = (label: string, body: unknown) => cases.push({ label, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    for (const v of [...HOSTILE_VALUES, ...HOSTILE_STRINGS.slice(0, 24)]) {
      json(`message ${JSON.stringify(v).slice(0, 20)}`, notification(NUMBER, { messages: [v] }));
      json(`status ${JSON.stringify(v).slice(0, 20)}`, notification(NUMBER, { statuses: [v] }));
      json(`message id ${JSON.stringify(v).slice(0, 20)}`, notification(NUMBER, { messages: [{ from: '49176', id: v, timestamp: epoch(), type: 'text', text: { body: 'x' } }] }));
      json(`message from ${JSON.stringify(v).slice(0, 20)}`, notification(NUMBER, { messages: [{ from: v, id: wamid(), timestamp: epoch(), type: 'text', text: { body: 'x' } }] }));
      json(`message type ${JSON.stringify(v).slice(0, 20)}`, notification(NUMBER, { messages: [{ from: '49176', id: wamid(), timestamp: epoch(), type: v, text: { body: 'x' } }] }));
      json(`timestamp ${JSON.stringify(v).slice(0, 20)}`, notification(NUMBER, { messages: [{ from: '49176', id: wamid(), timestamp: v, type: 'text', text: { body: 'x' } }] }));
      json(`contact name ${JSON.stringify(v).slice(0, 20)}`, notification(NUMBER, { contacts: [{ profile: { name: v }, wa_id: '49176' }], messages: [{ from: '49176', id: wamid(), timestamp: epoch(), type: 'text', text: { body: v } }] }));
      json(`status errors ${JSON.stringify(v).slice(0, 20)}`, notification(NUMBER, { statuses: [{ id: wamid(), status: 'failed', timestamp: epoch(), errors: [v], pricing: v, conversation: v }] }));
      json(`metadata ${JSON.stringify(v).slice(0, 20)}`, { object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { metadata: v } }] }] });
      json(`phone_number_id ${JSON.stringify(v).slice(0, 20)}`, notification(v as string, { messages: [] }));
      json(`entry ${JSON.stringify(v).slice(0, 20)}`, { object: 'whatsapp_business_account', entry: [v] });
      json(`changes ${JSON.stringify(v).slice(0, 20)}`, { object: 'whatsapp_business_account', entry: [{ changes: v }] });
    }
    // Types that collide with a message's own fields, NUL in ids, huge arrays.
    for (const type of ['id', 'from', 'timestamp', 'type', 'context', 'constructor', 'toString']) {
      json(`type ${type}`, notification(NUMBER, { messages: [{ from: '49176', id: wamid(), timestamp: epoch(), type, [type]: 'x' }] }));
    }
    json('NUL in a message id', notification(NUMBER, { messages: [{ from: '49176', id: 'wamid.a\u0000b', timestamp: epoch(), type: 'text', text: { body: 'x' } }] }));
    json('NUL in a context id', notification(NUMBER, { messages: [{ from: '49176', id: wamid(), timestamp: epoch(), type: 'text', text: { body: 'x' }, context: { id: 'a\u0000' } }] }));
    json('NUL in an error title', notification(NUMBER, { statuses: [{ id: wamid(), status: 'failed', timestamp: epoch(), errors: [{ code: 1, title: 'a\u0000' }] }] }));
    json('200,000 entries', { object: 'whatsapp_business_account', entry: new Array(200_000).fill({}) });
    json(`${MAX_UPDATES + 1} messages`, notification(NUMBER, { messages: new Array(MAX_UPDATES + 1).fill({ from: '49176', id: 'wamid.same', timestamp: epoch(), type: 'text', text: { body: 'x' } }) }));
    json('100,000 contacts', notification(NUMBER, { contacts: new Array(100_000).fill({ wa_id: '1', profile: { name: 'x' } }) }));
    json('a notification of another product', { object: 'page', entry: [{ changes: [{ field: 'feed', value: {} }] }] });
    json('template status update', { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'message_template_status_update', value: { event: 'APPROVED' } }] }] });

    expect(cases.length).toBeGreaterThan(300);
    const statuses: Record<number, number> = {};
    for (const c of cases) {
      const raw = c.body ?? '';
      const res = await t.post(WEBHOOK_PATH, { raw: c.body, headers: { ...c.headers, 'x-hub-signature-256': sign(raw) } });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      expect(res.status < 500 && res.status !== 201, `${c.label}: ${res.status} ${res.text.slice(0, 200)}`).toBe(true);
      expect([200, 400, 401, 413, 415].includes(res.status), `${c.label}: ${res.status}`).toBe(true);
    }
    // Both outcomes occurred: the hostile parts were refused, the tolerable ones taken.
    expect(statuses[200]).toBeGreaterThan(50);
    expect(statuses[400]).toBeGreaterThan(50);
    // Nothing with a forged shape was stored: every inbound row has an id and type as Meta's.
    const rows = await t.deps.db.kysely.selectFrom('messages').select(['id', 'type', 'wa_id']).execute();
    for (const r of rows) {
      expect(r.id).toMatch(/^[\x21-\x7e]{1,256}$/);
      expect(r.type).toMatch(/^[a-z][a-z_]*$/);
      expect(['id', 'from', 'timestamp', 'type', 'context']).not.toContain(r.type);
    }
    // No request ended in an error (pino's level 50).
    expect(t.logs.filter((l) => l.includes('"level":50')).map((l) => l.slice(0, 300))).toEqual([]);
    // Still working.
    expect((await t.get('/health')).status).toBe(200);
    const { id, body } = textFrom(NUMBER, '4917600000099', 'after the storm');
    const raw = JSON.stringify(body);
    expect((await t.post(WEBHOOK_PATH, { raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw) } })).status).toBe(200);
    await receiver.waitForBody('the message after', (bodies) => bodies.find((b) => b.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === id));
  }, 120_000);
});
