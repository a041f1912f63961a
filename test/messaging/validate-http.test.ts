// Every message type over real HTTP in both flavours: valid ones are accepted (200 Cloud, 201
// On-Premise); invalid ones get a 400 in the flavour's error body naming the field, and nothing
// is stored.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { EXPIRED_MEDIA_ID, FLOW_ID, FLOW_SCREEN, MEDIA_ID, TEMPLATE, TEMPLATE_COMPONENTS, seedSendFixtures, wabaNamespaceOf } from './send-fixtures.ts';

const link = (ext: string) => `https://cdn.example.com/file.${ext}`;
const body = { text: 'Choose' };

/** One valid type object per message type (and per interactive type). */
const VALID: [string, string, unknown][] = [
  ['text', 'text', { body: 'hello', preview_url: false }],
  ['image by id', 'image', { id: MEDIA_ID, caption: 'a picture' }],
  ['audio', 'audio', { link: link('ogg'), voice: true }],
  ['video', 'video', { link: link('mp4'), caption: 'a film' }],
  ['document', 'document', { link: link('pdf'), filename: 'report.pdf' }],
  ['sticker', 'sticker', { link: link('webp') }],
  ['location', 'location', { latitude: 52.52, longitude: 13.405, name: 'Berlin' }],
  ['contacts', 'contacts', [{ name: { formatted_name: 'Ada Lovelace' }, phones: [{ phone: '+44 20 7946 0000', type: 'WORK' }], birthday: '1815-12-10' }]],
  ['reply buttons', 'interactive', { type: 'button', header: { type: 'image', image: { id: MEDIA_ID } }, body, action: { buttons: [{ type: 'reply', reply: { id: 'y', title: 'Yes' } }] } }],
  ['list', 'interactive', { type: 'list', body, footer: { text: 'f' }, action: { button: 'Menu', sections: [{ title: 'A', rows: [{ id: 'a1', title: 'One', description: 'first' }] }] } }],
  ['cta_url', 'interactive', { type: 'cta_url', body, action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://example.com' } } }],
  ['flow', 'interactive', { type: 'flow', body, action: { name: 'flow', parameters: { flow_message_version: '3', flow_id: FLOW_ID, flow_cta: 'Start', flow_action: 'navigate', flow_action_payload: { screen: FLOW_SCREEN } } } }],
  ['product', 'interactive', { type: 'product', action: { catalog_id: 'cat', product_retailer_id: 'sku1' } }],
  ['product_list', 'interactive', { type: 'product_list', header: { type: 'text', text: 'Picks' }, body, action: { catalog_id: 'cat', sections: [{ title: 'A', product_items: [{ product_retailer_id: 'sku1' }] }] } }],
  ['location request', 'interactive', { type: 'location_request_message', body, action: { name: 'send_location' } }],
  ['reaction', 'reaction', { message_id: 'wamid.HBgLNDkxNzYxMjM0NTY3OBUCABIYFjNFQjBDMEE1RjI2', emoji: '👍' }],
];

describeEachDb('message validation over HTTP', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let namespace: string;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const to = (i: number) => `49176000${String(i).padStart(5, '0')}`;
  const cloud = (json: unknown) => t.post('/messages', { headers: key(), json });
  const onprem = (json: unknown) => t.post('/v1/messages', { headers: key(), json });
  const stored = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    await seedSendFixtures(t, p, { expiredMedia: true });
    namespace = await wabaNamespaceOf(t, p);
  });
  afterAll(async () => {
    await t.close();
  });

  it('Cloud: a valid message of every type is accepted (200)', async () => {
    const all = [...VALID, ['template', 'template', { name: TEMPLATE, language: { code: 'en_US' }, components: TEMPLATE_COMPONENTS }] as const];
    for (const [i, [label, type, value]] of all.entries()) {
      const res = await cloud({ messaging_product: 'whatsapp', recipient_type: 'individual', to: to(i), type, [type]: value });
      expect({ label, status: res.status, body: res.body }).toMatchObject({ label, status: 200, body: { messaging_product: 'whatsapp', contacts: [{ wa_id: to(i) }] } });
      expect(res.body.messages[0].id).toMatch(/^wamid\./);
    }
  });

  it('On-Premise: the same messages are accepted (201), templates with namespace and policy', async () => {
    const all = [
      ...VALID,
      ['template', 'template', { namespace, name: TEMPLATE, language: { policy: 'deterministic', code: 'en_US' }, components: TEMPLATE_COMPONENTS }] as const,
      ['media with a provider', 'image', { link: link('png'), provider: { name: 'cdn' } }] as const,
    ];
    for (const [i, [label, type, value]] of all.entries()) {
      const res = await onprem({ to: to(100 + i), type, [type]: value, ...(type === 'text' ? { preview_url: true } : {}) });
      expect({ label, status: res.status }).toEqual({ label, status: 201 });
      expect(res.body).toMatchObject({ contacts: [{ wa_id: to(100 + i) }], messages: [{ id: expect.stringMatching(/^wamid\./) }], meta: { api_status: 'stable' } });
    }
  });

  it('Cloud errors are Meta-style (#100 / #131009) and name the exact field; nothing is stored', async () => {
    const before = await stored();
    const buttons = Array.from({ length: 4 }, (_, i) => ({ type: 'reply', reply: { id: `b${i}`, title: `B${i}` } }));
    const tooMany = await cloud({ messaging_product: 'whatsapp', to: to(1), type: 'interactive', interactive: { type: 'button', body, action: { buttons } } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({
      message: '(#100) Invalid parameter',
      type: 'OAuthException',
      code: 100,
      error_data: { messaging_product: 'whatsapp', details: 'interactive.action.buttons: must have at most 3 items (got 4)' },
      fbtrace_id: expect.any(String),
    });

    const row = await cloud({
      messaging_product: 'whatsapp',
      to: to(1),
      type: 'interactive',
      interactive: { type: 'list', body, action: { button: 'Menu', sections: [{ rows: [{ id: 'r', title: 'x'.repeat(25) }] }] } },
    });
    expect(row.status).toBe(400);
    expect(row.body.error.error_data.details).toBe('interactive.action.sections[0].rows[0].title: must be at most 24 characters (got 25)');

    const badLink = await cloud({ messaging_product: 'whatsapp', to: to(1), type: 'image', image: { link: 'file:///etc/passwd' } });
    expect(badLink.status).toBe(400);
    expect(badLink.body.error).toMatchObject({ code: 131009, message: '(#131009) Parameter value is not valid', error_data: { details: expect.stringMatching(/^image\.link: /) } });

    const emoji = await cloud({ messaging_product: 'whatsapp', to: to(1), type: 'reaction', reaction: { message_id: 'wamid.x', emoji: 'thumbs up' } });
    expect(emoji.body.error).toMatchObject({ code: 131009, error_data: { details: expect.stringMatching(/^reaction\.emoji: must be a single emoji/) } });

    const param = await cloud({
      messaging_product: 'whatsapp',
      to: to(1),
      type: 'template',
      template: { name: TEMPLATE, language: { code: 'en_US' }, components: [{ type: 'button', sub_type: 'copy_code', index: 0, parameters: [{ type: 'coupon_code', coupon_code: 'X'.repeat(16) }] }] },
    });
    expect(param.body.error.error_data.details).toBe('template.components[0].parameters[0].coupon_code: must be at most 15 characters (got 16)');
    expect(await stored()).toBe(before);
  });

  it('On-Premise errors use the On-Premise body and name the field', async () => {
    const noNamespace = await onprem({ to: to(2), type: 'template', template: { name: TEMPLATE, language: { policy: 'deterministic', code: 'en_US' } } });
    expect(noNamespace.status).toBe(400);
    expect(noNamespace.body).toMatchObject({ errors: [{ code: 1008, title: 'Invalid parameter', details: 'template.namespace: is required' }], meta: { api_status: 'stable' } });

    const cloudish = await onprem({ to: to(2), type: 'interactive', interactive: { type: 'cta_url', body, action: { name: 'cta_url', parameters: { display_text: 'x'.repeat(21), url: 'https://example.com' } } } });
    expect(cloudish.status).toBe(400);
    expect(cloudish.body.errors[0]).toMatchObject({ code: 1009, details: 'interactive.action.parameters.display_text: must be at most 20 characters (got 21)', href: expect.any(String) });

    const rows = Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` }));
    const list = await onprem({ to: to(2), type: 'interactive', interactive: { type: 'list', body, action: { button: 'Menu', sections: [{ rows }] } } });
    expect(list.body.errors[0].details).toBe('interactive.action.sections[0].rows[10]: a list has at most 10 rows across all its sections');
  });

  it('media ids are checked against the channel uploads, in headers too', async () => {
    const expired = await cloud({ messaging_product: 'whatsapp', to: to(3), type: 'image', image: { id: EXPIRED_MEDIA_ID } });
    expect(expired.status).toBe(400);
    expect(expired.body.error).toMatchObject({ code: 131009, error_data: { details: expect.stringContaining(EXPIRED_MEDIA_ID) } });
    const header = await cloud({
      messaging_product: 'whatsapp',
      to: to(3),
      type: 'interactive',
      interactive: { type: 'button', header: { type: 'video', video: { id: '900000000000999' } }, body, action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A' } }] } },
    });
    expect(header.status).toBe(400);
    expect(header.body.error).toMatchObject({ code: 131009, error_data: { details: expect.stringContaining('900000000000999') } });
  });
});
