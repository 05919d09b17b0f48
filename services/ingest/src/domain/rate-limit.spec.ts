import { TokenBuckets } from './rate-limit';

describe('TokenBuckets', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 1_000_000));

  it('lets a burst through, then refuses with the seconds until the next token', () => {
    const buckets = new TokenBuckets({ perSecond: 0.5, burst: 3 }, clock);
    expect([1, 2, 3].map(() => buckets.take('t1').allowed)).toEqual([true, true, true]);
    expect(buckets.take('t1')).toEqual({ allowed: false, retryAfterSeconds: 2 });
    now += 1000;
    expect(buckets.take('t1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(buckets.take('t1')).toEqual({ allowed: true });
    expect(buckets.take('t1').allowed).toBe(false);
  });

  it('keeps one bucket per key', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, clock);
    expect(buckets.take('t1').allowed).toBe(true);
    expect(buckets.take('t1').allowed).toBe(false);
    expect(buckets.take('t2').allowed).toBe(true);
  });

  it('refills at the sustained rate, never above the burst', () => {
    const buckets = new TokenBuckets({ perSecond: 10, burst: 5 }, clock);
    for (let i = 0; i < 5; i++) buckets.take('t1');
    now += 60_000; // a long quiet spell refills only up to the burst
    const allowed = Array.from({ length: 8 }, () => buckets.take('t1').allowed).filter(Boolean);
    expect(allowed).toHaveLength(5);
    now += 300; // 3 tokens in 0.3 s
    expect(Array.from({ length: 4 }, () => buckets.take('t1').allowed)).toEqual([true, true, true, false]);
  });

  it('forgets buckets that have refilled', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 2 }, clock);
    buckets.take('t1');
    buckets.take('t2');
    expect(buckets.size).toBe(2);
    now += 10_000;
    buckets.take('t3');
    expect(buckets.size).toBe(1);
  });

  it('refuses nonsense limits', () => {
    expect(() => new TokenBuckets({ perSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBuckets({ perSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});
