// Meta's media upload limit: 25 requests per second per number (per instance, like the send
// limits). Checked before the body is read; the refused body is discarded unread.
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { metaError } from '../errors.ts';
import { TokenBuckets } from '../../token-buckets.ts';
import { discard } from './intake.ts';

export const UPLOADS_PER_SECOND = 25;

export class UploadLimit {
  private readonly buckets = new TokenBuckets(50_000);

  check(deps: Deps, request: FastifyRequest): void {
    const wait = this.buckets.take(request.channel!.id, UPLOADS_PER_SECOND, UPLOADS_PER_SECOND / 1000, deps.clock.now().getTime());
    if (wait === 0) return;
    discard(request.raw, () => request.raw.destroy());
    throw metaError(429, 130429, 'Rate limit hit', `Media uploads are limited to ${UPLOADS_PER_SECOND} requests per second per number; retry in ${Math.ceil(wait)} ms`, {
      retryAfter: Math.max(1, Math.ceil(wait / 1000)),
    });
  }
}
