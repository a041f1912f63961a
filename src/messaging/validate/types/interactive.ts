// interactive: {type, header?, body, footer?, action}. The parts every interactive type shares
// (header ≤ 60 or a media header, body ≤ 1024 (4096 for lists), footer ≤ 60) are checked here against the rules
// of its type; the action is checked by the type's own validator (a carousel's also returns the
// media ids of its cards' headers).
import { fail, fromJsonText, obj, oneOf, onlyKeys, str, type Obj } from '../check.ts';
import type { Flavour, TypeResult } from './common.ts';
import { mediaObject, type MediaKind } from './media.ts';
import { buttonAction, listAction } from './interactive-choice.ts';
import { addressAction, ctaUrlAction, flowAction, flowRef, locationRequestAction } from './interactive-links.ts';
import { catalogAction, productAction, productListAction } from './interactive-commerce.ts';
import { carouselAction } from './interactive-carousel.ts';
import { callPermissionAction, voiceCallAction } from './interactive-calls.ts';
import { orderDetailsAction, orderSendChecks, orderStatusAction } from './interactive-payments.ts';

export const INTERACTIVE_TYPES = ['button', 'list', 'cta_url', 'flow', 'product', 'product_list', 'catalog_message', 'location_request_message', 'address_message', 'carousel', 'voice_call', 'call_permission_request', 'order_details', 'order_status'] as const;
export type InteractiveType = (typeof INTERACTIVE_TYPES)[number];
export const INTERACTIVE_BODY_MAX = 1024;
/** Meta's interactive list messages take a longer body than the other interactive types. */
export const LIST_BODY_MAX = 4096;
export const INTERACTIVE_HEADER_MAX = 60;
export const INTERACTIVE_FOOTER_MAX = 60;

type HeaderType = 'text' | MediaKind;
const ANY_HEADER: readonly HeaderType[] = ['text', 'image', 'video', 'document'];
const TEXT_HEADER: readonly HeaderType[] = ['text'];

interface Rules {
  /** Header types allowed; empty: no header. */
  header: readonly HeaderType[];
  headerRequired?: boolean;
  bodyRequired: boolean;
  /** Body text length limit (INTERACTIVE_BODY_MAX unless the type says otherwise). */
  bodyMax?: number;
  /** false: the type takes no footer. */
  footer?: false;
  /** Checks the action; returns the uploaded media ids it names, if it names any (a carousel's card headers). */
  action: (a: Obj, f: string, flavour: Flavour) => void | string[];
}

const RULES: Record<InteractiveType, Rules> = {
  button: { header: ANY_HEADER, bodyRequired: true, action: buttonAction },
  list: { header: TEXT_HEADER, bodyRequired: true, bodyMax: LIST_BODY_MAX, action: listAction },
  cta_url: { header: ANY_HEADER, bodyRequired: true, action: ctaUrlAction },
  flow: { header: ANY_HEADER, bodyRequired: true, action: flowAction },
  product: { header: [], bodyRequired: false, action: productAction },
  product_list: { header: TEXT_HEADER, headerRequired: true, bodyRequired: true, action: productListAction },
  catalog_message: { header: [], bodyRequired: true, action: catalogAction },
  location_request_message: { header: [], bodyRequired: true, action: locationRequestAction },
  address_message: { header: TEXT_HEADER, bodyRequired: true, action: addressAction },
  // "Main message headers, footers, and interactive components are not supported": each card has its own header.
  carousel: { header: [], footer: false, bodyRequired: true, action: carouselAction },
  // Meta's call button page shows a body and the action, and sends the rest of the interactive
  // object to its general page ("Learn more about sending interactive free form messages"): the
  // header and footer any interactive message may have are taken too.
  voice_call: { header: ANY_HEADER, bodyRequired: true, action: voiceCallAction },
  // "The call permission request interactive object cannot be edited by the business. Only the
  // message body can be customized", and the body is "Optional (…) highly recommended" (Obtain
  // User Call Permissions); some clients send none (a Bitrix24 connector's CALL_REQUEST).
  call_permission_request: { header: [], footer: false, bodyRequired: false, action: callPermissionAction },
  // The Payments API (interactive-payments.ts): an order_details message "always contains the same
  // 4 main components: header, body, footer, and action"; the header (optional: WhatsApp shows the
  // first product's image without one) is not restricted to a kind there, so any is taken.
  order_details: { header: ANY_HEADER, bodyRequired: true, action: orderDetailsAction },
  // order_status: a body, an optional footer and the action in the pages' examples; no header.
  order_status: { header: [], bodyRequired: true, action: orderStatusAction },
};

/** Returns the uploaded media id of a media header, if it names one. */
function header(v: unknown, f: string, type: InteractiveType, rules: Rules, flavour: Flavour): string | undefined {
  if (v === undefined) {
    if (rules.headerRequired) throw fail(f, `is required for ${type} messages (a text header)`);
    return undefined;
  }
  if (rules.header.length === 0) throw fail(f, `is not allowed for ${type} messages`);
  const o = obj(v, f);
  const kind = o.type === undefined ? undefined : String(o.type);
  if (kind !== undefined && ANY_HEADER.includes(kind as HeaderType) && !rules.header.includes(kind as HeaderType)) {
    throw fail(`${f}.type`, `${type} messages take only a ${rules.header.join(' or ')} header (got "${kind}")`);
  }
  const t = oneOf(o.type, `${f}.type`, rules.header);
  onlyKeys(o, f, ['type', t]);
  if (t === 'text') {
    str(o.text, `${f}.text`, { max: INTERACTIVE_HEADER_MAX });
    return undefined;
  }
  return mediaObject(o[t], `${f}.${t}`, t, flavour).id;
}

function textPart(v: unknown, f: string, max: number): void {
  const o = obj(v, f);
  onlyKeys(o, f, ['text']);
  str(o.text, `${f}.text`, { max });
}

export function interactive(v: unknown, f: string, flavour: Flavour): TypeResult {
  const o = obj(v, f);
  const type = oneOf(o.type, `${f}.type`, INTERACTIVE_TYPES);
  onlyKeys(o, f, ['type', 'header', 'body', 'footer', 'action']);
  const rules = RULES[type];
  const mediaId = header(o.header, `${f}.header`, type, rules, flavour);
  if (o.body !== undefined || rules.bodyRequired) textPart(o.body, `${f}.body`, rules.bodyMax ?? INTERACTIVE_BODY_MAX);
  if (o.footer !== undefined) {
    if (rules.footer === false) throw fail(`${f}.footer`, `is not allowed for ${type} messages`);
    textPart(o.footer, `${f}.footer`, INTERACTIVE_FOOTER_MAX);
  }
  // Also as its JSON text (fromJsonText: Chatwoot sends it so).
  const action = obj(fromJsonText(o.action), `${f}.action`);
  const actionMedia = rules.action(action, `${f}.action`, flavour);
  // Kept with the action as an object, whichever way it came.
  const content = action === o.action ? o : { ...o, action };
  // A flow message's flow is checked against the WABA's stored flows when it is sent.
  if (type === 'flow') return { content, mediaId, flow: flowRef(action, `${f}.action`) };
  // An order's payment configurations and expiration are checked against the WABA and the clock when it is sent.
  if (type === 'order_details') {
    const payment = orderSendChecks(action, `${f}.action`);
    if (payment) return { content, mediaId, payment };
  }
  if (actionMedia && actionMedia.length > 0) return { content, mediaIds: actionMedia };
  return { content, mediaId };
}
