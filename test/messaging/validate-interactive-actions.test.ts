import { describe, expect, it } from 'vitest';
import { expectRejected, expectRejectedInBoth, FLAVOURS, repeat, send } from './validate-helpers.ts';

const body = { text: 'Hello' };
const cta = (parameters: unknown, extra: Record<string, unknown> = {}) => ({ type: 'cta_url', body, action: { name: 'cta_url', parameters }, ...extra });
const flow = (parameters: Record<string, unknown>) => ({
  type: 'flow',
  body,
  action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 'tok', flow_id: '1234', flow_cta: 'Book now', flow_action: 'navigate', flow_action_payload: { screen: 'WELCOME' }, ...parameters } },
});
const items = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => ({ product_retailer_id: `${prefix}${i}` }));
const productList = (sections: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'product_list', header: { type: 'text', text: 'Our picks' }, body, action: { catalog_id: 'cat1', sections }, ...extra });

describe('interactive: cta_url', () => {
  it.each(FLAVOURS)('%s: display_text ≤ 20 and an http(s) url', (flavour) => {
    expect(send(flavour, 'interactive', cta({ display_text: repeat(20), url: 'https://example.com/x?y=1' }, { header: { type: 'video', video: { link: 'https://example.com/v.mp4' } } })).type).toBe('interactive');
  });

  it('names each broken part', () => {
    expectRejectedInBoth('interactive', cta({ display_text: repeat(21), url: 'https://example.com' }), 'interactive.action.parameters.display_text', { rule: /at most 20/ });
    expectRejectedInBoth('interactive', cta({ display_text: 'Go', url: 'example.com' }), 'interactive.action.parameters.url', { code: 131009 });
    expectRejectedInBoth('interactive', cta({ display_text: 'Go' }), 'interactive.action.parameters.url', { rule: /is required/ });
    expectRejectedInBoth('interactive', { type: 'cta_url', body, action: { parameters: { display_text: 'Go', url: 'https://example.com' } } }, 'interactive.action.name', { rule: /"cta_url"/ });
    expectRejectedInBoth('interactive', { type: 'cta_url', body, action: { name: 'flow', parameters: { display_text: 'Go', url: 'https://example.com' } } }, 'interactive.action.name', { rule: /must be "cta_url"/ });
  });
});

describe('interactive: flow', () => {
  it.each(FLAVOURS)('%s: navigate with a screen, or data_exchange without a payload; by flow_id or flow_name', (flavour) => {
    expect(send(flavour, 'interactive', flow({})).type).toBe('interactive');
    expect(send(flavour, 'interactive', flow({ flow_action: 'data_exchange', flow_action_payload: undefined })).type).toBe('interactive');
    expect(send(flavour, 'interactive', flow({ flow_id: undefined, flow_name: 'booking', mode: 'draft', flow_action_payload: { screen: 'A', data: { k: 1 } } })).type).toBe('interactive');
  });

  it('flow_message_version must be "3"', () => {
    expectRejectedInBoth('interactive', flow({ flow_message_version: undefined }), 'interactive.action.parameters.flow_message_version', { rule: /is required/ });
    expectRejectedInBoth('interactive', flow({ flow_message_version: '2' }), 'interactive.action.parameters.flow_message_version', { code: 131009 });
  });

  it('flow_id or flow_name, not both, not neither', () => {
    expectRejectedInBoth('interactive', flow({ flow_id: undefined }), 'interactive.action.parameters', { rule: /flow_id or flow_name/ });
    expectRejectedInBoth('interactive', flow({ flow_name: 'x' }), 'interactive.action.parameters', { rule: /not both/ });
  });

  it('flow_cta ≤ 30; flow_action and mode from their lists', () => {
    expect(send('cloud', 'interactive', flow({ flow_cta: repeat(30) })).type).toBe('interactive');
    expectRejectedInBoth('interactive', flow({ flow_cta: repeat(31) }), 'interactive.action.parameters.flow_cta', { rule: /at most 30/ });
    expectRejectedInBoth('interactive', flow({ flow_cta: undefined }), 'interactive.action.parameters.flow_cta', { rule: /is required/ });
    expectRejectedInBoth('interactive', flow({ flow_action: 'open' }), 'interactive.action.parameters.flow_action');
    expectRejectedInBoth('interactive', flow({ mode: 'live' }), 'interactive.action.parameters.mode');
  });

  it('navigate needs flow_action_payload.screen; data_exchange takes no payload; data is a non-empty object', () => {
    expectRejectedInBoth('interactive', flow({ flow_action_payload: undefined }), 'interactive.action.parameters.flow_action_payload', { rule: /navigate/ });
    expectRejectedInBoth('interactive', flow({ flow_action_payload: {} }), 'interactive.action.parameters.flow_action_payload.screen', { rule: /is required/ });
    expectRejectedInBoth('interactive', flow({ flow_action: 'data_exchange' }), 'interactive.action.parameters.flow_action_payload', { rule: /left out/ });
    expectRejectedInBoth('interactive', flow({ flow_action_payload: { screen: 'A', data: {} } }), 'interactive.action.parameters.flow_action_payload.data', { rule: /non-empty object/ });
  });
});

describe('interactive: product, product_list, catalog_message', () => {
  it.each(FLAVOURS)('%s: a single product needs catalog_id and product_retailer_id; body optional; no header', (flavour) => {
    expect(send(flavour, 'interactive', { type: 'product', action: { catalog_id: 'c', product_retailer_id: 'sku1' } }).type).toBe('interactive');
    expect(send(flavour, 'interactive', { type: 'product', body, footer: { text: 'f' }, action: { catalog_id: 'c', product_retailer_id: 'sku1' } }).type).toBe('interactive');
  });

  it('product errors', () => {
    expectRejectedInBoth('interactive', { type: 'product', action: { catalog_id: 'c' } }, 'interactive.action.product_retailer_id', { rule: /is required/ });
    expectRejectedInBoth('interactive', { type: 'product', header: { type: 'text', text: 'h' }, action: { catalog_id: 'c', product_retailer_id: 's' } }, 'interactive.header', { rule: /not allowed for product/ });
  });

  it('product_list: a text header is required, 1–10 sections, ≤ 30 products in all', () => {
    expect(send('cloud', 'interactive', productList([{ title: 'A', product_items: items(15, 'a') }, { title: 'B', product_items: items(15, 'b') }])).type).toBe('interactive');
    expectRejectedInBoth('interactive', productList([{ title: 'A', product_items: items(20, 'a') }, { title: 'B', product_items: items(11, 'b') }]), 'interactive.action.sections[1].product_items[10]', { rule: /at most 30 products/ });
    expectRejectedInBoth('interactive', productList([{ product_items: items(1) }], { header: undefined }), 'interactive.header', { rule: /is required for product_list/ });
    expectRejectedInBoth('interactive', productList([{ product_items: items(1) }], { header: { type: 'image', image: { id: '1' } } }), 'interactive.header.type', { rule: /only a text header/ });
    expectRejectedInBoth('interactive', productList([]), 'interactive.action.sections', { rule: /at least 1/ });
    const eleven = Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, product_items: items(1, `s${i}`) }));
    expectRejectedInBoth('interactive', productList(eleven), 'interactive.action.sections', { rule: /at most 10/ });
    expectRejectedInBoth('interactive', productList([{ title: 'A', product_items: items(1) }, { product_items: items(1, 'b') }]), 'interactive.action.sections[1].title', { rule: /more than one section/ });
    expectRejectedInBoth('interactive', productList([{ title: repeat(25), product_items: items(1) }]), 'interactive.action.sections[0].title', { rule: /at most 24/ });
    expectRejectedInBoth('interactive', productList([{ title: 'A', product_items: [] }]), 'interactive.action.sections[0].product_items', { rule: /at least 1/ });
    expectRejectedInBoth('interactive', productList([{ title: 'A', product_items: [{}] }]), 'interactive.action.sections[0].product_items[0].product_retailer_id');
  });

  it('catalog_message', () => {
    expect(send('cloud', 'interactive', { type: 'catalog_message', body, action: { name: 'catalog_message', parameters: { thumbnail_product_retailer_id: 'sku' } } }).type).toBe('interactive');
    expectRejectedInBoth('interactive', { type: 'catalog_message', body, action: { name: 'catalog' } }, 'interactive.action.name');
  });
});

describe('interactive: location_request_message and address_message', () => {
  it.each(FLAVOURS)('%s: the location request takes action.name "send_location"', (flavour) => {
    expect(send(flavour, 'interactive', { type: 'location_request_message', body, action: { name: 'send_location' } }).type).toBe('interactive');
    expectRejected(() => send(flavour, 'interactive', { type: 'location_request_message', action: { name: 'send_location' } }), 'interactive.body', { rule: /is required/ });
  });

  it('location request: wrong name, header', () => {
    expectRejectedInBoth('interactive', { type: 'location_request_message', body, action: { name: 'location' } }, 'interactive.action.name');
    expectRejectedInBoth('interactive', { type: 'location_request_message', header: { type: 'text', text: 'x' }, body, action: { name: 'send_location' } }, 'interactive.header', { rule: /not allowed/ });
  });

  it('address_message needs a two-letter country', () => {
    expect(send('cloud', 'interactive', { type: 'address_message', body, action: { name: 'address_message', parameters: { country: 'IN', values: { name: 'A' }, saved_addresses: [{ id: 'h', value: { city: 'X' } }] } } }).type).toBe('interactive');
    expectRejectedInBoth('interactive', { type: 'address_message', body, action: { name: 'address_message', parameters: { country: 'India' } } }, 'interactive.action.parameters.country', { rule: /at most 2/ });
    expectRejectedInBoth('interactive', { type: 'address_message', body, action: { name: 'address_message', parameters: { country: 'in' } } }, 'interactive.action.parameters.country', { code: 131009 });
    expectRejectedInBoth('interactive', { type: 'address_message', body, action: { name: 'address_message', parameters: { country: 'IN', saved_addresses: [{ id: 'h' }] } } }, 'interactive.action.parameters.saved_addresses[0].value');
  });
});
