// An AUTHENTICATION template's fixed texts (Meta writes them itself) in the template's own language,
// from one table (src/messaging/templates/auth-text.ts): what POST /message_templates and the
// Partner API store, what GET /message_template_previews shows, what the template library's
// authentication entries hold, and what the sandbox phone draws once one is sent. A language the
// table does not have falls back to English.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { getChannel } from '../../src/services/channels.ts';
import { loadConversation } from '../../src/web/phone/conversation.ts';
import { authTextLanguage, authTexts } from '../../src/messaging/templates/auth-text.ts';
import { bodyParams, templateMessage, templateWorld, type TemplateWorld } from './templates-fixtures.ts';

const EN = {
  body: '*{{1}}* is your verification code. For your security, do not share this code.',
  footer: 'This code expires in 10 minutes.',
  button: 'Copy code',
  autofill: 'Autofill',
};
// Meta's own Spanish wording (its message_template_previews reference).
const ES = {
  body: 'Tu código de verificación es *{{1}}*. Por tu seguridad, no lo compartas.',
  footer: 'Este código caduca en 10 minutos.',
  button: 'Copiar código',
  autofill: 'Autocompletar',
};
const REQUIRED = ['en', 'en_US', 'en_GB', 'es', 'es_ES', 'es_MX', 'es_AR', 'pt_BR', 'pt_PT', 'de', 'fr', 'it', 'nl', 'id', 'tr', 'ru', 'ar', 'hi'];

/** An authentication template in `language`; the OTP button names no text unless `text` is given. */
const auth = (name: string, language: string, o: { security?: boolean; minutes?: number | null; text?: string } = {}) => ({
  name,
  category: 'AUTHENTICATION',
  language,
  components: [
    { type: 'BODY', add_security_recommendation: o.security ?? true },
    ...(o.minutes === null ? [] : [{ type: 'FOOTER', code_expiration_minutes: o.minutes ?? 10 }]),
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', ...(o.text ? { text: o.text } : {}) }] },
  ],
});

/** What a stored template's components say: body, footer, OTP label. */
const textsOf = (components: any[]) => ({
  body: components.find((c) => c.type === 'BODY')?.text,
  footer: components.find((c) => c.type === 'FOOTER')?.text,
  button: components.find((c) => c.type === 'BUTTONS')?.buttons[0].text,
});

describe('auth-text: the table', () => {
  it('has every language asked for in its own words; the rest fall back to English', () => {
    for (const l of REQUIRED) {
      const x = authTexts(l);
      expect(x.body.match(/\{\{1\}\}/g), l).toHaveLength(1);
      expect(x.body.replace('{{1}}', '')).not.toMatch(/\{\{|\}\}/);
      expect(x.copyCode.length, l).toBeLessThanOrEqual(25);
      expect(x.autofill.length, l).toBeLessThanOrEqual(25);
      expect(x.expires(7), l).toContain('7');
      if (!l.startsWith('en')) expect(x.body, l).not.toBe(authTexts('en').body);
    }
    expect(authTextLanguage('es_MX')).toBe('es');
    expect(authTextLanguage('en_GB')).toBe('en');
    expect(authTextLanguage('pt_PT')).toBe('pt_PT');
    expect(authTexts('pt_PT').body).not.toBe(authTexts('pt_BR').body);
    for (const l of ['zu', 'sw', 'zh_CN', 'pt']) expect(authTextLanguage(l), l).toBe('en');
  });
});

describeEachDb('authentication templates in their own language', (kind) => {
  let w: TemplateWorld;
  const partnerBase = () => `/api/v2/partners/${w.p.partner_id}/waba_accounts/${w.p.waba_account_id}/waba_templates`;
  const stored = async (name: string, language: string) => {
    const res = await w.t.get('/message_templates', { headers: w.key(), query: { name, language, limit: '10' } });
    expect(res.status, res.text).toBe(200);
    const t = res.body.data.find((d: any) => d.name === name && d.language === language);
    expect(t, `${name}/${language}`).toBeDefined();
    return t;
  };
  const create = async (json: Record<string, unknown>) => {
    const res = await w.t.post('/message_templates', { headers: w.key(), json });
    expect(res.status, res.text).toBe(200);
    return res.body.id as string;
  };
  const previews = async (languages: string, query: Record<string, string> = {}) => {
    const res = await w.t.get('/message_template_previews', {
      headers: w.key(),
      query: { category: 'AUTHENTICATION', languages, add_security_recommendation: 'true', code_expiration_minutes: '10', button_types: 'OTP', ...query },
    });
    expect(res.status, res.text).toBe(200);
    return res.body.data as { body: string; footer?: string; buttons?: { text: string; autofill_text: string }[]; language: string }[];
  };

  beforeAll(async () => {
    w = await templateWorld(kind);
  });
  afterAll(async () => w.close());

  it('POST /message_templates stores the body, footer and OTP label in the template’s language (same shape as before)', async () => {
    await create(auth('otp_es', 'es'));
    await create(auth('otp_es', 'es_MX'));
    await create(auth('otp_es', 'en_US'));
    await create(auth('otp_es', 'fr', { security: false, minutes: 5 }));
    await create(auth('otp_es', 'ar'));
    const es = await stored('otp_es', 'es');
    // The object is as before; only the words are Spanish.
    expect(es.components).toEqual([
      { type: 'BODY', text: ES.body, add_security_recommendation: true },
      { type: 'FOOTER', text: ES.footer, code_expiration_minutes: 10 },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: ES.button }] },
    ]);
    expect(es.category).toBe('AUTHENTICATION');
    expect(textsOf((await stored('otp_es', 'es_MX')).components)).toEqual({ body: ES.body, footer: ES.footer, button: ES.button });
    expect(textsOf((await stored('otp_es', 'en_US')).components)).toEqual({ body: EN.body, footer: EN.footer, button: EN.button });
    expect(textsOf((await stored('otp_es', 'fr')).components)).toEqual({
      body: '*{{1}}* est votre code de vérification.',
      footer: 'Ce code expire dans 5 minutes.',
      button: 'Copier le code',
    });
    const ar = textsOf((await stored('otp_es', 'ar')).components);
    expect(ar).toEqual({ body: authTexts('ar').body + ' ' + authTexts('ar').security, footer: authTexts('ar').expires(10), button: authTexts('ar').copyCode });
    expect(ar.body).toContain('*{{1}}*');
    // A label the business chose is kept, in any language.
    await create(auth('otp_label', 'de', { text: 'Code holen' }));
    expect(textsOf((await stored('otp_label', 'de')).components)).toEqual({
      body: '*{{1}}* ist dein Bestätigungscode. Gib diesen Code zu deiner Sicherheit nicht weiter.',
      footer: 'Dieser Code läuft in 10 Minuten ab.',
      button: 'Code holen',
    });
  });

  it('the Partner API’s POST …/waba_templates stores the same words', async () => {
    for (const [language, expected] of [
      ['es_AR', ES],
      ['pt_BR', { body: '*{{1}}* é seu código de verificação. Para sua segurança, não o compartilhe.', footer: 'Este código expira em 10 minutos.', button: 'Copiar código' }],
      ['hi', { body: `${authTexts('hi').body} ${authTexts('hi').security}`, footer: authTexts('hi').expires(10), button: authTexts('hi').copyCode }],
    ] as const) {
      const res = await w.t.post(partnerBase(), { headers: w.pkey(), json: auth('partner_otp', language) });
      expect(res.status, res.text).toBe(201);
      expect(textsOf(res.body.components), language).toEqual({ body: expected.body, footer: expected.footer, button: expected.button });
      expect(textsOf((await stored('partner_otp', language)).components), language).toEqual({ body: expected.body, footer: expected.footer, button: expected.button });
    }
  });

  it('previews show each language in its own words, word for word what creation stores', async () => {
    const langs = ['en_US', 'en_GB', 'es', 'es_ES', 'pt_BR', 'pt_PT', 'de', 'fr', 'it', 'nl', 'id', 'tr', 'ru', 'ar', 'hi'];
    const data = await previews(langs.join(','));
    expect(data.map((d) => d.language)).toEqual(langs);
    expect(data.find((d) => d.language === 'es')).toEqual({ body: ES.body, buttons: [{ autofill_text: ES.autofill, text: ES.button }], footer: ES.footer, language: 'es' });
    expect(data.find((d) => d.language === 'en_US')).toEqual({ body: EN.body, buttons: [{ autofill_text: EN.autofill, text: EN.button }], footer: EN.footer, language: 'en_US' });
    // Eleven different languages, eleven different bodies (English and Spanish twice each).
    expect(new Set(data.map((d) => d.body)).size).toBe(langs.length - 2);
    for (const p of data) {
      await create(auth('preview_match', p.language));
      expect(textsOf((await stored('preview_match', p.language)).components), p.language).toEqual({ body: p.body, footer: p.footer, button: p.buttons![0]!.text });
    }
    // Without the security sentence and the footer, too.
    const plain = await previews('tr,ru', { add_security_recommendation: 'false', code_expiration_minutes: '' });
    for (const p of plain) {
      expect(p.footer).toBeUndefined();
      await create(auth('preview_plain', p.language, { security: false, minutes: null }));
      const s = await stored('preview_plain', p.language);
      expect(s.components.map((c: any) => c.type)).toEqual(['BODY', 'BUTTONS']);
      expect(textsOf(s.components).body, p.language).toBe(p.body);
    }
  });

  it('a library authentication entry holds, and makes, the same words as its language’s preview', async () => {
    const lib = await w.t.get('/message_template_library', { headers: w.key(), query: { name: 'verification_code_copy', limit: '10' } });
    expect(lib.status, lib.text).toBe(200);
    const entries = lib.body.data as any[];
    expect(entries.map((e) => e.language)).toEqual(['de', 'en_US', 'es', 'pt_BR']);
    const withSecurity = await previews('de,en_US,es,pt_BR');
    const plain = await previews('de,en_US,es,pt_BR', { add_security_recommendation: 'false' });
    for (const e of entries) {
      const p = withSecurity.find((d) => d.language === e.language)!;
      expect(e.body, e.language).toBe(plain.find((d) => d.language === e.language)!.body);
      expect(e.buttons, e.language).toEqual([{ type: 'OTP', text: p.buttons![0]!.text, otp_type: 'COPY_CODE' }]);
      const res = await w.t.post('/message_templates', {
        headers: w.key(),
        json: {
          name: 'lib_otp',
          category: 'AUTHENTICATION',
          language: e.language,
          library_template_name: 'verification_code_copy',
          library_template_body_inputs: { add_security_recommendation: true, code_expiration_minutes: 10 },
        },
      });
      expect(res.status, res.text).toBe(200);
      expect(textsOf((await stored('lib_otp', e.language)).components), e.language).toEqual({ body: p.body, footer: p.footer, button: p.buttons![0]!.text });
    }
    // The one-tap entry shows the autofill label of its language.
    const oneTap = await w.t.get('/message_template_library', { headers: w.key(), query: { name: 'verification_code_one_tap' } });
    expect(oneTap.body.data[0]).toMatchObject({ body: '*{{1}}* is your verification code.', buttons: [{ type: 'OTP', text: EN.autofill, otp_type: 'ONE_TAP' }] });
  });

  it('a language the table does not have falls back to English, in previews and creation alike', async () => {
    const data = await previews('zu,sw');
    for (const p of data) expect(p).toEqual({ body: EN.body, buttons: [{ autofill_text: EN.autofill, text: EN.button }], footer: EN.footer, language: p.language });
    await create(auth('otp_fallback', 'zu'));
    expect(textsOf((await stored('otp_fallback', 'zu')).components)).toEqual({ body: EN.body, footer: EN.footer, button: EN.button });
  });

  it('an edit keeps the template’s language', async () => {
    const id = await create(auth('otp_edit', 'it'));
    await w.review();
    const res = await w.t.post(`/message_templates/${id}`, {
      headers: w.key(),
      json: { components: auth('x', 'it', { security: false, minutes: 3 }).components },
    });
    expect(res.status, res.text).toBe(200);
    expect(textsOf((await stored('otp_edit', 'it')).components)).toEqual({
      body: '*{{1}}* è il tuo codice di verifica.',
      footer: 'Questo codice scade tra 3 minuti.',
      button: 'Copia codice',
    });
  });

  it('the sandbox phone shows a sent Spanish one-time password in Spanish', async () => {
    await create(auth('otp_phone', 'es'));
    await w.review();
    const code = { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] };
    const sent = await w.t.post('/messages', { headers: w.key(), json: templateMessage('otp_phone', [bodyParams('482913'), code], 'es') });
    expect(sent.status, sent.text).toBe(200);
    const channel = await getChannel(w.t.deps, w.p.partner_id, w.p.channel_id);
    const bubbles = await loadConversation(w.t.deps, channel, '4915550001111');
    const bubble = bubbles.find((b) => b.id === sent.body.messages[0].id);
    expect(bubble).toMatchObject({
      text: 'Tu código de verificación es *482913*. Por tu seguridad, no lo compartas.',
      footer: ES.footer,
      templateButtons: [expect.objectContaining({ label: ES.button })],
    });
  });
});
