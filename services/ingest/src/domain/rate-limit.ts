/** What a token bucket answers: go ahead, or wait this many whole seconds first. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimits {
  /** Tokens added per second: the sustained request rate. */
  perSecond: number;
  /** The bucket's size: how many requests may come at once after a quiet spell. */
  burst: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/**
 * One token bucket per key (a tenant), in this process's memory: each request takes a token; a
 * bucket refills at `perSecond` up to `burst`. With several replicas each has its own buckets, so a
 * tenant's effective limit is the per-replica limit times the replicas its requests reach. A bucket
 * that has refilled completely is forgotten, so memory follows the tenants active in the last
 * `burst / perSecond` seconds.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limits.perSecond > 0) || !(limits.burst >= 1)) {
      throw new RangeError('a rate limit needs perSecond > 0 and burst >= 1');
    }
  }

  /** Takes one token from `key`'s bucket, or says how long until one is there. */
  take(key: string): RateDecision {
    const now = this.now();
    this.sweep(now);
    const bucket = this.refilled(this.buckets.get(key), now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      return { allowed: true };
    }
    this.buckets.set(key, bucket);
    const waitMs = ((1 - bucket.tokens) / this.limits.perSecond) * 1000;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** How many keys have a bucket that is not full (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(bucket: Bucket | undefined, now: number): Bucket {
    if (!bucket) return { tokens: this.limits.burst, at: now };
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    return { tokens: Math.min(this.limits.burst, bucket.tokens + elapsed * this.limits.perSecond), at: now };
  }

  /** At most once per refill period, drops the buckets that are full again. */
  private sweep(now: number): void {
    const period = (this.limits.burst / this.limits.perSecond) * 1000;
    if (now - this.lastSweep < period) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (this.refilled(bucket, now).tokens >= this.limits.burst) this.buckets.delete(key);
    }
  }
}
