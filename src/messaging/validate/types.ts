// Per-type validation of a message's type object, against Meta's limits. Each validator returns
// the accepted content (and the template or media it refers to) or throws a 400 naming the field.
import { fail, num, obj, onlyKeys, optStr, str, arr, isObj, bool, type Obj } from './check.ts';
import type { TemplateRef } from './message.ts';

export const MESSAGE_TYPES = ['text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'interactive', 'template', 'reaction'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export type Flavour = 'cloud' | 'onpremise';

export interface TypeResult {
  content: Obj;
  template?: TemplateRef;
  mediaId?: string;
}

function text(v: unknown, f: string): TypeResult {
  const o = obj(v, f);
  onlyKeys(o, f, ['body', 'preview_url']);
  str(o.body, `${f}.body`, { max: 4096 });
  bool(o.preview_url, `${f}.preview_url`);
  return { content: o };
}

function media(v: unknown, f: string, kind: string): TypeResult {
  const o = obj(v, f);
  const allowed = ['id', 'link', 'caption', 'filename', 'provider', 'voice', 'animated'];
  onlyKeys(o, f, allowed);
  const id = optStr(o.id, `${f}.id`, { max: 256 });
  const link = optStr(o.link, `${f}.link`, { max: 2048 });
  if (!id && !link) throw fail(f, 'needs either id (an uploaded media id) or link (an https URL)');
  if (id && link) throw fail(f, 'takes id or link, not both');
  if (link) {
    let u: URL;
    try {
      u = new URL(link);
    } catch {
      throw fail(`${f}.link`, 'must be an absolute http(s) URL');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw fail(`${f}.link`, 'must be an http(s) URL');
  }
  if (o.caption !== undefined) {
    if (kind === 'audio' || kind === 'sticker') throw fail(`${f}.caption`, `is not allowed for ${kind}`);
    str(o.caption, `${f}.caption`, { max: 1024 });
  }
  if (o.filename !== undefined) {
    if (kind !== 'document') throw fail(`${f}.filename`, 'is only allowed for documents');
    str(o.filename, `${f}.filename`, { max: 240 });
  }
  return { content: o, mediaId: id };
}

function location(v: unknown, f: string): TypeResult {
  const o = obj(v, f);
  onlyKeys(o, f, ['latitude', 'longitude', 'name', 'address']);
  num(o.latitude, `${f}.latitude`, { min: -90, max: 90 });
  num(o.longitude, `${f}.longitude`, { min: -180, max: 180 });
  optStr(o.name, `${f}.name`, { max: 1000 });
  optStr(o.address, `${f}.address`, { max: 1000 });
  return { content: o };
}

function reaction(v: unknown, f: string): TypeResult {
  const o = obj(v, f);
  onlyKeys(o, f, ['message_id', 'emoji']);
  str(o.message_id, `${f}.message_id`, { max: 256 });
  if (typeof o.emoji !== 'string') throw fail(`${f}.emoji`, 'must be a string (an empty string removes the reaction)');
  if ([...o.emoji].length > 10) throw fail(`${f}.emoji`, 'must be a single emoji');
  return { content: o };
}

function template(v: unknown, f: string, flavour: Flavour): TypeResult {
  const o = obj(v, f);
  onlyKeys(o, f, ['name', 'language', 'components', 'namespace']);
  const name = str(o.name, `${f}.name`, { max: 512 });
  const lang = obj(o.language, `${f}.language`);
  const code = str(lang.code, `${f}.language.code`, { max: 16 });
  if (lang.policy !== undefined && lang.policy !== 'deterministic' && lang.policy !== 'fallback') {
    throw fail(`${f}.language.policy`, 'must be "deterministic"');
  }
  const namespace = flavour === 'onpremise' ? str(o.namespace, `${f}.namespace`, { max: 128 }) : optStr(o.namespace, `${f}.namespace`, { max: 128 });
  const components = o.components === undefined ? [] : arr(o.components, `${f}.components`, { max: 20 });
  components.forEach((c, i) => {
    if (!isObj(c)) throw fail(`${f}.components[${i}]`, 'must be an object');
  });
  return { content: o, template: { name, language: code, components: components as Obj[], namespace } };
}

/** Contacts and interactive messages: shape checks here; their full rules are in their own files. */
function contacts(v: unknown, f: string): TypeResult {
  const list = arr(v, f, { min: 1, max: 257 });
  list.forEach((c, i) => {
    const o = obj(c, `${f}[${i}]`);
    const name = obj(o.name, `${f}[${i}].name`);
    str(name.formatted_name, `${f}[${i}].name.formatted_name`, { max: 1000 });
  });
  return { content: { contacts: list } };
}

function interactive(v: unknown, f: string): TypeResult {
  const o = obj(v, f);
  str(o.type, `${f}.type`);
  obj(o.action, `${f}.action`);
  return { content: o };
}

export function validateType(type: MessageType, value: unknown, field: string, flavour: Flavour): TypeResult {
  switch (type) {
    case 'text':
      return text(value, field);
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker':
      return media(value, field, type);
    case 'location':
      return location(value, field);
    case 'contacts':
      return contacts(value, field);
    case 'interactive':
      return interactive(value, field);
    case 'template':
      return template(value, field, flavour);
    case 'reaction':
      return reaction(value, field);
  }
}
