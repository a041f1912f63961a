// Meta's template features as real integrations use them today, over HTTP against the app: each
// documented kind of template is created (through the three template APIs) and stored as Meta
// returns it, a malformed one is refused with code 100 naming the field, and an approved one is
// sent with every kind of parameter; a mismatch gets Meta's send-time code (132000, 132012,
// 131009) with details naming the part. Sources: Meta's template documentation (media card
// carousel, limited-time offer, catalog, multi-product, authentication incl. one-tap and zero-tap,
// named parameters; sending template messages) and 360dialog's copies of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { partnerKey, startTestApp, type HttpResponse, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { bytes, uploadCloud } from './media-fixtures.ts';
import { wabaNamespaceOf } from './send-fixtures.ts';
import { REVIEW_MS } from './templates-fixtures.ts';

const ADMIN = 'e'.repeat(32);
const HANDLE = '4::aW1hZ2UvanBlZw==:ARbM';
const image = (link = 'https://cdn.example.com/p.jpg') => ({ type: 'image', image: { link } });
const text = (t: string, parameter_name?: string) => ({ type: 'text', text: t, ...(parameter_name ? { parameter_name } : {}) });
const body = (...params: unknown[]) => ({ type: 'body', parameters: params });
const header = (...params: unknown[]) => ({ type: 'header', parameters: params });
const button = (sub_type: string, index: string | number, parameters: unknown[]) => ({ type: 'button', sub_type, index, parameters });
const payload = (p: string) => ({ type: 'payload', payload: p });

// ---- Templates of every documented kind ----

const ORDER = {
  name: 'order_update',
  category: 'UTILITY',
  language: 'en_US',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['#1001'] } },
    { type: 'BODY', text: 'Hi {{1}}, your order of {{2}} ships on {{3}}.', example: { body_text: [['Ana', '€12.50', 'May 1']] } },
    { type: 'FOOTER', text: 'Thanks for shopping with us' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Stop updates' },
        { type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}', example: ['https://shop.example.com/track/1001'] },
        { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+4930123456' },
      ],
    },
  ],
};

const NAMED_EXAMPLES = [
  { param_name: 'first_name', example: 'Jane' },
  { param_name: 'discount_code', example: 'SAVE10' },
  { param_name: 'percent', example: '10%' },
];
const NAMED = {
  name: 'named_offer',
  category: 'MARKETING',
  language: 'en',
  parameter_format: 'NAMED',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'A gift for {{first_name}}', example: { header_text_named_params: [{ param_name: 'first_name', example: 'Jane' }] } },
    {
      type: 'BODY',
      text: 'Hi {{first_name}}, use {{discount_code}} for {{percent}} off.',
      example: { body_text_named_params: NAMED_EXAMPLES },
    },
    { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'SAVE10' }, { type: 'URL', text: 'Shop', url: 'https://shop.example.com/' }] },
  ],
};

const media = (name: string, format: string) => ({
  name,
  category: 'UTILITY',
  language: 'en_US',
  components: [
    { type: 'HEADER', format, ...(format === 'LOCATION' ? {} : { example: { header_handle: [HANDLE] } }) },
    { type: 'BODY', text: 'Your document {{1}} is ready.', example: { body_text: [['INV-1']] } },
  ],
});

const FLOW_JSON = JSON.stringify({ version: '6.0', screens: [{ id: 'WELCOME', title: 'Welcome', terminal: true, layout: { type: 'SingleColumnLayout', children: [] } }] });
const FLOW = {
  name: 'flow_signup',
  category: 'MARKETING',
  language: 'en_US',
  components: [
    { type: 'BODY', text: 'Sign up for our newsletter today.' },
    { type: 'BUTTONS', buttons: [{ type: 'FLOW', text: 'Sign up', flow_json: FLOW_JSON, flow_action: 'navigate', navigate_screen: 'WELCOME' }] },
  ],
};

const MPM = {
  name: 'mpm_cart',
  category: 'MARKETING',
  language: 'en_US',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Forget something, {{1}}?', example: { header_text: ['Pablo'] } },
    { type: 'BODY', text: 'Looks like you left these items in your cart. Use code {{1}} to get 10% off!', example: { body_text: [['10OFF']] } },
    { type: 'FOOTER', text: 'Lucky Shrub' },
    { type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'View items' }] },
  ],
};

const CATALOG = {
  name: 'catalog_intro',
  category: 'MARKETING',
  language: 'en_US',
  components: [
    { type: 'BODY', text: 'Now shop for your favourite products right here on WhatsApp! Get {{1}} off your first order.', example: { body_text: [['10%']] } },
    { type: 'FOOTER', text: 'Best grocery deals on WhatsApp!' },
    { type: 'BUTTONS', buttons: [{ type: 'CATALOG', text: 'View catalog' }] },
  ],
};

const auth = (name: string, otp: Record<string, unknown>) => ({
  name,
  category: 'AUTHENTICATION',
  language: 'en_US',
  message_send_ttl_seconds: 60,
  components: [
    { type: 'BODY', add_security_recommendation: true },
    { type: 'FOOTER', code_expiration_minutes: 5 },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', ...otp }] },
  ],
});
const OTP_COPY = auth('otp_copy', { otp_type: 'COPY_CODE', text: 'Copy code' });
const OTP_ONE_TAP = auth('otp_one_tap', { otp_type: 'ONE_TAP', text: 'Copy code', autofill_text: 'Autofill', package_name: 'com.example.luckyshrub', signature_hash: 'K8a/AINcGX7' });
const OTP_ZERO_TAP = auth('otp_zero_tap', {
  otp_type: 'ZERO_TAP',
  text: 'Copy code',
  autofill_text: 'Autofill',
  zero_tap_terms_accepted: true,
  supported_apps: [{ package_name: 'com.example.luckyshrub', signature_hash: 'K8a/AINcGX7' }],
});

const card = (extra: Record<string, unknown>[] = []) => ({
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: [HANDLE] } },
    { type: 'BODY', text: 'Plant {{1}}, now {{2}}.', example: { body_text: [['Echeveria', '$12']] } },
    {
      type: 'BUTTONS',
      buttons: [{ type: 'QUICK_REPLY', text: 'Tell me more' }, { type: 'URL', text: 'Buy', url: 'https://shop.example.com/p/{{1}}', example: ['https://shop.example.com/p/echeveria'] }],
    },
    ...extra,
  ],
});
const CAROUSEL = {
  name: 'summer_carousel',
  category: 'MARKETING',
  language: 'en_US',
  components: [
    { type: 'BODY', text: 'Summer is here, {{1}}! Pick your favourite.', example: { body_text: [['Ana']] } },
    { type: 'CAROUSEL', cards: [card(), card()] },
  ],
};

const OFFER = {
  name: 'flash_sale',
  category: 'MARKETING',
  language: 'en_US',
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: [HANDLE] } },
    { type: 'LIMITED_TIME_OFFER', limited_time_offer: { text: 'Expiring offer!', has_expiration: true } },
    { type: 'BODY', text: 'Good news, {{1}}! Use code {{2}} to get 25% off all packages!', example: { body_text: [['Pablo', 'CARIBE25']] } },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'COPY_CODE', example: 'CARIBE25' },
        { type: 'URL', text: 'Book now!', url: 'https://travel.example.com/offer/{{1}}', example: ['https://travel.example.com/offer/ptDJfwmx'] },
      ],
    },
  ],
};

/** At Meta's limits exactly: a name of 512, a body of 1024, a header and a footer of 60 characters, 10 buttons. */
const AT_LIMITS = {
  name: `limits_${'x'.repeat(505)}`,
  category: 'MARKETING',
  language: 'pt_BR',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'H'.repeat(60) },
    { type: 'BODY', text: 'B'.repeat(1024) },
    { type: 'FOOTER', text: 'F'.repeat(60) },
    { type: 'BUTTONS', buttons: Array.from({ length: 10 }, (_, i) => ({ type: 'QUICK_REPLY', text: `Choice ${i + 1} ${'q'.repeat(15)}` })) },
  ],
};

const VIA_META = [NAMED, FLOW, MPM, CATALOG, OTP_COPY, OTP_ONE_TAP, OTP_ZERO_TAP, media('media_image', 'IMAGE'), media('media_video', 'VIDEO')];
const VIA_360 = [ORDER, CAROUSEL, media('media_document', 'DOCUMENT'), media('media_location', 'LOCATION')];
const VIA_PARTNER = [OFFER, AT_LIMITS];

// ---- Malformed ones: [what, body, text the details must contain] ----

const tpl = (components: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'malformed', category: 'MARKETING', language: 'en_US', components, ...extra });
const BUBBLE = { type: 'BODY', text: 'Pick one.' };
const carousel = (cards: unknown[]) => ({ type: 'CAROUSEL', cards });
const withCard = (i: number, change: (c: ReturnType<typeof card>) => void) => {
  const cards = [card(), card()];
  change(cards[i]!);
  return tpl([BUBBLE, carousel(cards)]);
};
const offer = (lto: Record<string, unknown>, buttons: unknown[], extra: unknown[] = [], bodyText = 'Use the code today.') =>
  tpl([{ type: 'LIMITED_TIME_OFFER', limited_time_offer: lto }, { type: 'BODY', text: bodyText }, { type: 'BUTTONS', buttons }, ...extra]);
const COPY = { type: 'COPY_CODE', example: 'SAVE' };
const LINK = { type: 'URL', text: 'Open', url: 'https://shop.example.com/' };
const otpTpl = (otp: Record<string, unknown>) => tpl([{ type: 'BODY' }, { type: 'BUTTONS', buttons: [{ type: 'OTP', ...otp }] }], { category: 'AUTHENTICATION' });
const APP = { package_name: 'com.example.app', signature_hash: 'K8a/AINcGX7' };

const INVALID: [string, unknown, string][] = [
  ['a carousel of one card', tpl([BUBBLE, carousel([card()])]), 'components[1].cards: must have at least 2 items'],
  ['a carousel of 11 cards', tpl([BUBBLE, carousel(Array.from({ length: 11 }, () => card()))]), 'components[1].cards: must have at most 10 items'],
  ['a card without header', withCard(0, (c) => c.components.shift()), 'components[1].cards[0].components: a card needs a HEADER component'],
  ['a card with a TEXT header', withCard(0, (c) => (c.components[0] = { type: 'HEADER', format: 'TEXT', text: 'x' } as never)), 'components[1].cards[0].components[0].format: must be one of IMAGE, VIDEO'],
  ['a card with a FOOTER', withCard(1, (c) => c.components.push({ type: 'FOOTER', text: 'f' } as never)), 'components[1].cards[1].components[3].type: must be one of HEADER, BODY, BUTTONS'],
  ['a card with 3 buttons', withCard(0, (c) => (c.components[2] as { buttons: unknown[] }).buttons.push({ type: 'QUICK_REPLY', text: 'More' })), 'components[1].cards[0].components[2].buttons: must have at most 2 items'],
  ['a card with a COPY_CODE button', withCard(0, (c) => ((c.components[2] as { buttons: unknown[] }).buttons = [COPY])), 'components[1].cards[0].components[2].buttons[0].type: must be one of QUICK_REPLY, URL, PHONE_NUMBER'],
  ['cards that differ', withCard(1, (c) => c.components.splice(1, 1)), 'components[1].cards[1]: all cards must have the same components (card 0: IMAGE header, body, buttons QUICK_REPLY, URL; card 1: IMAGE header, no body'],
  ['a card body over 160 characters', withCard(0, (c) => (c.components[1] = { type: 'BODY', text: 'c'.repeat(161) } as never)), 'components[1].cards[0].components[1].text: must be at most 160 characters (got 161)'],
  ['a card body placeholder without example', withCard(0, (c) => (c.components[1] = { type: 'BODY', text: 'Plant {{1}}.' } as never)), 'components[1].cards[0].components[1].example: is required'],
  ['a carousel with a header of its own', tpl([{ type: 'HEADER', format: 'TEXT', text: 'Hi' }, BUBBLE, carousel([card(), card()])]), 'components[0].type: a carousel template has no HEADER of its own'],
  ['a carousel with buttons of its own', tpl([BUBBLE, carousel([card(), card()]), { type: 'BUTTONS', buttons: [LINK] }]), 'components[2].type: a carousel template has no BUTTONS of its own'],
  ['a UTILITY carousel', tpl([BUBBLE, carousel([card(), card()])], { category: 'UTILITY' }), 'category: must be MARKETING for a carousel template (got UTILITY)'],
  ['an offer text over 16 characters', offer({ text: 'Expiring offer!!!' }, [COPY, LINK]), 'components[0].limited_time_offer.text: must be at most 16 characters (got 17)'],
  ['an offer without text', offer({ has_expiration: true }, [COPY, LINK]), 'components[0].limited_time_offer.text: is required'],
  ['an offer with a FOOTER', offer({ text: 'Ends soon' }, [COPY, LINK], [{ type: 'FOOTER', text: 'f' }]), 'components[3].type: a limited-time offer template has no FOOTER'],
  ['an offer body over 600 characters', offer({ text: 'Ends soon' }, [COPY, LINK], [], 'b'.repeat(601)), 'components[1].text: must be at most 600 characters (got 601)'],
  ['an offer without a URL button', offer({ text: 'Ends soon' }, [COPY]), 'components[2].buttons: a limited-time offer template needs a URL button'],
  ['an expiring offer without a COPY_CODE button', offer({ text: 'Ends soon', has_expiration: true }, [LINK]), 'components[2].buttons: a limited-time offer with has_expiration: true needs a COPY_CODE button'],
  ['an offer with COPY_CODE second', offer({ text: 'Ends soon' }, [LINK, COPY]), "components[2].buttons[1]: a limited-time offer template's COPY_CODE button must be the first button"],
  ['an offer with a TEXT header', offer({ text: 'Ends soon' }, [COPY, LINK], [{ type: 'HEADER', format: 'TEXT', text: 'Sale' }]), "components[3].format: a limited-time offer template's header is IMAGE or VIDEO (got TEXT)"],
  ['a UTILITY offer', { ...offer({ text: 'Ends soon' }, [COPY, LINK]), category: 'UTILITY' }, 'category: must be MARKETING for a limited-time offer template (got UTILITY)'],
  ['an MPM template without header', tpl([BUBBLE, { type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'View items' }] }]), 'components: an MPM (multi-product) template needs a TEXT header'],
  ['an MPM template with an IMAGE header', tpl([{ type: 'HEADER', format: 'IMAGE', example: { header_handle: [HANDLE] } }, BUBBLE, { type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'View items' }] }]), 'components[0].format: an MPM (multi-product) template needs a TEXT header'],
  ['two MPM buttons', tpl([{ type: 'HEADER', format: 'TEXT', text: 'Cart' }, BUBBLE, { type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'A' }, { type: 'MPM', text: 'B' }] }]), 'components[2].buttons[1]: a template may have at most 1 MPM button'],
  ['a UTILITY catalog template', tpl([BUBBLE, { type: 'BUTTONS', buttons: [{ type: 'CATALOG', text: 'View catalog' }] }], { category: 'UTILITY' }), 'category: must be MARKETING for a catalog template (got UTILITY)'],
  ['a CATALOG button without text', tpl([BUBBLE, { type: 'BUTTONS', buttons: [{ type: 'CATALOG' }] }]), 'components[1].buttons[0].text: is required'],
  ['a carousel in an AUTHENTICATION template', tpl([{ type: 'BODY' }, carousel([card(), card()])], { category: 'AUTHENTICATION' }), 'components[1].type: AUTHENTICATION templates have no CAROUSEL'],
  ['ZERO_TAP without zero_tap_terms_accepted', otpTpl({ otp_type: 'ZERO_TAP', supported_apps: [APP] }), 'components[1].buttons[0].zero_tap_terms_accepted: must be true for a ZERO_TAP button'],
  ['ZERO_TAP with the terms refused', otpTpl({ otp_type: 'ZERO_TAP', supported_apps: [APP], zero_tap_terms_accepted: false }), 'components[1].buttons[0].zero_tap_terms_accepted: must be true'],
  ['ONE_TAP without its app', otpTpl({ otp_type: 'ONE_TAP' }), 'components[1].buttons[0]: ONE_TAP needs supported_apps (or package_name and signature_hash)'],
  ['a signature_hash of 10 characters', otpTpl({ otp_type: 'ONE_TAP', package_name: 'com.example.app', signature_hash: 'K8a/AINcGX' }), 'components[1].buttons[0].signature_hash: must be at least 11 characters'],
  ['an unknown otp_type', otpTpl({ otp_type: 'TWO_TAP' }), 'components[1].buttons[0].otp_type: must be one of COPY_CODE, ONE_TAP, ZERO_TAP'],
  ['an expiry of 0 minutes', tpl([{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: 0 }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] }], { category: 'AUTHENTICATION' }), 'components[1].code_expiration_minutes: must be at least 1'],
  [
    'a named example missing',
    tpl([{ type: 'BODY', text: 'Hi {{first_name}}, your code is {{code}}.', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Jane' }] } }], { parameter_format: 'NAMED' }),
    'components[0].example.body_text_named_params: must have at least 2 items',
  ],
  ['a name of 513 characters', { ...AT_LIMITS, name: 'x'.repeat(513) }, 'name: must be at most 512 characters (got 513)'],
  ['a body of 1025 characters', tpl([{ type: 'BODY', text: 'B'.repeat(1025) }]), 'components[0].text: must be at most 1024 characters (got 1025)'],
  ['a header of 61 characters', tpl([{ type: 'HEADER', format: 'TEXT', text: 'H'.repeat(61) }, BUBBLE]), 'components[0].text: must be at most 60 characters (got 61)'],
  ['a footer of 61 characters', tpl([BUBBLE, { type: 'FOOTER', text: 'F'.repeat(61) }]), 'components[1].text: must be at most 60 characters (got 61)'],
  ['11 buttons', tpl([BUBBLE, { type: 'BUTTONS', buttons: Array.from({ length: 11 }, (_, i) => ({ type: 'QUICK_REPLY', text: `Choice ${i}` })) }]), 'components[1].buttons: must have at most 10 items (got 11)'],
];

describeEachDb('templates: Meta’s documented template kinds, created and sent as real clients do', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let onprem: Record<string, string>;
  let namespace: string;
  const clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const partnerPath = () => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/waba_templates`;
  const created: { name: string; status: number; body: any }[] = [];
  let recipient = 0;
  /** A new recipient for each send: the per-recipient rate limit (131056) never gets in the way. */
  const to = () => `49155500${String(++recipient).padStart(5, '0')}`;
  const message = (name: string, components: unknown[], language = 'en_US') => ({ messaging_product: 'whatsapp', to: to(), type: 'template', template: { name, language: { code: language }, components } });
  const send = (name: string, components: unknown[], language?: string) => t.post('/messages', { headers: key(), json: message(name, components, language) });
  const expectSent = async (res: Promise<HttpResponse>) => {
    const r = await res;
    expect(r.status, r.text).toBe(200);
    expect(r.body.messages[0].id).toMatch(/^wamid\./);
    return r.body.messages[0].id as string;
  };
  const expectError = async (res: Promise<HttpResponse>, code: number, details: string, status = 400) => {
    const r = await res;
    expect(r.status, r.text).toBe(status);
    expect(r.body.error.code, r.text).toBe(code);
    expect(r.body.error.error_data.details).toContain(details);
  };
  /** The stored outbound row of a message: its template object and name. */
  const stored = async (id: string) => {
    const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'content', 'template_name', 'direction']).where('id', '=', id).executeTakeFirstOrThrow();
    return { ...row, template: (JSON.parse(row.content) as { template: unknown }).template };
  };
  const metaTemplate = async (name: string) => {
    const res = await t.get('/message_templates', { headers: key(), query: { name } });
    expect(res.status).toBe(200);
    return (res.body.data as { name: string }[]).find((x) => x.name === name) as any;
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    // Reviews run when the test says so (the clock is moved past the review delay).
    await t.jobs!.stop();
    p = await t.tenant();
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123459999', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    onprem = { 'D360-API-KEY': k.body.api_key };
    namespace = await wabaNamespaceOf(t, p);
    // Every kind of template, created through the three APIs (asserted in the first test), then reviewed.
    const create = async (path: string, headers: Record<string, string>, json: { name: string }) => {
      const res = await t.post(path, { headers, json });
      created.push({ name: json.name, status: res.status, body: res.body });
    };
    for (const json of VIA_META) await create('/message_templates', key(), json);
    for (const json of VIA_360) await create('/v1/configs/templates', key(), json);
    for (const json of VIA_PARTNER) await create(partnerPath(), partnerKey(p.partner_api_key), json);
    clock.advance(REVIEW_MS + 1);
    await t.jobs!.runDue();
  });
  afterAll(async () => t.close());

  describe('creating', () => {
    it('every documented kind is accepted by each API (Meta 200, 360 201, Partner API 201) and approved by the review', async () => {
      expect(created).toHaveLength(VIA_META.length + VIA_360.length + VIA_PARTNER.length);
      for (const { name, status, body } of created) {
        expect(status, `${name}: ${JSON.stringify(body)}`).toBe(VIA_META.some((x) => x.name === name) ? 200 : 201);
        expect(body.status, name).toBe('PENDING');
      }
      expect(created.find((c) => c.name === 'summer_carousel')!.body).toEqual({ id: expect.stringMatching(/^\d{15}$/), status: 'PENDING', category: 'MARKETING' });
      expect(created.find((c) => c.name === 'flash_sale')!.body).toMatchObject({ name: 'flash_sale', category: 'MARKETING', status: 'PENDING', namespace });
      const list = await t.get('/message_templates', { headers: key(), query: { limit: '100' } });
      const statuses = Object.fromEntries((list.body.data as { name: string; status: string }[]).map((x) => [x.name, x.status]));
      for (const { name } of created) expect(statuses[name], name).toBe('APPROVED');
    });

    it('a carousel is stored as Meta returns it: the bubble BODY, then CAROUSEL with each card’s HEADER, BODY, BUTTONS', async () => {
      const c = await metaTemplate('summer_carousel');
      expect(c).toMatchObject({ category: 'MARKETING', parameter_format: 'POSITIONAL' });
      const storedCard = {
        components: [
          { type: 'HEADER', format: 'IMAGE', example: { header_handle: [HANDLE] } },
          { type: 'BODY', text: 'Plant {{1}}, now {{2}}.', example: { body_text: [['Echeveria', '$12']] } },
          {
            type: 'BUTTONS',
            buttons: [{ type: 'QUICK_REPLY', text: 'Tell me more' }, { type: 'URL', text: 'Buy', url: 'https://shop.example.com/p/{{1}}', example: ['https://shop.example.com/p/echeveria'] }],
          },
        ],
      };
      expect(c.components).toEqual([
        { type: 'BODY', text: 'Summer is here, {{1}}! Pick your favourite.', example: { body_text: [['Ana']] } },
        { type: 'CAROUSEL', cards: [storedCard, storedCard] },
      ]);
    });

    it('a limited-time offer is stored with its LIMITED_TIME_OFFER component (Meta’s order: header, offer, body, buttons)', async () => {
      const o = await metaTemplate('flash_sale');
      expect(o.components.map((x: { type: string }) => x.type)).toEqual(['HEADER', 'LIMITED_TIME_OFFER', 'BODY', 'BUTTONS']);
      expect(o.components[1]).toEqual({ type: 'LIMITED_TIME_OFFER', limited_time_offer: { text: 'Expiring offer!', has_expiration: true } });
      expect(o.components[3].buttons).toEqual([
        { type: 'COPY_CODE', text: 'Copy offer code', example: 'CARIBE25' },
        { type: 'URL', text: 'Book now!', url: 'https://travel.example.com/offer/{{1}}', example: ['https://travel.example.com/offer/ptDJfwmx'] },
      ]);
      // The Partner API and the 360 list show the same components.
      const partner = await t.get(partnerPath(), { headers: partnerKey(p.partner_api_key), query: { filters: JSON.stringify({ name: 'flash_sale' }) } });
      expect(partner.body.waba_templates[0].components).toEqual(o.components);
    });

    it('MPM and CATALOG buttons, FLOW buttons, named parameters and media headers are stored', async () => {
      expect((await metaTemplate('mpm_cart')).components[3]).toEqual({ type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'View items' }] });
      expect((await metaTemplate('catalog_intro')).components[2]).toEqual({ type: 'BUTTONS', buttons: [{ type: 'CATALOG', text: 'View catalog' }] });
      expect((await metaTemplate('flow_signup')).components[1].buttons[0]).toEqual({ type: 'FLOW', text: 'Sign up', flow_json: FLOW_JSON, flow_action: 'NAVIGATE', navigate_screen: 'WELCOME' });
      const named = await metaTemplate('named_offer');
      expect(named).toMatchObject({ language: 'en', parameter_format: 'NAMED' });
      expect(named.components[1]).toEqual({ type: 'BODY', text: 'Hi {{first_name}}, use {{discount_code}} for {{percent}} off.', example: { body_text_named_params: NAMED_EXAMPLES } });
      expect((await metaTemplate('media_video')).components[0]).toEqual({ type: 'HEADER', format: 'VIDEO', example: { header_handle: [HANDLE] } });
      expect((await metaTemplate('media_location')).components[0]).toEqual({ type: 'HEADER', format: 'LOCATION' });
      const limits = await metaTemplate(AT_LIMITS.name);
      expect(limits.components[3].buttons).toHaveLength(10);
      expect(limits.language).toBe('pt_BR');
    });

    it('authentication templates: Meta’s fixed texts, and each OTP button with its app fields', async () => {
      const zero = await metaTemplate('otp_zero_tap');
      expect(zero.components).toEqual([
        { type: 'BODY', text: '*{{1}}* is your verification code. For your security, do not share this code.', add_security_recommendation: true },
        { type: 'FOOTER', text: 'This code expires in 5 minutes.', code_expiration_minutes: 5 },
        {
          type: 'BUTTONS',
          buttons: [{ type: 'OTP', otp_type: 'ZERO_TAP', text: 'Copy code', autofill_text: 'Autofill', zero_tap_terms_accepted: true, supported_apps: [{ package_name: 'com.example.luckyshrub', signature_hash: 'K8a/AINcGX7' }] }],
        },
      ]);
      expect((await metaTemplate('otp_one_tap')).components[2].buttons[0]).toEqual({
        type: 'OTP',
        otp_type: 'ONE_TAP',
        text: 'Copy code',
        autofill_text: 'Autofill',
        package_name: 'com.example.luckyshrub',
        signature_hash: 'K8a/AINcGX7',
      });
    });

    describe('a malformed template is a 400 (code 100) naming the field, in each API', () => {
      it.each(INVALID)('%s', async (_what, json, detail) => {
        const cloud = await t.post('/message_templates', { headers: key(), json });
        expect(cloud.status, cloud.text).toBe(400);
        expect(cloud.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
        expect(cloud.body.error.error_data.details).toContain(detail);
        const v1 = await t.post('/v1/configs/templates', { headers: key(), json });
        expect(v1.status).toBe(400);
        expect(v1.body.error.error_data.details).toContain(detail);
      });
    });
  });

  describe('sending (POST /messages)', () => {
    it('text header, body with text, currency and date_time, a quick reply payload, a URL button with index as a number or a string; the message is stored as sent', async () => {
      const components = (index: string | number) => [
        header(text('#1001')),
        body(text('Ana'), { type: 'currency', currency: { fallback_value: '€12.50', code: 'EUR', amount_1000: 12500 } }, { type: 'date_time', date_time: { fallback_value: 'May 1, 2026' } }),
        button('quick_reply', 0, [payload('STOP-1001')]),
        button('url', index, [text('1001')]),
      ];
      for (const index of [1, '1']) {
        const id = await expectSent(send('order_update', components(index)));
        const row = await stored(id);
        expect(row).toMatchObject({ type: 'template', template_name: 'order_update', direction: 'outbound' });
        expect(row.template).toEqual({ name: 'order_update', language: { code: 'en_US' }, components: components(index) });
      }
      // Without the quick reply (its payload is optional) it goes too.
      await expectSent(send('order_update', [header(text('#1')), body(text('a'), text('b'), text('c')), button('URL', '1', [text('1')])]));
    });

    it('count and index mismatches: 132000 naming the part, 131009 for a button or sub_type the template does not have', async () => {
      const ok = [header(text('#1')), body(text('a'), text('b'), text('c'))];
      await expectError(send('order_update', [header(text('#1')), body(text('a'), text('b'))]), 132000, 'body: number of localizable_params (2) does not match the expected number of params (3)');
      await expectError(send('order_update', [body(text('a'), text('b'), text('c')), button('url', '1', [text('1')])]), 132000, 'header: number of localizable_params (0)');
      await expectError(send('order_update', ok), 132000, 'button 1 (URL): takes 1 parameter');
      await expectError(send('order_update', [...ok, button('url', '1', [text('1')]), button('quick_reply', '5', [payload('x')])]), 131009, 'template.components[3].index: the template has no button 5 (it has 3 buttons)');
      await expectError(send('order_update', [...ok, button('quick_reply', '1', [payload('x')])]), 131009, 'template.components[2].sub_type: button 1 of the template is URL; sub_type must be "url"');
      await expectError(send('order_update', [...ok, button('url', '1', [text('1')]), button('url', '2', [text('x')])]), 131009, 'button 2 of the template is a PHONE_NUMBER button');
      await expectError(send('order_update', ok, 'de'), 132001, 'template name (order_update) does not exist in de', 404);
    });

    it('named parameters by parameter_name, in any order; a name the template does not have is 132000 naming it', async () => {
      const coupon = button('copy_code', 0, [{ type: 'coupon_code', coupon_code: 'SAVE10' }]);
      const good = [header(text('Jane', 'first_name')), body(text('10%', 'percent'), text('Jane', 'first_name'), text('SAVE10', 'discount_code')), coupon];
      const id = await expectSent(send('named_offer', good, 'en'));
      expect((await stored(id)).template).toMatchObject({ components: good });
      await expectError(
        send('named_offer', [header(text('Jane', 'first_name')), body(text('10%', 'percent'), text('Jane', 'first_name'), text('SAVE10', 'coupon')), coupon], 'en'),
        132000,
        'body.parameters[2].parameter_name: must name one of the template\'s parameters (first_name, discount_code, percent), got "coupon"',
      );
      await expectError(send('named_offer', [header(text('Jane', 'first_name')), body(text('a'), text('b'), text('c')), coupon], 'en'), 132000, 'body.parameters[0].parameter_name');
      await expectError(send('named_offer', [header(text('Jane', 'first_name')), body(text('10%', 'percent'), text('Jane', 'first_name'), text('SAVE10', 'discount_code'))], 'en'), 132000, 'button 0 (COPY_CODE)');
    });

    it('media headers by link and by uploaded id, and a location header; another type is 132012', async () => {
      const up = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', file: { data: bytes('%PDF-1.7\n', 4000), type: 'application/pdf', name: 'invoice.pdf' } });
      expect(up.status).toBe(200);
      const doc = header({ type: 'document', document: { id: up.body.id, filename: 'INV-1.pdf' } });
      const id = await expectSent(send('media_document', [doc, body(text('INV-1'))]));
      expect((await stored(id)).template).toMatchObject({ components: [doc, body(text('INV-1'))] });
      await expectSent(send('media_document', [header({ type: 'document', document: { link: 'https://cdn.example.com/inv.pdf', filename: 'inv.pdf' } }), body(text('INV-2'))]));
      await expectSent(send('media_image', [header(image()), body(text('x'))]));
      await expectSent(send('media_video', [header({ type: 'video', video: { link: 'https://cdn.example.com/v.mp4' } }), body(text('x'))]));
      const place = header({ type: 'location', location: { latitude: 52.52, longitude: '13.405', name: 'Store', address: 'Unter den Linden 1, Berlin' } });
      await expectSent(send('media_location', [place, body(text('x'))]));
      await expectError(send('media_video', [header(image()), body(text('x'))]), 132012, 'header.parameters[0]: the template\'s header is VIDEO');
      await expectError(send('media_location', [body(text('x'))]), 132000, 'header: the template has a LOCATION header, which takes 1 parameter of type location (got 0)');
      await expectError(send('media_document', [header({ type: 'document', document: { id: '123456789012345' } }), body(text('x'))]), 131009, 'media id 123456789012345');
    });

    it('FLOW button: an action with flow_token and flow_action_data', async () => {
      const flow = button('flow', '0', [{ type: 'action', action: { flow_token: 'session-7f3a', flow_action_data: { customer_id: 'c-42', step: 2 } } }]);
      const id = await expectSent(send('flow_signup', [flow]));
      expect((await stored(id)).template).toMatchObject({ components: [flow] });
      // The flow's button may be left out (Meta then uses the token "unused").
      await expectSent(send('flow_signup', []));
      await expectError(send('flow_signup', [button('url', '0', [text('x')])]), 131009, 'sub_type must be "flow"');
    });

    it('MPM and CATALOG buttons: an action with the products; a catalog’s thumbnail is optional', async () => {
      const sections = [
        { title: 'Popular', product_items: [{ product_retailer_id: 'sku-1' }, { product_retailer_id: 'sku-2' }] },
        { title: 'New', product_items: [{ product_retailer_id: 'sku-3' }] },
      ];
      const mpm = button('mpm', 0, [{ type: 'action', action: { thumbnail_product_retailer_id: 'sku-1', sections } }]);
      const id = await expectSent(send('mpm_cart', [header(text('Pablo')), body(text('10OFF')), mpm]));
      expect((await stored(id)).template).toMatchObject({ components: [header(text('Pablo')), body(text('10OFF')), mpm] });
      await expectError(send('mpm_cart', [header(text('Pablo')), body(text('10OFF'))]), 132000, 'button 0 (MPM): takes the products');
      await expectSent(send('catalog_intro', [body(text('10%')), button('CATALOG', 0, [{ type: 'action', action: { thumbnail_product_retailer_id: 'sku-1' } }])]));
      await expectSent(send('catalog_intro', [body(text('10%')), button('catalog', '0', [{ type: 'action', action: {} }])]));
      await expectSent(send('catalog_intro', [body(text('10%'))]));
    });

    it('authentication: the code in the body and in the OTP button (sub_type url, index 0), for COPY_CODE, ONE_TAP and ZERO_TAP', async () => {
      const code = (c: string) => [body(text(c)), button('url', '0', [text(c)])];
      for (const name of ['otp_copy', 'otp_one_tap', 'otp_zero_tap']) {
        const id = await expectSent(send(name, code('482913')));
        const row = await stored(id);
        expect(row.template).toMatchObject({ name, components: code('482913') });
        // A zero-tap template falls back to its one-tap or copy-code button: it needs the code too.
        await expectError(send(name, [body(text('482913'))]), 132000, 'button 0 (OTP): takes 1 parameter');
        await expectError(send(name, [button('url', 0, [text('482913')])]), 132000, 'body: number of localizable_params (0) does not match the expected number of params (1)');
      }
    });

    it('carousel: the bubble’s body and each card by card_index, with its media header, body and buttons', async () => {
      const cardOf = (i: number, headerParam: unknown = image(`https://cdn.example.com/${i}.jpg`)) => ({
        card_index: i,
        components: [header(headerParam), body(text(`Plant ${i}`), text('$12')), button('quick_reply', '0', [payload(`more-${i}`)]), button('url', 1, [text(`plant-${i}`)])],
      });
      const good = [body(text('Ana')), { type: 'carousel', cards: [cardOf(0), cardOf(1)] }];
      const id = await expectSent(send('summer_carousel', good));
      const row = await stored(id);
      expect(row).toMatchObject({ type: 'template', template_name: 'summer_carousel' });
      expect(row.template).toEqual({ name: 'summer_carousel', language: { code: 'en_US' }, components: good });
      // Cards in another order, and card_index as a string: the same cards.
      await expectSent(send('summer_carousel', [body(text('Ana')), { type: 'carousel', cards: [cardOf(1), { ...cardOf(0), card_index: '0' }] }]));

      await expectError(send('summer_carousel', [body(text('Ana'))]), 132000, 'carousel: the template has 2 cards');
      await expectError(send('summer_carousel', [body(text('Ana')), { type: 'carousel', cards: [cardOf(0)] }]), 132000, 'carousel: card 1 is missing');
      await expectError(send('summer_carousel', [body(text('Ana')), { type: 'carousel', cards: [cardOf(0), cardOf(1), cardOf(2)] }]), 131009, 'template.components[1].cards[2].card_index: the template has no card 2');
      await expectError(
        send('summer_carousel', [body(text('Ana')), { type: 'carousel', cards: [cardOf(0, { type: 'video', video: { link: 'https://cdn.example.com/v.mp4' } }), cardOf(1)] }]),
        132012,
        'carousel.cards[0].header.parameters[0]: the template\'s header is IMAGE',
      );
      const shortBody = { ...cardOf(1), components: [header(image()), body(text('Plant 1')), button('url', '1', [text('p')])] };
      await expectError(send('summer_carousel', [body(text('Ana')), { type: 'carousel', cards: [cardOf(0), shortBody] }]), 132000, 'carousel.cards[1].body: number of localizable_params (1) does not match the expected number of params (2)');
      const noUrl = { ...cardOf(0), components: [header(image()), body(text('a'), text('b'))] };
      await expectError(send('summer_carousel', [body(text('Ana')), { type: 'carousel', cards: [noUrl, cardOf(1)] }]), 132000, 'carousel.cards[0].button 1 (URL): takes 1 parameter');
      const extraButton = { ...cardOf(0), components: [...cardOf(0).components, button('quick_reply', '2', [payload('x')])] };
      await expectError(send('summer_carousel', [body(text('Ana')), { type: 'carousel', cards: [extraButton, cardOf(1)] }]), 131009, 'template.components[1].cards[0].components[4].index: the template has no button 2');
      await expectError(send('summer_carousel', [body(text('Ana')), { type: 'carousel', cards: [{ ...cardOf(0), components: [...cardOf(0).components, { type: 'carousel', cards: [] }] }] }]), 100, 'cannot hold a carousel component');
      // A carousel given to a template without one.
      await expectError(send('media_image', [header(image()), body(text('x')), { type: 'carousel', cards: [cardOf(0)] }]), 131009, 'template.components[2].type: template media_image has no carousel component');
    });

    it('limited-time offer: expiration_time_ms, the coupon code and the URL button; without the offer component it is 132000', async () => {
      const lto = { type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: 1775000000000 } }] };
      const rest = [
        button('copy_code', 0, [{ type: 'coupon_code', coupon_code: 'CARIBE25' }]),
        button('url', 1, [text('ptDJfwmx')]),
      ];
      const good = [header(image()), body(text('Pablo'), text('CARIBE25')), lto, ...rest];
      const id = await expectSent(send('flash_sale', good));
      expect((await stored(id)).template).toMatchObject({ name: 'flash_sale', components: good });
      await expectError(send('flash_sale', [header(image()), body(text('Pablo'), text('CARIBE25')), ...rest]), 132000, 'limited_time_offer: the template shows the offer\'s expiration');
      await expectError(send('flash_sale', [header(image()), body(text('Pablo'), text('CARIBE25')), lto, rest[1]]), 132000, 'button 0 (COPY_CODE): takes 1 parameter');
      await expectError(send('media_image', [header(image()), body(text('x')), lto]), 131009, 'template media_image has no limited_time_offer component');
    });
  });

  describe('sending On-Premise style (POST /v1/messages)', () => {
    it('namespace and language.policy "deterministic": 201; a mismatch is the same error in the On-Premise format', async () => {
      const components = [header(text('#7')), body(text('Otto'), text('€3'), text('today')), button('url', '1', [text('7')])];
      const json = (ns: string, c: unknown[]) => ({ to: to(), type: 'template', template: { namespace: ns, name: 'order_update', language: { policy: 'deterministic', code: 'en_US' }, components: c } });
      const ok = await t.post('/v1/messages', { headers: onprem, json: json(namespace, components) });
      expect(ok.status, ok.text).toBe(201);
      const row = await stored(ok.body.messages[0].id);
      expect(row).toMatchObject({ template_name: 'order_update' });
      expect(row.template).toMatchObject({ namespace, language: { policy: 'deterministic', code: 'en_US' }, components });
      const short = await t.post('/v1/messages', { headers: onprem, json: json(namespace, components.slice(0, 2)) });
      expect(short.status).toBe(400);
      expect(short.body.errors[0]).toMatchObject({ code: 132000, details: expect.stringContaining('button 1 (URL): takes 1 parameter') });
      const noPolicy = await t.post('/v1/messages', { headers: onprem, json: { to: to(), type: 'template', template: { namespace, name: 'order_update', language: { code: 'en_US' }, components } } });
      expect(noPolicy.status).toBe(400);
      expect(noPolicy.body.errors[0].details).toContain('template.language.policy: is required on the On-Premise API');
      // A carousel goes the same way through /v1/messages.
      const cards = [0, 1].map((i) => ({ card_index: i, components: [header(image()), body(text('a'), text('b')), button('url', '1', [text('p')])] }));
      const carouselSend = await t.post('/v1/messages', {
        headers: onprem,
        json: { to: to(), type: 'template', template: { namespace, name: 'summer_carousel', language: { policy: 'deterministic', code: 'en_US' }, components: [body(text('Otto')), { type: 'carousel', cards }] } },
      });
      expect(carouselSend.status, carouselSend.text).toBe(201);
    });
  });
});
