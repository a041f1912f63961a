// Cloud upload, POST /media: multipart/form-data with `messaging_product=whatsapp`, `file` (with
// its content type) and `type` (the MIME type). Clients send the fields in any order — Meta's own
// example puts `file` first — so the file streams under the limit its own content type implies
// (or the largest any type allows), and the final type's limit is checked once all fields are in.
import { rm } from 'node:fs/promises';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { invalidParameter, metaError } from '../errors.ts';
import { discard, receiveToTempFile, type Received } from './intake.ts';
import { multipartLimitError } from './multipart-errors.ts';
import { RETENTION_MS, saveMedia, tmpDir, type MediaRow } from './store.ts';
import { MAX_MEDIA_BYTES, acceptedType, essence, isGenericType, isWebp, limitFor, tooLarge, type MediaType } from './types.ts';

/** Room for the multipart boundaries and part headers around the file. */
const MULTIPART_OVERHEAD = 64 * 1024;
const FIELDS = ['messaging_product', 'type'];

/**
 * The upload's type from the `type` field and the file part's Content-Type: either may be
 * missing or generic (application/octet-stream); when both are given they must agree.
 */
export function resolveUploadType(typeField: string | undefined, partType: string | undefined): MediaType {
  const declared = typeField?.trim() ? typeField.trim() : undefined;
  const fromPart = isGenericType(essence(partType)) ? undefined : partType;
  if (declared && fromPart && essence(declared) !== essence(fromPart)) {
    throw metaError(400, 100, 'Invalid parameter', `type: "${declared.slice(0, 100)}" does not match the file's Content-Type "${fromPart.slice(0, 100)}"`);
  }
  const chosen = declared ?? fromPart;
  if (!chosen) throw invalidParameter('type is required: the MIME type of the file (e.g. image/jpeg), as the type field or the file part\'s Content-Type');
  return acceptedType(chosen, declared ? 'type' : 'file');
}

/** @fastify/multipart's own limit errors, in the words of this API. */
function multipartError(err: unknown): unknown {
  const coded = multipartLimitError(err, FIELDS, () => tooLarge(undefined, MAX_MEDIA_BYTES));
  if (coded) return coded;
  if (err instanceof Error && !(err instanceof ApiError) && /multipart|boundary|part terminated/i.test(err.message)) {
    return invalidParameter(`malformed multipart body: ${err.message}`);
  }
  return err;
}

export async function uploadCloudMedia(deps: Deps, request: FastifyRequest): Promise<MediaRow> {
  if (!request.isMultipart()) {
    throw invalidParameter('Content-Type must be multipart/form-data with the fields messaging_product=whatsapp, file and type');
  }
  const declaredLength = Number(request.headers['content-length']);
  if (declaredLength > MAX_MEDIA_BYTES + MULTIPART_OVERHEAD) {
    discard(request.raw, () => request.raw.destroy());
    throw tooLarge(undefined, MAX_MEDIA_BYTES);
  }
  const fields = queryFields(request.query);
  let received: Received | undefined;
  let partType: string | undefined;
  let filename: string | null = null;
  try {
    try {
      const parts = request.parts({ limits: { files: 1, fields: 8, parts: 12, fieldSize: 1024, fileSize: MAX_MEDIA_BYTES + 1 } });
      for await (const part of parts) {
        if (part.type === 'field') {
          if (typeof part.value === 'string') fields[part.fieldname] = part.value;
          continue;
        }
        if (part.fieldname !== 'file') {
          discard(part.file, () => request.raw.destroy());
          throw invalidParameter(`${part.fieldname.slice(0, 40)}: unexpected file field; the media goes in the field "file"`);
        }
        partType = part.mimetype;
        filename = part.filename ? part.filename.slice(0, 240) : null;
        // While the file streams, its limit is the one its own type (or an earlier `type` field) implies.
        const early = earlyType(fields.type, partType);
        received = await receiveToTempFile(
          part.file,
          tmpDir(deps),
          (head, size) => {
            const { limit, animated } = early ? limitFor(early.kind, head) : { limit: MAX_MEDIA_BYTES, animated: undefined };
            return size > limit ? tooLarge(early?.kind, limit, animated) : undefined;
          },
          () => request.raw.destroy(),
        );
      }
    } catch (err) {
      throw multipartError(err);
    }
    const mp = fields.messaging_product;
    if (mp === undefined) throw invalidParameter('messaging_product is required and must be "whatsapp"');
    if (mp !== 'whatsapp') throw invalidParameter(`messaging_product must be "whatsapp", got "${mp.slice(0, 40)}"`);
    if (!received) throw invalidParameter('file is required: the media as a multipart file field named "file"');
    const type = resolveUploadType(fields.type, partType);
    checkFile(type, received);
    const row = await saveMedia(deps, request.channel!, received, { mime: type.mime, filename, retentionMs: RETENTION_MS.cloud });
    received = undefined;
    return row;
  } finally {
    if (received) await rm(received.tmpPath, { force: true });
  }
}

/**
 * The upload's fields given in the query string. Meta's Graph API takes a request's parameters
 * from its query string as well as from its body, and Cloud clients rely on it: whatsapp-api-js
 * posts `/{phone_number_id}/media?messaging_product=whatsapp` with a form holding only the file
 * (360dialog keeps the query when it drops the prefix). The body's fields, read later, win.
 */
function queryFields(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const q = query as Record<string, unknown> | undefined;
  for (const k of FIELDS) {
    const v = q?.[k];
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** The type known before the file is read, when it is an accepted one; otherwise undefined. */
function earlyType(typeField: string | undefined, partType: string | undefined): MediaType | undefined {
  try {
    return resolveUploadType(typeField, partType);
  } catch {
    return undefined;
  }
}

/** Checks a received file against its type: not empty, within its kind's limit, stickers WebP. */
export function checkFile(type: MediaType, file: Received): void {
  if (file.size === 0) throw invalidParameter('file: the file is empty');
  if (type.kind === 'sticker' && !isWebp(file.head)) throw invalidParameter('file: a sticker (image/webp) must be a WebP image');
  const { limit, animated } = limitFor(type.kind, file.head);
  if (file.size > limit) throw tooLarge(type.kind, limit, animated);
}
