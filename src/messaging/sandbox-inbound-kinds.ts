// What else a simulated user's message may be or carry (POST /sandbox/v1/inbound, routes/sandbox.ts),
// each checked and shaped as Meta's Cloud API webhooks deliver it:
//   context    a reply {from, id}; a forwarded message {forwarded: true} and/or
//              {frequently_forwarded: true} (no from/id); a question about a product
//              {from, id, referred_product: {catalog_id, product_retailer_id}} (the product message
//              the user asks about: Meta's "product inquiry" text message carries its from and id)
//   referral   the ad or post a user came from (click-to-WhatsApp): {source_url, source_id,
//              source_type "ad"|"post", headline?, body?, media_type? "image"|"video", image_url |
//              video_url + thumbnail_url, ctwa_clid?, welcome_message? {text}} on the message
//   order      a cart sent from a catalog: {catalog_id, text?, product_items[{product_retailer_id,
//              quantity, item_price, currency}]}
//   unsupported  a message type the Cloud API does not carry: {type:"unsupported", unsupported:{type},
//              errors:[{code 131051|131060, title, message, error_data.details}]} (Meta's reference of
//              March 2026; `unsupported.type` is what the user sent, e.g. poll_creation)
//   system     user_changed_number: {body, wa_id (the new number), type}, with the user's BSUIDs,
//              and no contacts array (Meta's system messages reference)
// On-Premise channels get the same message objects in their own envelope, as the Meta side passes
// Meta's objects to them (network/meta/inbound.ts): no On-Premise-specific shape (its `unknown`
// type) could be confirmed, so none is made up.
import { arr, bool, fail, httpUrl, num, obj, oneOf, onlyKeys, optStr, recipient, str, type Obj } from './validate/check.ts';
import type { InboundContext } from './inbound.ts';

export const EXTRA_INBOUND_TYPES = ['order', 'unsupported', 'system'] as const;
export type ExtraInboundType = (typeof EXTRA_INBOUND_TYPES)[number];
export const isExtraInboundType = (t: string): t is ExtraInboundType => (EXTRA_INBOUND_TYPES as readonly string[]).includes(t);

/** A ctwa_clid as the Conversions API takes it (conversion-events.ts): base64url letters and '.'. */
const CTWA_CLID = /^[A-Za-z0-9_.-]{1,1000}$/;
const CURRENCY = /^[A-Z]{3}$/;
/** Meta's values of unsupported.type are lower-case words with underscores (poll_creation, keep_in_chat, …). */
const UNSUPPORTED_TYPE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The `context` of a simulated user's message: `businessNumber` is the channel's number (a reply's
 * and a product inquiry's `from`). Unknown keys are refused: a typo would otherwise go unseen.
 */
export function inboundContext(v: unknown, businessNumber: string): InboundContext {
  const c = obj(v, 'context');
  onlyKeys(c, 'context', ['message_id', 'id', 'forwarded', 'frequently_forwarded', 'referred_product']);
  const forwarded = bool(c.forwarded, 'context.forwarded');
  const frequently = bool(c.frequently_forwarded, 'context.frequently_forwarded');
  const idGiven = c.message_id !== undefined || c.id !== undefined;
  if (c.forwarded !== undefined || c.frequently_forwarded !== undefined) {
    // Meta's forwarded context is only the flags: a forwarded message replies to nothing and names no product.
    if (idGiven || c.referred_product !== undefined) throw fail('context', 'a forwarded message carries forwarded/frequently_forwarded only (no message_id, no referred_product)');
    if (!forwarded && !frequently) throw fail('context.forwarded', 'must be true (or frequently_forwarded true): leave context out for a message that is not forwarded');
    return { ...(forwarded ? { forwarded: true } : {}), ...(frequently ? { frequently_forwarded: true } : {}) };
  }
  const id = str(c.message_id ?? c.id, 'context.message_id', { max: 256 });
  if (c.referred_product === undefined) return { from: businessNumber, id };
  const p = obj(c.referred_product, 'context.referred_product');
  onlyKeys(p, 'context.referred_product', ['catalog_id', 'product_retailer_id']);
  return {
    from: businessNumber,
    id,
    referred_product: {
      catalog_id: str(p.catalog_id, 'context.referred_product.catalog_id', { max: 128 }),
      product_retailer_id: str(p.product_retailer_id, 'context.referred_product.product_retailer_id', { max: 256 }),
    },
  };
}

/**
 * A click-to-WhatsApp referral (Meta's messages reference, "referral"): which ad or post the user
 * tapped. Meta gives no lengths: ids and urls are kept within what its own fields hold elsewhere.
 * image_url comes with media_type image, video_url and thumbnail_url with video, as Meta's reference
 * says they are "included if media_type is …".
 */
export function inboundReferral(v: unknown): Obj {
  const f = 'referral';
  const r = obj(v, f);
  onlyKeys(r, f, ['source_url', 'source_id', 'source_type', 'headline', 'body', 'media_type', 'image_url', 'video_url', 'thumbnail_url', 'ctwa_clid', 'welcome_message']);
  const mediaType = r.media_type === undefined ? undefined : oneOf(r.media_type, 'referral.media_type', ['image', 'video'] as const);
  if (r.image_url !== undefined && mediaType !== 'image') throw fail('referral.image_url', 'goes with media_type "image"');
  if (r.video_url !== undefined && mediaType !== 'video') throw fail('referral.video_url', 'goes with media_type "video"');
  if (r.thumbnail_url !== undefined && mediaType !== 'video') throw fail('referral.thumbnail_url', 'goes with media_type "video"');
  if (mediaType === 'image' && r.image_url === undefined) throw fail('referral.image_url', 'is required with media_type "image"');
  if (mediaType === 'video' && r.video_url === undefined) throw fail('referral.video_url', 'is required with media_type "video"');
  let clid: string | undefined;
  if (r.ctwa_clid !== undefined) {
    clid = str(r.ctwa_clid, 'referral.ctwa_clid', { max: 1000 });
    if (!CTWA_CLID.test(clid)) throw fail('referral.ctwa_clid', "must be letters, digits, '-', '_' and '.' (as the Conversions API takes it)");
  }
  let welcome: Obj | undefined;
  if (r.welcome_message !== undefined) {
    const w = obj(r.welcome_message, 'referral.welcome_message');
    onlyKeys(w, 'referral.welcome_message', ['text']);
    welcome = { text: str(w.text, 'referral.welcome_message.text', { max: 4096 }) };
  }
  return {
    source_url: httpUrl(r.source_url, 'referral.source_url', { max: 2048 }),
    source_id: str(r.source_id, 'referral.source_id', { max: 256 }),
    source_type: oneOf(r.source_type, 'referral.source_type', ['ad', 'post'] as const),
    ...(r.headline !== undefined ? { headline: optStr(r.headline, 'referral.headline', { max: 1024 }) } : {}),
    ...(r.body !== undefined ? { body: optStr(r.body, 'referral.body', { max: 4096 }) } : {}),
    ...(mediaType !== undefined ? { media_type: mediaType } : {}),
    ...(r.image_url !== undefined ? { image_url: httpUrl(r.image_url, 'referral.image_url', { max: 2048 }) } : {}),
    ...(r.video_url !== undefined ? { video_url: httpUrl(r.video_url, 'referral.video_url', { max: 2048 }) } : {}),
    ...(r.thumbnail_url !== undefined ? { thumbnail_url: httpUrl(r.thumbnail_url, 'referral.thumbnail_url', { max: 2048 }) } : {}),
    ...(clid !== undefined ? { ctwa_clid: clid } : {}),
    ...(welcome !== undefined ? { welcome_message: welcome } : {}),
  };
}

/** A cart sent from a catalog (Meta's order messages reference). */
export function orderContent(v: unknown): Obj {
  const o = obj(v, 'order');
  onlyKeys(o, 'order', ['catalog_id', 'text', 'product_items']);
  const items = arr(o.product_items, 'order.product_items', { min: 1, max: 100 }).map((it, i) => {
    const f = `order.product_items[${i}]`;
    const p = obj(it, f);
    onlyKeys(p, f, ['product_retailer_id', 'quantity', 'item_price', 'currency']);
    const quantity = num(p.quantity, `${f}.quantity`, { min: 1, max: 100000 });
    if (!Number.isInteger(quantity)) throw fail(`${f}.quantity`, 'must be a whole number');
    const currency = str(p.currency, `${f}.currency`, { max: 3 });
    if (!CURRENCY.test(currency)) throw fail(`${f}.currency`, 'must be an ISO 4217 code of three capital letters, such as USD');
    return {
      product_retailer_id: str(p.product_retailer_id, `${f}.product_retailer_id`, { max: 256 }),
      quantity,
      item_price: num(p.item_price, `${f}.item_price`, { min: 0, max: 1e12 }),
      currency,
    };
  });
  return {
    catalog_id: str(o.catalog_id, 'order.catalog_id', { max: 128 }),
    ...(o.text !== undefined ? { text: optStr(o.text, 'order.text', { max: 4096 }) } : {}),
    product_items: items,
  };
}

const UNSUPPORTED_ERRORS = {
  // Meta: "Message type unknown" (code 131051; message same as title, details as in the reference's example).
  131051: { code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } },
  // Meta: "This message is currently unavailable." (code 131060; its details are not given: the title is repeated).
  131060: { code: 131060, title: 'This message is currently unavailable.', message: 'This message is currently unavailable.', error_data: { details: 'This message is currently unavailable.' } },
} as const;

/**
 * An unsupported message: the sandbox takes `unsupported: {type?, code?}` (both optional: type
 * "unknown" and code 131051 by default) and delivers Meta's `unsupported: {type}` with its `errors`.
 */
export function unsupportedContent(v: unknown): { content: Obj; errors: unknown[] } {
  const o = v === undefined ? {} : obj(v, 'unsupported');
  onlyKeys(o, 'unsupported', ['type', 'code']);
  const type = o.type === undefined ? 'unknown' : str(o.type, 'unsupported.type', { max: 64 });
  if (!UNSUPPORTED_TYPE.test(type)) throw fail('unsupported.type', 'must be a lower-case message type such as poll_creation (letters, digits and _)');
  const code = o.code === undefined ? 131051 : num(o.code, 'unsupported.code');
  if (code !== 131051 && code !== 131060) throw fail('unsupported.code', 'must be 131051 (message type unknown) or 131060 (message currently unavailable)');
  return { content: { type }, errors: [UNSUPPORTED_ERRORS[code]] };
}

/**
 * A system message: only user_changed_number, which the sandbox can show (the user's new number,
 * `wa_id`, checked as a number). user_changed_user_id is not simulated: a sandbox user's BSUID is
 * derived from their number (network/bsuid.ts) and cannot change on its own.
 */
export function systemRequest(v: unknown, from: string): { type: 'user_changed_number'; newWaId: string } {
  const o = obj(v, 'system');
  onlyKeys(o, 'system', ['type', 'wa_id']);
  const type = o.type === undefined ? 'user_changed_number' : oneOf(o.type, 'system.type', ['user_changed_number'] as const);
  const newWaId = recipient(o.wa_id, 'system.wa_id');
  if (newWaId === from) throw fail('system.wa_id', 'must be the new number, not the one the user had (from)');
  return { type, newWaId };
}

/**
 * The webhook's `system` object of user_changed_number: Meta's body text, the new number, and
 * (Meta's changelog, August 2026: a number change regenerates the BSUID) the new and the previous
 * BSUID. The new one's key is assumed to be `user_id`, as the other BSUID fields are named.
 */
export function userChangedNumber(name: string, from: string, newWaId: string, previousUserId: string, userId: string, hideNumber = false): Obj {
  // A user who hides their number (username + hide_number) is named by BSUIDs only, as their other
  // webhooks are: neither number is in the body, and wa_id is left out (our choice: Meta documents
  // the notice with numbers, and leaves the number out of a hiding user's webhooks).
  if (hideNumber) return { body: `User ${name} changed from ${previousUserId} to ${userId}`, type: 'user_changed_number', user_id: userId, previous_user_id: previousUserId };
  return { body: `User ${name} changed from ${from} to ${newWaId}`, wa_id: newWaId, type: 'user_changed_number', user_id: userId, previous_user_id: previousUserId };
}

