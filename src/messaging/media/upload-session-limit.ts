// A limit on creating Resumable Upload API sessions (POST /uploads): 60 a minute per number, as a
// token bucket per instance (like the media upload limit, upload-limit.ts). Each session keeps a
// file for up to 7 days, so creation is what an abusive key would repeat. Meta documents no such
// limit for its Resumable Upload API: the number is ours, and the 429 is its usual rate-limit
// error (code 130429 with Retry-After), which clients already handle for media uploads.
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { TokenBuckets } from '../../token-buckets.ts';
import { metaError } from '../errors.ts';

export const SESSIONS_PER_MINUTE = 60;

export class UploadSessionLimit {
  private readonly buckets = new TokenBuckets(50_000);

  /** Takes one creation for the number, or throws the 429. */
  check(deps: Deps, channel: ChannelRow): void {
    const wait = this.buckets.take(channel.id, SESSIONS_PER_MINUTE, SESSIONS_PER_MINUTE / 60_000, deps.clock.now().getTime());
    if (wait === 0) return;
    throw metaError(429, 130429, 'Rate limit hit', `Upload sessions are limited to ${SESSIONS_PER_MINUTE} a minute per number; retry in ${Math.ceil(wait / 1000)} s`, {
      retryAfter: Math.max(1, Math.ceil(wait / 1000)),
    });
  }
}
