// Send limits, per instance: a channel's messages per second (Meta's 130429) and the pair rate
// limit to one recipient (Meta's 131056). Token buckets in memory: cheap on the hot path; with
// several instances each enforces its share (documented).
import { metaError } from './errors.ts';
import { TokenBuckets } from '../token-buckets.ts';

/** Meta's pair rate limit: bursts of up to 45 messages, then about one every 6 seconds. */
export const PAIR_BURST = 45;
export const PAIR_REFILL_PER_MS = 1 / 6000;
/** High-throughput numbers: up to 1,000 messages per second. */
export const MAX_MPS = 1000;

export class SendLimits {
  private readonly channels = new TokenBuckets(50_000);
  private readonly pairs = new TokenBuckets();

  check(channelId: string, requestedMps: number, waId: string, now: number): void {
    // Meta's ceiling is 1,000 per second; a stored value outside 1..1000 must not disable the limit.
    const mps = Math.min(MAX_MPS, Math.max(1, Math.floor(requestedMps) || 1));
    const wait = this.channels.take(channelId, mps, mps / 1000, now);
    if (wait > 0) {
      throw metaError(429, 130429, 'Rate limit hit', `Message failed to send because there were too many messages sent from this phone number in a short period of time (limit: ${mps} messages per second).`, {
        retryAfter: Math.max(1, Math.ceil(wait / 1000)),
      });
    }
    const pairWait = this.pairs.take(`${channelId}|${waId}`, PAIR_BURST, PAIR_REFILL_PER_MS, now);
    if (pairWait > 0) {
      throw metaError(400, 131056, '(Business Account, Consumer Account) pair rate limit hit', `Too many messages sent from this phone number to the same phone number (${waId}) in a short period of time. Wait ${Math.ceil(pairWait / 1000)} s before sending to it again.`, {
        retryAfter: Math.max(1, Math.ceil(pairWait / 1000)),
      });
    }
  }
}
