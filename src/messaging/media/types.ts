// What WhatsApp accepts as media: the MIME types of each kind and their size limits (Meta's
// "Supported media types" table). Anything else is refused with a 400 naming the type.
import { ApiError } from '../../errors.ts';
import { metaError } from '../errors.ts';

export type MediaKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

const MB = 1024 * 1024;
const KB = 1024;

export const SIZE_LIMITS: Record<MediaKind, number> = {
  image: 5 * MB,
  audio: 16 * MB,
  video: 16 * MB,
  document: 100 * MB,
  // Animated stickers may reach 500 KB; static ones 100 KB (checked once the header is read).
  sticker: 500 * KB,
};
export const STATIC_STICKER_LIMIT = 100 * KB;
/** The largest file any kind allows: the bound while the kind is not yet known. */
export const MAX_MEDIA_BYTES = Math.max(...Object.values(SIZE_LIMITS));

const KIND_OF: Record<string, MediaKind> = {
  'image/jpeg': 'image',
  'image/png': 'image',
  'audio/aac': 'audio',
  'audio/amr': 'audio',
  'audio/mpeg': 'audio',
  'audio/mp4': 'audio',
  'audio/ogg': 'audio',
  'video/mp4': 'video',
  'video/3gpp': 'video',
  'text/plain': 'document',
  'application/pdf': 'document',
  'application/msword': 'document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'document',
  'application/vnd.ms-excel': 'document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'document',
  'application/vnd.ms-powerpoint': 'document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'document',
  'image/webp': 'sticker',
};

/** Names clients use for the same type. */
const ALIASES: Record<string, string> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg', 'video/3gp': 'video/3gpp', 'audio/mp3': 'audio/mpeg', 'audio/x-aac': 'audio/aac', 'audio/x-m4a': 'audio/mp4', 'audio/m4a': 'audio/mp4' };

export const ACCEPTED_TYPES = Object.keys(KIND_OF);

/** The kind of a stored (accepted) MIME type. */
export const kindOf = (mime: string): MediaKind | undefined => KIND_OF[mime];

/** The MIME types of a kind, as listed above. */
export const typesOf = (kind: MediaKind): string[] => ACCEPTED_TYPES.filter((m) => KIND_OF[m] === kind);

/**
 * Whether an uploaded file of type `mime` may go as a `kind` message: an image, audio, video or
 * sticker only as a file of that kind; a document may be any accepted file (people send pictures
 * as documents, and WhatsApp delivers them as files).
 */
export function sendableAs(kind: MediaKind, mime: string): boolean {
  const of = KIND_OF[mime];
  return kind === 'document' ? of !== undefined : of === kind;
}

/** File extensions for downloads without a filename. */
const EXTENSION: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'audio/aac': 'aac', 'audio/amr': 'amr', 'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a', 'audio/ogg': 'ogg', 'video/mp4': 'mp4', 'video/3gpp': '3gp', 'text/plain': 'txt', 'application/pdf': 'pdf',
  'application/msword': 'doc', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt', 'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};
export const extensionOf = (mime: string) => EXTENSION[mime] ?? 'bin';

/** Types that say nothing about the content: a file part sent without a real type. */
export const isGenericType = (mime: string | undefined) => !mime || mime === 'application/octet-stream';

export interface MediaType {
  /** The essence, e.g. `audio/ogg` — what is stored and answered as mime_type. */
  mime: string;
  kind: MediaKind;
}

/** Lower-cased essence without parameters, aliases resolved; undefined when empty. */
export function essence(raw: string | undefined): string | undefined {
  const e = raw?.split(';')[0]!.trim().toLowerCase();
  if (!e) return undefined;
  return ALIASES[e] ?? e;
}

/** The accepted type for a Content-Type value, or a 400 naming it and what is accepted. */
export function acceptedType(raw: string, field: string): MediaType {
  const mime = essence(raw);
  const kind = mime ? KIND_OF[mime] : undefined;
  if (!mime || !kind) {
    throw metaError(
      400,
      100,
      'Invalid parameter',
      `${field}: media type "${raw.slice(0, 100)}" is not supported; accepted types: ${ACCEPTED_TYPES.join(', ')}`,
    );
  }
  // WhatsApp plays Ogg audio only with the Opus codec.
  const codecs = /;\s*codecs\s*=\s*"?([^";]+)"?/i.exec(raw)?.[1]?.trim().toLowerCase();
  if (mime === 'audio/ogg' && codecs && codecs !== 'opus') {
    throw metaError(400, 100, 'Invalid parameter', `${field}: audio/ogg is accepted with the Opus codec only, got codecs=${codecs.slice(0, 40)}`);
  }
  return { mime, kind };
}

export function tooLarge(kind: MediaKind | undefined, limit: number, animated?: boolean): ApiError {
  const what = kind === 'sticker' ? `${animated ? 'animated' : 'static'} sticker` : (kind ?? 'media');
  return metaError(413, 131053, 'Media upload error', `file: ${what} files may be at most ${formatBytes(limit)} (${limit} bytes)`);
}

export function formatBytes(n: number): string {
  return n >= MB ? `${n / MB} MB` : `${n / KB} KB`;
}

/**
 * A WebP file is animated when its extended header (VP8X) sets the animation flag. Answers
 * undefined until enough bytes are known, false for files that are not WebP at all.
 */
export function webpAnimated(head: Buffer): boolean | undefined {
  if (head.length < 21) return undefined;
  if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WEBP') return false;
  return head.toString('latin1', 12, 16) === 'VP8X' && (head[20]! & 0x02) !== 0;
}

export const isWebp = (head: Buffer) => head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP';

/** The size limit of a kind, given the file's first bytes (stickers: static or animated). */
export function limitFor(kind: MediaKind, head: Buffer): { limit: number; animated?: boolean } {
  if (kind !== 'sticker') return { limit: SIZE_LIMITS[kind] };
  const animated = webpAnimated(head);
  if (animated === undefined) return { limit: SIZE_LIMITS.sticker };
  return animated ? { limit: SIZE_LIMITS.sticker, animated } : { limit: STATIC_STICKER_LIMIT, animated };
}
