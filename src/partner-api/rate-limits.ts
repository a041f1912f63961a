// The Partner API's documented rate limits (reference §1.5 [DOC]): a client's balance 5 requests
// per 30 s, template lists 400 per minute, template creation 60 per minute per WABA; others are
// unspecified and not limited. Over a limit: 429 in the Partner API's body, with Retry-After.
// Per instance, in memory (as the Messaging API's send limits); OPENWABA_PARTNER_RATE_LIMITS=false
// turns them off. The balance and list limits count per partner.
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { TokenBuckets } from '../token-buckets.ts';
import { ErrorBody } from './schemas.ts';

export const PARTNER_RATE_LIMITS = {
  balance: { requests: 5, seconds: 30, what: 'balance requests' },
  templateList: { requests: 400, seconds: 60, what: 'template list requests' },
  templateCreate: { requests: 60, seconds: 60, what: 'new templates per WABA' },
} as const;
export type PartnerRateLimit = keyof typeof PARTNER_RATE_LIMITS;

/** The OpenAPI response of a route under one of these limits: its 429 (with Retry-After). */
export const RATE_LIMITED = { 429: { ...ErrorBody, description: 'Over the documented rate limit (reference §1.5); Retry-After says when to try again' } };

export class PartnerRateLimits {
  private readonly buckets = new TokenBuckets(100_000);
  constructor(private readonly deps: Deps) {}

  /** Counts one request of `kind` for `key` (a partner or WABA id), or throws the 429. */
  check(kind: PartnerRateLimit, key: string): void {
    if (!this.deps.config.partnerRateLimits) return;
    const { requests, seconds, what } = PARTNER_RATE_LIMITS[kind];
    const wait = this.buckets.take(`${kind}:${key}`, requests, requests / (seconds * 1000), this.deps.clock.now().getTime());
    if (wait > 0) {
      const retryAfter = Math.max(1, Math.ceil(wait / 1000));
      throw new ApiError(429, `Rate limit exceeded: at most ${requests} ${what} per ${seconds} s; try again in ${retryAfter} s`, { retryAfter });
    }
  }
}
