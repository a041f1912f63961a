// 360dialog's block of GET /{media_id} (reference §4.4 [DOC]): "after 20 error responses within
// 60 min the endpoint is blocked for 30 min (errors only; POST unaffected)". Per number (channel):
// its failed GETs count, other numbers' do not; while blocked its GET /{media_id} answers 360's
// documented 403 "The endpoint is blocked" (reference §4.3), in the body 360's own errors use
// here (`{"meta":{"success":false,"http_code":403,"developer_message":…}}`, errors.ts d360Error),
// with Retry-After (the seconds left). Our choices where the reference is silent [INF]:
// - what counts: 4xx answers of GET /{media_id} (unknown, deleted, expired or another number's
//   id, Meta's own refusals on a Meta number). A 5xx is openwaba's or Meta's fault, not the
//   client's, and does not count; the 403s of the block itself do not either (a client polling
//   through the block would otherwise never get out). Successes neither count nor forgive.
// - the block starts with the 20th error (that answer is still the error itself) and forgets the
//   errors before it: once the 30 minutes are over, the next 20 errors block again.
// - only GET /{media_id}: POST /media, DELETE /{media_id}, the download URL and the On-Premise
//   /v1/media routes are not blocked (§4.4 names the Cloud GET only).
// Kept in memory, per instance (like the send and upload limits, token-buckets.ts): with several
// instances behind a load balancer each counts the errors it answered. The token buckets do not
// fit here: a bucket refills continuously, this rule counts errors in a sliding window and then
// holds a fixed block.
import { ApiError } from '../../errors.ts';

export interface MediaGetErrorBlockSettings {
  /** Errors within `windowMs` that start a block. */
  errors: number;
  windowMs: number;
  blockMs: number;
}

/** 360dialog's documented figures. */
export const DOCUMENTED_MEDIA_GET_ERROR_BLOCK: MediaGetErrorBlockSettings = { errors: 20, windowMs: 60 * 60_000, blockMs: 30 * 60_000 };

interface ChannelErrors {
  /** Times of the errors in the window, oldest first. */
  times: number[];
  /** While set and in the future: blocked until then. */
  blockedUntil: number;
}

/** 360dialog's documented text for a blocked endpoint (reference §4.3). */
export const ENDPOINT_BLOCKED = 'The endpoint is blocked';

export class MediaGetErrorBlock {
  private readonly channels = new Map<string, ChannelErrors>();

  constructor(
    private readonly settings: MediaGetErrorBlockSettings,
    private readonly maxChannels = 50_000,
  ) {}

  /** Throws 360's 403 while the channel's GET /{media_id} is blocked. */
  check(channelId: string, now: number): void {
    const c = this.channels.get(channelId);
    if (!c || c.blockedUntil <= now) return;
    const seconds = Math.max(1, Math.ceil((c.blockedUntil - now) / 1000));
    throw new ApiError(403, ENDPOINT_BLOCKED, { retryAfter: seconds, extra: { d360: true } });
  }

  /** Records the status a GET /{media_id} answered (only 4xx count). */
  record(channelId: string, status: number, now: number): void {
    if (status < 400 || status > 499) return;
    let c = this.channels.get(channelId);
    if (!c) {
      if (this.channels.size >= this.maxChannels) this.sweep(now);
      c = { times: [], blockedUntil: 0 };
      this.channels.set(channelId, c);
    }
    const from = now - this.settings.windowMs;
    let drop = 0;
    while (drop < c.times.length && c.times[drop]! <= from) drop++;
    if (drop) c.times.splice(0, drop);
    c.times.push(now);
    if (c.times.length >= this.settings.errors) {
      c.blockedUntil = now + this.settings.blockMs;
      c.times = [];
    }
  }

  /** Drops channels with no error in the window and no block; if that is not enough, the oldest entries. */
  private sweep(now: number): void {
    const from = now - this.settings.windowMs;
    for (const [id, c] of this.channels) {
      if (c.blockedUntil <= now && (c.times.length === 0 || c.times[c.times.length - 1]! <= from)) this.channels.delete(id);
    }
    for (const id of this.channels.keys()) {
      if (this.channels.size < this.maxChannels) break;
      this.channels.delete(id);
    }
  }
}
