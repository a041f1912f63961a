// The Cloud API body a normalized message goes to Meta as, whichever flavour it came in:
// `{messaging_product, recipient_type, to, type, <type>: …, context?, biz_opaque_callback_data?}`.
// The normalized message keeps the type object as the client sent it (validated), with
// On-Premise's top-level preview_url already moved into `text` and a legacy `hsm` already
// turned into a template; what is left of the On-Premise dialect is removed here:
// - a template's `namespace`: Cloud templates are found by name and language in the number's
//   WABA, and the namespace a client names is openwaba's, not Meta's. `language.policy`
//   ("deterministic", the only value) stays: Meta's Cloud reference still lists it.
// - a media object's `provider`: Meta's reference calls it "only used for On-Premises API".
// - date_time parameters keep their On-Premise fields: Meta's reference says the Cloud API uses
//   fallback_value and ignores the others.
// Media objects that name one of our uploads get Meta's id for it instead (media-upload.ts).
import type { NormalizedMessage } from '../../messaging/validate/message.ts';
import type { Obj } from '../../messaging/validate/check.ts';
import { isObj } from '../../messaging/validate/check.ts';

const MEDIA_KEYS = new Set(['image', 'video', 'document', 'audio', 'sticker']);


/**
 * A copy of `v` in which every media object (the value of an image/video/document/audio/sticker
 * key: a media message's own object, an interactive header's, a template parameter's, a carousel
 * card's) is replaced by `fn(object)`.
 */
function mapMedia(v: unknown, key: string | undefined, fn: (media: Obj) => Obj): unknown {
  if (Array.isArray(v)) return v.map((x) => mapMedia(x, undefined, fn));
  if (!isObj(v)) return v;
  if (key !== undefined && MEDIA_KEYS.has(key)) return fn(v);
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) out[k] = mapMedia(x, k, fn);
  return out;
}

/** The media ids a message names (its own media, a header, template parameters), in order, once each. */
export function mediaIdsOf(msg: Pick<NormalizedMessage, 'type' | 'content'>): string[] {
  const ids = new Set<string>();
  mapMedia(msg.content, msg.type, (m) => {
    if (typeof m.id === 'string') ids.add(m.id);
    return m;
  });
  return [...ids];
}

function template(content: Obj): Obj {
  const { namespace: _namespace, ...rest } = content;
  const language = rest.language as Obj;
  const out: Obj = { ...rest, language: { code: language.code, ...(language.policy !== undefined ? { policy: language.policy } : {}) } };
  // A legacy hsm without localizable_params becomes an empty list: left out, as a Cloud client would.
  if (Array.isArray(out.components) && out.components.length === 0) delete out.components;
  return out;
}

function interactive(content: Obj): Obj {
  const action = content.action as Obj;
  const params = content.type === 'flow' && isObj(action.parameters) ? action.parameters : undefined;
  // Meta's reference has the version as the string "3"; the number 3 is taken here too.
  if (params && typeof params.flow_message_version === 'number') {
    return { ...content, action: { ...action, parameters: { ...params, flow_message_version: String(params.flow_message_version) } } };
  }
  return content;
}

/** The Cloud API body of `msg`, with our media ids replaced by `metaIds` (ids not in it pass as given). */
export function cloudBody(msg: NormalizedMessage, metaIds: ReadonlyMap<string, string> = new Map()): Obj {
  let content = mapMedia(msg.content, msg.type, (m) => {
    const { provider: _provider, ...rest } = m;
    if (typeof rest.id === 'string') rest.id = metaIds.get(rest.id) ?? rest.id;
    return rest;
  }) as Obj | unknown[];
  if (msg.type === 'template') content = template(content as Obj);
  else if (msg.type === 'interactive') content = interactive(content as Obj);
  return {
    messaging_product: 'whatsapp',
    // A send to a group (Meta's Groups API) keeps its recipient_type: `to` is the group's id.
    recipient_type: msg.recipientType === 'group' ? 'group' : 'individual',
    // A send to a BSUID goes to Meta as given, in Meta's `recipient` (validate/message.ts).
    ...(msg.userId !== undefined ? { recipient: msg.userId } : { to: msg.waId }),
    type: msg.type,
    [msg.type]: content,
    ...(msg.context ? { context: { message_id: msg.context.message_id } } : {}),
    ...(msg.bizOpaqueCallbackData !== undefined ? { biz_opaque_callback_data: msg.bizOpaqueCallbackData } : {}),
  };
}
