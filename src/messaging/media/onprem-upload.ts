// On-Premise upload, POST /v1/media: the raw bytes as the body, their MIME type as Content-Type.
// The body is never buffered: a content-type parser scoped to this route hands the request
// stream over as it is, and the bytes stream to disk under the type's limit.
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { invalidParameter } from '../errors.ts';
import { checkFile } from './cloud-upload.ts';
import { discard, receiveToTempFile, type Received } from './intake.ts';
import { RETENTION_MS, saveMedia, tmpDir, type MediaRow } from './store.ts';
import { SIZE_LIMITS, acceptedType, limitFor, tooLarge, type MediaKind } from './types.ts';

export interface RawUploadOptions {
  /** The kinds of media taken (all by default). */
  kinds?: readonly MediaKind[];
  /** How long it is kept (On-Premise media: 14 days). */
  retentionMs?: number;
}

export async function uploadOnPremMedia(deps: Deps, request: FastifyRequest, opts: RawUploadOptions = {}): Promise<MediaRow> {
  const body = request.body as Readable | undefined;
  const cutOff = () => request.raw.destroy();
  let received: Received | undefined;
  try {
    const contentType = request.headers['content-type'];
    if (!contentType) throw invalidParameter('Content-Type is required: the MIME type of the media in the body (e.g. image/jpeg)');
    const type = acceptedType(contentType, 'Content-Type');
    if (opts.kinds && !opts.kinds.includes(type.kind)) throw invalidParameter(`Content-Type must be of kind ${opts.kinds.join(' or ')} here (got ${type.mime}, kind ${type.kind})`);
    const declaredLength = Number(request.headers['content-length']);
    if (declaredLength > SIZE_LIMITS[type.kind]) throw tooLarge(type.kind, SIZE_LIMITS[type.kind], type.kind === 'sticker' ? true : undefined);
    if (!body || typeof body.pipe !== 'function') throw invalidParameter('the body must be the media file');
    received = await receiveToTempFile(
      body,
      tmpDir(deps),
      (head, size) => {
        const { limit, animated } = limitFor(type.kind, head);
        return size > limit ? tooLarge(type.kind, limit, animated) : undefined;
      },
      cutOff,
    );
    checkFile(type, received);
    const row = await saveMedia(deps, request.channel!, received, { mime: type.mime, filename: null, retentionMs: opts.retentionMs ?? RETENTION_MS.onpremise });
    received = undefined;
    return row;
  } catch (err) {
    // Refused before (or after) reading: let the client finish sending so that it reads the answer.
    if (body && typeof body.pipe === 'function') discard(body, cutOff);
    throw err;
  } finally {
    if (received) await rm(received.tmpPath, { force: true });
  }
}

/** In this plugin context, every content type reaches the handler as the unread request stream. */
export function useRawBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
}
