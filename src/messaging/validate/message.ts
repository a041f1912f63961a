// A send request → the normalized message the pipeline stores, in either flavour.
// Cloud: `{messaging_product:"whatsapp", recipient_type?, to, type, context?, <type>:{…}}`.
// On-Premise: no messaging_product, top-level preview_url, templates with namespace and
// language.policy, the legacy `hsm`.
import { arr, badValue, bool, fail, isObj, obj, oneOf, onlyKeys, optStr, recipient, str, type Obj } from './check.ts';
import { validateType, MESSAGE_TYPES, type MessageType } from './types.ts';
import { BSUID_MAX_LENGTH, isBsuid } from '../../network/bsuid.ts';
import type { FlowRef } from './types/interactive-links.ts';
import type { OrderSendChecks } from './types/interactive-payments.ts';
import { isGroupId } from '../groups.ts';

/** The message types Meta's Groups API sends to a group: text, media, and (text or media) templates. */
const GROUP_TYPES = ['text', 'image', 'video', 'audio', 'document', 'template'] as const;

export interface TemplateRef {
  name: string;
  language: string;
  components: Obj[];
  /**
   * On-Premise sends only: the namespace named and the field it came in (template.namespace or
   * hsm.namespace), checked against the WABA's. Cloud takes a namespace and ignores it, as Meta does.
   */
  namespace?: { value: string; field: string };
}

export interface NormalizedMessage {
  kind: 'message';
  /** The `to` (or Cloud's `recipient`) as the client sent it, echoed in contacts[].input. */
  input: string;
  /** The user's number; for a send to a BSUID, the BSUID (what the conversation is keyed by: network/meta/inbound.ts). */
  waId: string;
  /** Cloud sends to a business-scoped user id (`recipient` without `to`): the BSUID, which goes to Meta as `recipient`. */
  userId?: string;
  type: MessageType;
  /** The type's value as accepted (an object; for contacts, the array): stored, and shown in the sandbox. */
  content: Obj | unknown[];
  context?: { message_id: string };
  template?: TemplateRef;
  /** Media the message refers to by id (checked against the channel's uploads). */
  mediaId?: string;
  /** Several media ids the message refers to (a carousel's card headers), each checked like mediaId. */
  mediaIds?: string[];
  /** The flow a flow message names (checked against the WABA's stored flows when sent). */
  flow?: FlowRef;
  /** An order_details message's payment configurations and expiration (checked against the WABA and the clock when sent). */
  payment?: OrderSendChecks;
  /** 'group': `to` (input and waId) is a group id of the number's (Meta's Groups API). */
  recipientType: 'individual' | 'group';
  /** Cloud's biz_opaque_callback_data: passed on to Meta for numbers on Meta's network (which echoes it in the statuses); the sandbox echoes it too (status plans). */
  bizOpaqueCallbackData?: string;
}

export interface MarkRead {
  kind: 'read';
  messageId: string;
  typingIndicator: boolean;
}

const COMMON_CLOUD = ['messaging_product', 'recipient_type', 'to', 'recipient', 'type', 'context', 'biz_opaque_callback_data', 'status', 'message_id', 'typing_indicator'];
const COMMON_ONPREM = ['recipient_type', 'to', 'type', 'context', 'preview_url', 'ttl', 'hsm', 'status', 'message_id'];

/**
 * A null context is no context: Chatwoot's Cloud provider writes `"context": null` on every text
 * and attachment message that replies to nothing (its whatsapp_reply_context is nil, and `.to_json`
 * keeps the key), and Meta sends those as plain messages.
 */
function context(v: unknown): { message_id: string } | undefined {
  if (v === undefined || v === null) return undefined;
  const c = obj(v, 'context');
  return { message_id: str(c.message_id, 'context.message_id', { max: 256 }) };
}

function common(body: Obj, type: MessageType, allowedTop: string[], bsuidTo = false, groups = false): Omit<NormalizedMessage, 'content' | 'template' | 'mediaId' | 'mediaIds'> {
  for (const k of Object.keys(body)) {
    if (!allowedTop.includes(k) && k !== type) {
      if ((MESSAGE_TYPES as readonly string[]).includes(k)) throw fail(k, `is given but type is "${type}"`);
      throw fail(k, 'is not a known field of a message');
    }
  }
  // Meta's Groups API sends to a group id with recipient_type "group" (Cloud API only; the group
  // itself is checked by the send: messaging/group-send.ts). Groups take text, media and
  // templates only (Meta: no interactive, reaction, location, contacts … messages).
  const recipientType = body.recipient_type === undefined ? 'individual' : oneOf(body.recipient_type, 'recipient_type', ['individual', 'group'] as const);
  if (recipientType === 'group') {
    if (!groups) throw fail('recipient_type', '"group" is not available in the On-Premise API (send to a group with POST /messages)');
    if (!(GROUP_TYPES as readonly string[]).includes(type)) throw fail('type', `"${type}" cannot be sent to a group (groups take ${GROUP_TYPES.join(', ')})`);
    const to = str(body.to, 'to', { max: 256 });
    if (!isGroupId(to)) throw fail('recipient_type', `"group" is not available for to "${to.slice(0, 32)}": it takes a group id (the id POST /groups answered)`);
    return { kind: 'message', input: to, waId: to, type, context: context(body.context), recipientType };
  }
  // Cloud's `recipient`: a BSUID or parent BSUID (network/bsuid.ts) in place of `to`. Both may be
  // given; `to` takes precedence then (dualhook.com/docs/contacts-bsuid-api-changes; YCloud's
  // "Business-Scoped User IDs API & Webhook Updates" says the same). A given one is checked even
  // when `to` wins: a malformed id is the client's error either way. Only Cloud bodies name it
  // (allowedTop): On-Premise refuses it (validateV1Send).
  const userId = body.recipient === undefined ? undefined : bsuid(body.recipient);
  if (body.to === undefined && userId !== undefined) return { kind: 'message', input: userId, waId: userId, userId, type, context: context(body.context), recipientType };
  if (body.to === undefined && allowedTop.includes('recipient')) throw fail('to', 'is required (or recipient: a business-scoped user id)');
  // On-Premise webhooks name a user whose number Meta does not share by their BSUID, in wa_id
  // (webhook-payloads.ts): /v1/messages takes it back in `to`, and it goes to Meta as `recipient`.
  if (bsuidTo && isBsuid(body.to)) return { kind: 'message', input: body.to, waId: body.to, userId: body.to, type, context: context(body.context), recipientType };
  const input = str(body.to, 'to', { max: 32 });
  return {
    kind: 'message',
    input,
    waId: recipient(body.to),
    type,
    context: context(body.context),
    recipientType,
  };
}

/** Cloud's `recipient`: a BSUID (`US.13491208655302741918`) or parent BSUID (`US.ENT.…`). */
function bsuid(v: unknown): string {
  const s = str(v, 'recipient', { max: BSUID_MAX_LENGTH });
  if (!isBsuid(s)) throw badValue('recipient', `must be a business-scoped user id: a two-letter country code, a dot, and up to 128 letters and digits, as in US.13491208655302741918 (got "${s}")`);
  return s;
}

function markRead(body: Obj): MarkRead {
  if (body.status !== 'read') throw fail('status', 'must be "read" to mark a message as read');
  const indicator = body.typing_indicator === undefined ? undefined : obj(body.typing_indicator, 'typing_indicator');
  if (indicator) oneOf(indicator.type, 'typing_indicator.type', ['text'] as const);
  return { kind: 'read', messageId: str(body.message_id, 'message_id', { max: 256 }), typingIndicator: indicator !== undefined };
}

export function validateCloudSend(raw: unknown, bsuidTo = false): NormalizedMessage | MarkRead {
  if (!isObj(raw)) throw fail('body', 'must be a JSON object');
  const body = raw;
  if (body.messaging_product !== 'whatsapp') {
    throw fail('messaging_product', body.messaging_product === undefined ? 'is required and must be "whatsapp"' : 'must be "whatsapp"');
  }
  if (body.status !== undefined) return markRead(body);
  const bizOpaqueCallbackData = optStr(body.biz_opaque_callback_data, 'biz_opaque_callback_data', { max: 512 });
  const type = body.type === undefined ? 'text' : oneOf(body.type, 'type', MESSAGE_TYPES);
  const base = common(body, type, COMMON_CLOUD, bsuidTo, !bsuidTo);
  const v = validateType(type, body[type], type, 'cloud');
  return bizOpaqueCallbackData === undefined ? { ...base, ...v } : { ...base, ...v, bizOpaqueCallbackData };
}

/** The legacy `hsm` object → a template. */
function hsmToTemplate(h: Obj): TemplateRef {
  onlyKeys(h, 'hsm', ['namespace', 'element_name', 'language', 'localizable_params']);
  const language = obj(h.language, 'hsm.language');
  const params = h.localizable_params === undefined ? [] : arr(h.localizable_params, 'hsm.localizable_params', { max: 100 });
  return {
    name: str(h.element_name, 'hsm.element_name', { max: 512 }),
    namespace: { value: str(h.namespace, 'hsm.namespace', { max: 128 }), field: 'hsm.namespace' },
    language: str(language.code, 'hsm.language.code', { max: 16 }),
    components: params.length
      ? [
          {
            type: 'body',
            parameters: params.map((p, i) => {
              const o = obj(p, `hsm.localizable_params[${i}]`);
              return { type: 'text', text: str(o.default, `hsm.localizable_params[${i}].default`, { max: 32768 }) };
            }),
          },
        ]
      : [],
  };
}

export function validateOnPremSend(raw: unknown, bsuidTo = false): NormalizedMessage | MarkRead {
  if (!isObj(raw)) throw fail('body', 'must be a JSON object');
  const body = raw;
  if (body.status !== undefined) return markRead(body);
  const type = body.type === undefined ? (body.hsm !== undefined ? 'hsm' : 'text') : oneOf(body.type, 'type', [...MESSAGE_TYPES, 'hsm'] as const);
  bool(body.preview_url, 'preview_url');
  if (type === 'hsm') {
    const base = common(body, 'template', COMMON_ONPREM, bsuidTo);
    const template = hsmToTemplate(obj(body.hsm, 'hsm'));
    return { ...base, type: 'template', content: { name: template.name, language: { code: template.language, policy: 'deterministic' }, namespace: template.namespace!.value, components: template.components }, template };
  }
  const base = common(body, type, COMMON_ONPREM, bsuidTo);
  const v = validateType(type, body[type], type, 'onpremise');
  if (type === 'text' && body.preview_url !== undefined) v.content = { ...v.content, preview_url: body.preview_url };
  return { ...base, ...v };
}

/**
 * POST /v1/messages: the On-Premise body, or a Cloud body (one that names messaging_product).
 * 360dialog's sandbox number, which On-Premise-era clients post to at /v1/messages, is hosted on
 * the Cloud API now, and newer clients send it Cloud bodies there (reference §7: a clone should
 * accept both body styles). A Cloud body is checked by the Cloud rules (templates without
 * namespace or language.policy); the answer stays the On-Premise one (201, errors in its format).
 */
export function validateV1Send(raw: unknown): NormalizedMessage | MarkRead {
  // The On-Premise API predates business-scoped user ids: it has no `recipient`, whichever body
  // style comes in (a Cloud body here is answered in the On-Premise format too). Its `to` is a
  // wa_id: a number, or the BSUID its webhooks give as the wa_id of a user without one.
  if (isObj(raw) && raw.recipient !== undefined) {
    throw fail('recipient', 'business-scoped user ids are not available in the On-Premise API (/v1/messages), which sends to a wa_id (to): send to a BSUID with POST /messages');
  }
  return isObj(raw) && raw.messaging_product !== undefined ? validateCloudSend(raw, true) : validateOnPremSend(raw, true);
}
