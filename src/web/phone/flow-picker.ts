// A PhotoPicker or DocumentPicker on the sandbox phone: what its properties allow (the files a
// post may bring: their count, size and type, checked on the server as each file arrives:
// flow-upload.ts) and how the screen draws it (a real file input in the page's multipart form,
// with the files attached so far, each kept unless unticked).
import { countProps, DOCUMENT_MIME_TYPES, MAX_FILE_SIZE_KB, MAX_UPLOADS, type PickerType } from '../../messaging/flows/flow-json-media.ts';
import { isPickedFile, type PickedFile } from '../../messaging/flows/flow-media.ts';
import { resolve, text, type Scope } from './flow-expr.ts';
import type { Component } from './flow-fields.ts';

/**
 * The image types a PhotoPicker takes: what phones' cameras and galleries give. Meta names none
 * (its picker offers only photos); a file of another type is refused with a message.
 */
export const PHOTO_MIME_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'image/gif', 'image/avif', 'image/tiff'];

export interface PickerSpec {
  type: PickerType;
  name: string;
  label: string;
  /** What one file may weigh: max-file-size-kb KiB. */
  maxBytes: number;
  min: number;
  max: number;
  mimeTypes: readonly string[];
  enabled: boolean;
  noun: string;
}

const int = (v: unknown, fallback: number, lo: number, hi: number) => (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : fallback);

export function pickerSpec(c: Component & { type: PickerType; name: string }, scope: Scope, enabled: boolean): PickerSpec {
  const { min, max, noun } = countProps(c.type);
  const allowed = c.type === 'DocumentPicker' ? resolve(c['allowed-mime-types'], scope) : undefined;
  const mimeTypes =
    c.type === 'PhotoPicker'
      ? PHOTO_MIME_TYPES
      : Array.isArray(allowed) && allowed.length > 0
        ? allowed.filter((t): t is string => typeof t === 'string' && (DOCUMENT_MIME_TYPES as readonly string[]).includes(t))
        : DOCUMENT_MIME_TYPES;
  return {
    type: c.type,
    name: c.name,
    label: text(c.label, scope) || c.name,
    maxBytes: int(resolve(c['max-file-size-kb'], scope), MAX_FILE_SIZE_KB, 1, MAX_FILE_SIZE_KB) * 1024,
    min: int(resolve(c[min], scope), 0, 0, MAX_UPLOADS),
    max: int(resolve(c[max], scope), MAX_UPLOADS, 1, MAX_UPLOADS),
    mimeTypes,
    enabled,
    noun,
  };
}

/** A size as the page says it: whole MB when it is some, KB otherwise, one decimal at most. */
export function sizeText(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (bytes >= 1024 * 1024) return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
  const kb = bytes / 1024;
  return `${Number.isInteger(kb) ? kb : kb.toFixed(1)} KB`;
}

/** A MIME type as compared: its essence, lower case (a browser's `image/JPEG; x=y` is image/jpeg). */
export const essenceOf = (t: string) => t.split(';')[0]!.trim().toLowerCase();

export interface PickerNode {
  kind: 'picker';
  photo: boolean;
  description?: string;
  files: PickedFile[];
  accept: string;
  multiple: boolean;
  capture: boolean;
  /** The limits in words, under the input. */
  limits: string;
}

export function pickerNode(c: Component & { type: PickerType; name: string }, value: unknown, scope: Scope, enabled: boolean): PickerNode {
  const spec = pickerSpec(c, scope, enabled);
  const files = Array.isArray(value) ? value.filter(isPickedFile) : [];
  const description = c.description === undefined ? undefined : text(c.description, scope);
  const one = spec.noun.slice(0, -1);
  const count = spec.min > 0 ? `${spec.min} to ${spec.max} ${spec.noun}` : `up to ${spec.max} ${spec.max === 1 ? one : spec.noun}`;
  const types = spec.type === 'DocumentPicker' && spec.mimeTypes !== DOCUMENT_MIME_TYPES ? `; types: ${spec.mimeTypes.join(', ')}` : '';
  return {
    kind: 'picker',
    photo: spec.type === 'PhotoPicker',
    ...(description ? { description } : {}),
    files,
    accept: spec.mimeTypes.join(','),
    multiple: spec.max > 1,
    capture: spec.type === 'PhotoPicker' && c['photo-source'] === 'camera',
    limits: `${count}, each at most ${sizeText(spec.maxBytes)}${types}.`,
  };
}

/**
 * A picker's error-message: a text for the whole picker, or (Meta) an object of messages by media
 * id, said here with each file's name.
 */
export function pickerGivenError(c: Component, value: unknown, scope: Scope): string {
  const v = resolve(c['error-message'], scope);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return text(v, scope);
  const files = Array.isArray(value) ? value.filter(isPickedFile) : [];
  return Object.entries(v as Record<string, unknown>)
    .slice(0, 30)
    .map(([id, m]) => `${files.find((f) => f.id === id)?.name ?? id}: ${text(m, scope)}`)
    .join(' ');
}
