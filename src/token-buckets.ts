// Token buckets in memory, one per key: the send limits (messaging/limits.ts), media uploads
// (messaging/media/upload-limit.ts) and the Partner API's documented rate limits
// (partner-api/rate-limits.ts). Per instance: with several instances
// each enforces its share.

class Bucket {
  constructor(
    public tokens: number,
    public updated: number,
  ) {}
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  constructor(private readonly maxKeys = 200_000) {}

  /** Takes one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(key: string, capacity: number, refillPerMs: number, now: number): number {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now, capacity, refillPerMs);
      b = new Bucket(capacity, now);
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + (now - b.updated) * refillPerMs);
      b.updated = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / refillPerMs);
  }

  /** Drops buckets that have refilled completely (they hold no state worth keeping). */
  private sweep(now: number, capacity: number, refillPerMs: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.updated) * refillPerMs >= capacity) this.buckets.delete(k);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
