import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bodyParams, templateMessage, templateWorld, utility, type TemplateWorld } from './templates-fixtures.ts';

const NAMED = {
  name: 'named_order',
  category: 'UTILITY',
  language: 'en',
  parameter_format: 'NAMED',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Update for {{first_name}}', example: { header_text_named_params: [{ param_name: 'first_name', example: 'Jane' }] } },
    {
      type: 'BODY',
      text: 'Hi {{first_name}}, your order {{order_id}} has shipped.',
      example: { body_text_named_params: [{ param_name: 'first_name', example: 'Jane' }, { param_name: 'order_id', example: '#1' }] },
    },
  ],
};

const PROMO = {
  name: 'media_promo',
  category: 'MARKETING',
  language: 'en_US',
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARb'] } },
    { type: 'BODY', text: 'Big sale today only, {{1}}!', example: { body_text: [['Jane']] } },
    { type: 'FOOTER', text: 'Reply STOP to opt out' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'URL', text: 'Shop', url: 'https://shop.example.com/p/{{1}}', example: ['https://shop.example.com/p/42'] },
        { type: 'QUICK_REPLY', text: 'Stop' },
        { type: 'COPY_CODE', example: 'SAVE10' },
        { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+4930123456' },
      ],
    },
  ],
};

const AUTH = {
  name: 'login_code',
  category: 'AUTHENTICATION',
  language: 'en_US',
  components: [
    { type: 'BODY', add_security_recommendation: true },
    { type: 'FOOTER', code_expiration_minutes: 10 },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
  ],
};

const image = { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/sale.jpg' } }] };
const urlButton = (index = '0') => ({ type: 'button', sub_type: 'url', index, parameters: [{ type: 'text', text: 'sku-42' }] });
const copyCode = { type: 'button', sub_type: 'copy_code', index: '2', parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }] };
const named = (pairs: [string, string][]) => pairs.map(([parameter_name, text]) => ({ type: 'text', parameter_name, text }));

describeEachDb('templates: sends are checked against the template', (kind) => {
  let w: TemplateWorld;
  const send = (name: string, components: unknown[], language = 'en_US') => w.t.post('/messages', { headers: w.key(), json: templateMessage(name, components, language) });
  const expectError = async (res: Promise<{ status: number; body: any }>, code: number, detail: string, status = 400) => {
    const r = await res;
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.error_data.details).toContain(detail);
  };

  beforeAll(async () => {
    w = await templateWorld(kind);
    for (const body of [NAMED, PROMO, AUTH, utility('two_params', 'Dear {{1}}, your table for {{2}} is ready.')]) {
      const res = await w.t.post('/message_templates', { headers: w.key(), json: body });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    await w.review();
  });
  afterAll(async () => w.close());

  it('wrong numbers of body and header parameters are 132000', async () => {
    await expectError(send('two_params', [bodyParams('Ana')]), 132000, 'body: number of localizable_params (1) does not match the expected number of params (2)');
    await expectError(send('two_params', [bodyParams('Ana', '8 pm', 'extra')]), 132000, '(3)');
    await expectError(send('two_params', []), 132000, '(0)');
    await expectError(send('hello_world', [bodyParams('x')]), 132000, 'body');
    await expectError(send('hello_world', [{ type: 'header', parameters: [{ type: 'text', text: 'x' }] }]), 132000, 'header');
    expect((await send('two_params', [bodyParams('Ana', '8 pm')])).status).toBe(200);
  });

  it('a named template takes each placeholder by parameter_name', async () => {
    const header = { type: 'header', parameters: named([['first_name', 'Jane']]) };
    const ok = await send('named_order', [header, { type: 'body', parameters: named([['order_id', '#9'], ['first_name', 'Jane']]) }], 'en');
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await expectError(send('named_order', [header, { type: 'body', parameters: named([['first_name', 'Jane'], ['order', '#9']]) }], 'en'), 132000, 'parameter_name: must name one of');
    await expectError(send('named_order', [header, { type: 'body', parameters: named([['first_name', 'Jane']]) }], 'en'), 132000, '(1)');
    await expectError(send('named_order', [header, bodyParams('Jane', '#9')], 'en'), 132000, 'body.parameters[0].parameter_name');
  });

  it('an IMAGE header takes one image parameter (132012 for another type, 132000 when missing)', async () => {
    const buttons = [urlButton(), copyCode];
    const ok = await send('media_promo', [image, bodyParams('Jane'), ...buttons, { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'STOP' }] }]);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await expectError(send('media_promo', [{ type: 'header', parameters: [{ type: 'text', text: 'Sale' }] }, bodyParams('Jane'), ...buttons]), 132012, 'IMAGE');
    await expectError(send('media_promo', [bodyParams('Jane'), ...buttons]), 132000, 'IMAGE header');
  });

  it('buttons: a URL button with {{1}} and a COPY_CODE button need their parameters; index and sub_type must match', async () => {
    await expectError(send('media_promo', [image, bodyParams('Jane'), copyCode]), 132000, 'button 0 (URL)');
    await expectError(send('media_promo', [image, bodyParams('Jane'), urlButton()]), 132000, 'button 2 (COPY_CODE)');
    await expectError(send('media_promo', [image, bodyParams('Jane'), urlButton('1'), copyCode]), 131009, 'sub_type must be "quick_reply"');
    await expectError(send('media_promo', [image, bodyParams('Jane'), urlButton(), copyCode, urlButton('5')]), 131009, 'has no button 5');
    await expectError(send('two_params', [bodyParams('a', 'b'), urlButton()]), 131009, 'has no button 0');
  });

  it('an authentication template: Meta’s text with the code as {{1}}, and the OTP button takes the code', async () => {
    const list = await w.t.get('/message_templates', { headers: w.key(), query: { name: 'login_code' } });
    expect(list.body.data[0].components).toEqual([
      { type: 'BODY', text: '*{{1}}* is your verification code. For your security, do not share this code.', add_security_recommendation: true },
      { type: 'FOOTER', text: 'This code expires in 10 minutes.', code_expiration_minutes: 10 },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
    ]);
    const code = { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '123456' }] };
    expect((await send('login_code', [bodyParams('123456'), code])).status).toBe(200);
    await expectError(send('login_code', [bodyParams('123456')]), 132000, 'button 0 (OTP)');
  });

  it('a template of another language or WABA does not exist for this channel (132001)', async () => {
    // Meta answers a template that does not exist with 404.
    await expectError(send('two_params', [bodyParams('a', 'b')], 'de'), 132001, 'does not exist in de', 404);
    const other = await w.t.tenant();
    const res = await w.t.post('/messages', { headers: { 'D360-API-KEY': other.channel_api_key }, json: templateMessage('two_params', [bodyParams('a', 'b')]) });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe(132001);
  });
});
