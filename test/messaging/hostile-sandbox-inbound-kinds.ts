// Hostile-input profile (hostile-input.test.ts) of POST /sandbox/v1/inbound's further kinds
// (messaging/sandbox-inbound-kinds.ts): a referral, a forwarded or product-question context, an
// order, an unsupported message and a system notice. The kinds' own parsers say which mutations may
// be taken; the rest of the body (from, name, a text) is left to the route, which the first
// profile of this endpoint (hostile-endpoints.ts) covers.
import { inboundContext, inboundReferral, orderContent, systemRequest, unsupportedContent } from '../../src/messaging/sandbox-inbound-kinds.ts';
import { isObj } from '../../src/messaging/validate/check.ts';
import { validatedBy, type EndpointProfile } from './hostile-endpoints.ts';

const CLID = 'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4';
const ITEM = { product_retailer_id: 'sku-1', quantity: 2, item_price: 12.5, currency: 'USD' };

/** Whether the kinds' parsers take a body's referral, context and kind object (the route checks the rest). */
function kindsParse(b: unknown): void {
  if (!isObj(b) || !('from' in b)) throw new Error('not a sandbox inbound body');
  if (b.referral !== undefined) inboundReferral(b.referral);
  if (b.context !== undefined && b.type !== 'system') inboundContext(b.context, '4930000000');
  if (b.type === 'order') orderContent(b.order);
  if (b.type === 'unsupported') unsupportedContent(b.unsupported);
  if (b.type === 'system' && typeof b.from === 'string') systemRequest(b.system, b.from.replace(/\D/g, ''));
}

export function sandboxInboundKindEndpoints(): EndpointProfile[] {
  return [
    {
      method: 'POST',
      path: '/sandbox/v1/inbound',
      flavour: 'cloud',
      body: 'json',
      valid: [
        {
          from: '4917600000150',
          type: 'text',
          text: { body: 'from the ad' },
          referral: { source_url: 'https://fb.me/x', source_id: '1201', source_type: 'ad', headline: 'Sale', body: 'Shoes', media_type: 'video', video_url: 'https://v.example.com/a.mp4', thumbnail_url: 'https://v.example.com/a.jpg', ctwa_clid: CLID, welcome_message: { text: 'Hi' } },
        },
        { from: '4917600000151', type: 'text', text: { body: 'fw' }, context: { forwarded: true, frequently_forwarded: true } },
        { from: '4917600000152', type: 'text', text: { body: 'blue?' }, context: { message_id: 'wamid.p', referred_product: { catalog_id: '12', product_retailer_id: 'sku-1' } } },
        { from: '4917600000153', type: 'order', order: { catalog_id: '12', text: 'please', product_items: [ITEM] }, referral: { source_url: 'https://fb.me/p', source_id: '9', source_type: 'post', media_type: 'image', image_url: 'https://i.example.com/a.jpg' } },
        { from: '4917600000154', type: 'unsupported', unsupported: { type: 'poll_creation', code: 131060 } },
        { from: '4917600000155', type: 'system', system: { type: 'user_changed_number', wa_id: '4917600000195' } },
      ],
      // A mutation of a base body may be taken when the kinds' parsers take it (a type mutated into another
      // kind leaves that kind's object missing or wrong, which they refuse or the route does).
      mayAccept: validatedBy(kindsParse),
    },
  ];
}
