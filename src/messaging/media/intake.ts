// Receiving an upload: the bytes stream to a temporary file while they are hashed (SHA-256) and
// counted; the size limit is checked on every chunk, so an oversized upload stops at the chunk
// that crosses it (the temporary file is removed) instead of being read to its end first.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, finished, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { base62 } from '../../ids.ts';

/** How many leading bytes are kept to tell file formats apart (WebP animation flag). */
const HEAD_BYTES = 32;
/** After a refused upload, at most this much more is read (and thrown away) before the connection is cut. */
const DISCARD_CAP = 8 * 1024 * 1024;

export interface Received {
  tmpPath: string;
  size: number;
  /** Hex SHA-256 of the whole file. */
  sha256: string;
  /** The file's first bytes. */
  head: Buffer;
}

/** Answers an error when `size` bytes (starting with `head`) are too many, else undefined. */
export type SizeCheck = (head: Buffer, size: number) => Error | undefined;

export class UploadAborted extends Error {}

/**
 * Streams `source` into a new file under `tmpDir`. On any failure the file is removed and the
 * rest of `source` is discarded (so the client still reads our answer); `cutOff` is called when
 * the client keeps sending far beyond the limit.
 */
export async function receiveToTempFile(source: Readable, tmpDir: string, check: SizeCheck, cutOff: () => void): Promise<Received> {
  await mkdir(tmpDir, { recursive: true });
  const tmpPath = path.join(tmpDir, `${base62(24)}.part`);
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
      size += chunk.length;
      const err = check(head, size);
      if (err) return cb(err);
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  // The source is piped rather than part of the pipeline: a failed upload must not destroy the
  // request, or the client would see a reset connection instead of the error.
  const stopWatching = finished(source, (err) => {
    if (err) meter.destroy(new UploadAborted(`upload interrupted: ${err.message}`));
  });
  source.pipe(meter);
  try {
    await pipeline(meter, createWriteStream(tmpPath, { flags: 'wx' }));
  } catch (err) {
    source.unpipe(meter);
    stopWatching();
    await rm(tmpPath, { force: true });
    discard(source, cutOff);
    throw err;
  }
  stopWatching();
  return { tmpPath, size, sha256: hash.digest('hex'), head };
}

/** Reads and drops what is left of a stream, up to a cap. */
const discarding = new WeakSet<Readable>();

export function discard(source: Readable, cutOff: () => void): void {
  if (source.readableEnded || source.destroyed || discarding.has(source)) return;
  discarding.add(source);
  let n = 0;
  source.on('data', (chunk: Buffer) => {
    n += chunk.length;
    if (n > DISCARD_CAP) {
      source.removeAllListeners('data');
      cutOff();
    }
  });
  source.on('error', () => {});
  source.resume();
}
