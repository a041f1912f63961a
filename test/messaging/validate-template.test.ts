import { describe, expect, it } from 'vitest';
import { validateOnPremSend } from '../../src/messaging/validate/message.ts';
import { expectRejected, FLAVOURS, repeat, send, TO, type Flavour } from './validate-helpers.ts';

/** A template object valid in the flavour: On-Premise adds namespace and policy. */
function tpl(flavour: Flavour, components?: unknown[], extra: Record<string, unknown> = {}) {
  const base =
    flavour === 'cloud'
      ? { name: 'order_update', language: { code: 'en_US' } }
      : { name: 'order_update', namespace: 'abc_123', language: { code: 'en_US', policy: 'deterministic' } };
  return { ...base, ...(components ? { components } : {}), ...extra };
}
const sendTpl = (flavour: Flavour, components?: unknown[], extra?: Record<string, unknown>) => send(flavour, 'template', tpl(flavour, components, extra));
const rejectTpl = (components: unknown[], field: string, opts: { code?: 100 | 131009; rule?: RegExp } = {}) => {
  for (const flavour of FLAVOURS) expectRejected(() => sendTpl(flavour, components), `template.components${field}`, opts);
};
const text = (t: string, name?: string) => ({ type: 'text', text: t, ...(name ? { parameter_name: name } : {}) });

describe('template: name, language, namespace', () => {
  it.each(FLAVOURS)('%s: the template reference is returned for the template check', (flavour) => {
    const m = sendTpl(flavour, [{ type: 'body', parameters: [text('Ada')] }]);
    expect(m.template).toMatchObject({ name: 'order_update', language: 'en_US', components: [{ type: 'body' }] });
    expect(m.template?.namespace).toEqual(flavour === 'onpremise' ? { value: 'abc_123', field: 'template.namespace' } : undefined);
  });

  it('Cloud: no namespace or policy needed; a namespace is taken and ignored (not compared at the send); policy, when given, is "deterministic"', () => {
    expect(send('cloud', 'template', { name: 'hello_world', language: { code: 'en_US' } }).template?.components).toEqual([]);
    expect(send('cloud', 'template', { name: 'hello_world', language: { code: 'en_US', policy: 'deterministic' }, namespace: 'n' }).template?.namespace).toBeUndefined();
    expectRejected(() => send('cloud', 'template', { name: 'hello_world', language: { code: 'en_US' }, namespace: 7 }), 'template.namespace', { rule: /must be a string/ });
    expectRejected(() => send('cloud', 'template', { name: 'hello_world', language: { code: 'en_US', policy: 'fallback' } }), 'template.language.policy');
  });

  it('On-Premise: namespace and language.policy "deterministic" are required', () => {
    expectRejected(() => send('onpremise', 'template', { name: 'x', language: { code: 'en', policy: 'deterministic' } }), 'template.namespace', { rule: /is required/ });
    expectRejected(() => send('onpremise', 'template', { name: 'x', namespace: 'n', language: { code: 'en' } }), 'template.language.policy', { rule: /On-Premise/ });
  });

  it('the legacy hsm is still a template on the On-Premise API', () => {
    const r = validateOnPremSend({ to: TO, type: 'hsm', hsm: { namespace: 'n', element_name: 'hello_world', language: { policy: 'deterministic', code: 'en_US' }, localizable_params: [{ default: 'Ada' }] } });
    expect(r).toMatchObject({ kind: 'message', type: 'template', template: { name: 'hello_world', namespace: { value: 'n', field: 'hsm.namespace' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] } });
  });

  it('name and language.code are required', () => {
    for (const flavour of FLAVOURS) {
      expectRejected(() => send(flavour, 'template', { ...tpl(flavour), name: undefined }), 'template.name', { rule: /is required/ });
      expectRejected(() => send(flavour, 'template', { ...tpl(flavour), name: repeat(513) }), 'template.name', { rule: /at most 512/ });
      expectRejected(() => send(flavour, 'template', { ...tpl(flavour), language: {} }), 'template.language.code');
      expectRejected(() => send(flavour, 'template', { ...tpl(flavour), language: 'en' }), 'template.language', { rule: /must be an object/ });
    }
  });
});

describe('template: header and body parameters', () => {
  it.each(FLAVOURS)('%s: every parameter type in its place', (flavour) => {
    const m = sendTpl(flavour, [
      { type: 'header', parameters: [{ type: 'image', image: { id: '555' } }] },
      {
        type: 'BODY',
        parameters: [
          text('Ada'),
          { type: 'currency', currency: { fallback_value: '$12.50', code: 'USD', amount_1000: 12500 } },
          { type: 'date_time', date_time: { fallback_value: 'June 1, 2025' } },
        ],
      },
    ]);
    expect(m.mediaId).toBe('555');
    for (const header of [text('Hi'), { type: 'location', location: { latitude: 52.5, longitude: 13.4, name: 'HQ' } }, { type: 'document', document: { link: 'https://example.com/a.pdf', filename: 'a.pdf' } }]) {
      expect(sendTpl(flavour, [{ type: 'header', parameters: [header] }]).type).toBe('template');
    }
  });

  it('header: one parameter, text ≤ 60; body text ≤ 1024 (32768 when the body stands alone)', () => {
    rejectTpl([{ type: 'header', parameters: [text('a'), text('b')] }], '[0].parameters', { rule: /at most 1 item \(got 2\)/ });
    rejectTpl([{ type: 'header', parameters: [text(repeat(61))] }], '[0].parameters[0].text', { rule: /at most 60/ });
    expect(sendTpl('cloud', [{ type: 'body', parameters: [text(repeat(32768))] }]).type).toBe('template');
    rejectTpl([{ type: 'body', parameters: [text(repeat(32769))] }], '[0].parameters[0].text', { rule: /at most 32768/ });
    rejectTpl([{ type: 'header', parameters: [text('a')] }, { type: 'body', parameters: [text(repeat(1025))] }], '[1].parameters[0].text', { rule: /at most 1024/ });
  });

  it('body takes text, currency and date_time only; header no payload', () => {
    rejectTpl([{ type: 'body', parameters: [{ type: 'image', image: { id: '1' } }] }], '[0].parameters[0].type', { rule: /one of text, currency, date_time/ });
    rejectTpl([{ type: 'header', parameters: [{ type: 'payload', payload: 'x' }] }], '[0].parameters[0].type');
  });

  it('currency, date_time and media parameters are checked inside', () => {
    rejectTpl([{ type: 'body', parameters: [{ type: 'currency', currency: { fallback_value: '$1', code: 'usd', amount_1000: 1000 } }] }], '[0].parameters[0].currency.code', { code: 131009 });
    rejectTpl([{ type: 'body', parameters: [{ type: 'currency', currency: { fallback_value: '$1', code: 'USD', amount_1000: 1.5 } }] }], '[0].parameters[0].currency.amount_1000', { rule: /whole number/ });
    rejectTpl([{ type: 'body', parameters: [{ type: 'currency', currency: { code: 'USD', amount_1000: 1 } }] }], '[0].parameters[0].currency.fallback_value');
    rejectTpl([{ type: 'body', parameters: [{ type: 'date_time', date_time: {} }] }], '[0].parameters[0].date_time.fallback_value');
    rejectTpl([{ type: 'header', parameters: [{ type: 'image', image: {} }] }], '[0].parameters[0].image', { rule: /either id/ });
    rejectTpl([{ type: 'header', parameters: [{ type: 'location', location: { latitude: 91, longitude: 0 } }] }], '[0].parameters[0].location.latitude', { rule: /at most 90/ });
    rejectTpl([{ type: 'body', parameters: [{ type: 'text' }] }], '[0].parameters[0].text', { rule: /is required/ });
    rejectTpl([{ type: 'body', parameters: [{ type: 'text', text: 'a', image: {} }] }], '[0].parameters[0].image', { rule: /not a known field/ });
  });

  it('named parameters: lower-case names, unique, all or none in a component', () => {
    expect(sendTpl('cloud', [{ type: 'body', parameters: [text('Ada', 'first_name'), text('42', 'order_id')] }]).type).toBe('template');
    rejectTpl([{ type: 'body', parameters: [text('Ada', 'First Name')] }], '[0].parameters[0].parameter_name', { code: 131009 });
    rejectTpl([{ type: 'body', parameters: [text('Ada', 'name'), text('Bob', 'name')] }], '[0].parameters[1].parameter_name', { code: 131009, rule: /already given/ });
    rejectTpl([{ type: 'body', parameters: [text('Ada', 'name'), text('Bob')] }], '[0].parameters[1].parameter_name', { rule: /all its parameters .* or none/ });
  });

  it('one header and one body per template; component types are known', () => {
    rejectTpl([{ type: 'body', parameters: [] }, { type: 'body', parameters: [] }], '[1].type', { rule: /one body component/ });
    rejectTpl([{ type: 'footer', parameters: [] }], '[0].type', { rule: /one of header, body, button/ });
    rejectTpl([{ parameters: [] }], '[0].type', { rule: /is required/ });
    rejectTpl(['body'], '[0]', { rule: /must be an object/ });
  });
});

describe('template: buttons', () => {
  const btn = (sub_type: string, index: unknown, parameters: unknown[]) => ({ type: 'button', sub_type, index, parameters });

  it.each(FLAVOURS)('%s: quick_reply, url, copy_code, flow, catalog, mpm', (flavour) => {
    const m = sendTpl(flavour, [
      btn('quick_reply', '0', [{ type: 'payload', payload: 'yes' }]),
      btn('url', 1, [text('order/42')]),
      btn('copy_code', '2', [{ type: 'coupon_code', coupon_code: repeat(15, 'C') }]),
      btn('flow', '3', [{ type: 'action', action: { flow_token: 't', flow_action_data: { a: 1 } } }]),
      btn('catalog', '4', [{ type: 'action', action: { thumbnail_product_retailer_id: 'sku' } }]),
      btn('MPM', '5', [{ type: 'action', action: { thumbnail_product_retailer_id: 'sku', sections: [{ title: 'A', product_items: [{ product_retailer_id: 'sku' }] }] } }]),
    ]);
    expect(m.template?.components).toHaveLength(6);
  });

  it('sub_type and index are required; index is 0–9 and unique', () => {
    rejectTpl([btn('call', '0', [text('x')])], '[0].sub_type', { rule: /one of quick_reply, url, copy_code, flow/ });
    rejectTpl([{ type: 'button', index: '0', parameters: [text('x')] }], '[0].sub_type', { rule: /is required/ });
    rejectTpl([btn('url', undefined, [text('x')])], '[0].index', { rule: /is required/ });
    rejectTpl([btn('url', '10', [text('x')])], '[0].index', { rule: /between 0 and 9/ });
    rejectTpl([btn('url', 'first', [text('x')])], '[0].index', { rule: /whole number/ });
    rejectTpl([btn('url', '0', [text('x')]), btn('quick_reply', 0, [{ type: 'payload', payload: 'p' }])], '[1].index', { code: 131009, rule: /already given/ });
  });

  it('each sub_type takes its own parameter type, exactly one', () => {
    rejectTpl([btn('copy_code', '0', [{ type: 'coupon_code', coupon_code: repeat(16) }])], '[0].parameters[0].coupon_code', { rule: /at most 15/ });
    rejectTpl([btn('copy_code', '0', [text('x')])], '[0].parameters[0].type', { rule: /one of coupon_code/ });
    rejectTpl([btn('url', '0', [])], '[0].parameters', { rule: /at least 1/ });
    rejectTpl([btn('url', '0', [text('a'), text('b')])], '[0].parameters', { rule: /at most 1/ });
    rejectTpl([btn('quick_reply', '0', [{ type: 'payload' }])], '[0].parameters[0].payload', { rule: /is required/ });
    // A catalog button's thumbnail is optional (Meta); an mpm button's is not.
    expect(sendTpl('cloud', [btn('catalog', '0', [{ type: 'action', action: {} }])]).type).toBe('template');
    rejectTpl([btn('mpm', '0', [{ type: 'action', action: { sections: [{ product_items: [{ product_retailer_id: 's' }] }] } }])], '[0].parameters[0].action.thumbnail_product_retailer_id', { rule: /is required for mpm/ });
    rejectTpl([btn('mpm', '0', [{ type: 'action', action: { thumbnail_product_retailer_id: 's' } }])], '[0].parameters[0].action.sections', { rule: /is required for mpm/ });
    rejectTpl([btn('flow', '0', [{ type: 'action', action: { flow_action_data: 'x' } }])], '[0].parameters[0].action.flow_action_data', { rule: /must be an object/ });
  });
});

describe('template: carousel and limited-time offer', () => {
  const card = (i: number, extra: unknown[] = []) => ({ card_index: i, components: [{ type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/c.png' } }] }, ...extra] });

  it.each(FLAVOURS)('%s: cards with a media header each; an offer with its expiry', (flavour) => {
    const m = sendTpl(flavour, [
      { type: 'body', parameters: [text('Ada')] },
      { type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: 1767225600000 } }] },
      { type: 'carousel', cards: [card(0, [{ type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'p' }] }]), card(1)] },
    ]);
    expect(m.type).toBe('template');
  });

  it('carousel rules', () => {
    rejectTpl([{ type: 'carousel', cards: [] }], '[0].cards', { rule: /at least 1/ });
    rejectTpl([{ type: 'carousel', cards: Array.from({ length: 11 }, (_, i) => card(i % 10)) }], '[0].cards', { rule: /at most 10/ });
    rejectTpl([{ type: 'carousel', cards: [card(0), card(0)] }], '[0].cards[1].card_index', { code: 131009 });
    rejectTpl([{ type: 'carousel', cards: [{ card_index: 0, components: [{ type: 'header', parameters: [text('x')] }] }] }], '[0].cards[0].components[0].parameters[0].type', { rule: /one of image, video/ });
    rejectTpl([{ type: 'carousel', cards: [card(0, [{ type: 'carousel', cards: [] }])] }], '[0].cards[0].components[1].type', { rule: /cannot hold/ });
  });

  it('limited_time_offer needs expiration_time_ms', () => {
    rejectTpl([{ type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: {} }] }], '[0].parameters[0].limited_time_offer.expiration_time_ms');
  });
});
