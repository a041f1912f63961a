// Media objects (image, audio, video, document, sticker) — as a message of their own, an
// interactive header or a template parameter: an uploaded `id` or an http(s) `link`, not both;
// `caption` ≤ 1024 for image/video/document; `filename` for documents; `voice` for audio;
// `provider` ({name}) only on the On-Premise API.
import { bool, fail, httpUrl, obj, onlyKeys, optStr, str, type Obj } from '../check.ts';
import type { Flavour, TypeResult } from './common.ts';

export const MEDIA_KINDS = ['image', 'audio', 'video', 'document', 'sticker'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];
export const CAPTION_MAX = 1024;
export const FILENAME_MAX = 240;

const CAPTIONED: readonly MediaKind[] = ['image', 'video', 'document'];

export interface MediaRef {
  object: Obj;
  /** The uploaded media id, when the object names one. */
  id?: string;
}

export function mediaObject(v: unknown, f: string, kind: MediaKind, flavour: Flavour): MediaRef {
  const o = withoutEmptyCaption(obj(v, f), CAPTIONED.includes(kind));
  const allowed = ['id', 'link'];
  if (CAPTIONED.includes(kind)) allowed.push('caption');
  if (kind === 'document') allowed.push('filename');
  if (kind === 'audio') allowed.push('voice');
  if (flavour === 'onpremise') allowed.push('provider');
  for (const k of Object.keys(o)) {
    if (allowed.includes(k)) continue;
    if (k === 'caption') throw fail(`${f}.caption`, `is not allowed for ${kind} (only image, video and document take a caption)`);
    if (k === 'filename') throw fail(`${f}.filename`, 'is only allowed for documents');
    if (k === 'provider') throw fail(`${f}.provider`, 'is only accepted by the On-Premise API (/v1/messages)');
    throw fail(`${f}.${k}`, `is not a known field (allowed: ${allowed.join(', ')})`);
  }
  const id = optStr(o.id, `${f}.id`, { max: 256 });
  if (id === undefined && o.link === undefined) throw fail(f, 'needs either id (an uploaded media id) or link (an http(s) URL)');
  if (id !== undefined && o.link !== undefined) throw fail(f, 'takes id or link, not both');
  if (o.link !== undefined) httpUrl(o.link, `${f}.link`);
  optStr(o.caption, `${f}.caption`, { max: CAPTION_MAX });
  optStr(o.filename, `${f}.filename`, { max: FILENAME_MAX });
  bool(o.voice, `${f}.voice`);
  if (o.provider !== undefined) {
    const p = obj(o.provider, `${f}.provider`);
    onlyKeys(p, `${f}.provider`, ['name']);
    str(p.name, `${f}.provider.name`, { max: 256 });
    if (o.link === undefined) throw fail(`${f}.provider`, 'goes with a link (the provider serves that link)');
  }
  return { object: o, id };
}

/**
 * A null caption is no caption. Chatwoot writes `"caption": null` for every attachment an agent
 * sends without text (its dashboard sends no content, and the provider copies the message's nil
 * content into the caption), to Meta and to 360dialog alike, and those messages go out without one.
 * An empty caption is no caption either: netflie/whatsapp-cloud-api (PHP) writes `"caption": ""`
 * for every image, video and document sent without one (its default, made the document's default
 * too in its PR #162 because Meta's caption is optional), and Graph sends those without a caption.
 * (An empty caption on audio or a sticker is still refused as a caption they cannot take.)
 */
function withoutEmptyCaption(o: Obj, captioned: boolean): Obj {
  if (o.caption !== null && !(captioned && o.caption === '')) return o;
  const { caption: _none, ...rest } = o;
  return rest;
}

export function media(v: unknown, f: string, kind: MediaKind, flavour: Flavour): TypeResult {
  const m = mediaObject(v, f, kind, flavour);
  return { content: m.object, mediaId: m.id };
}
