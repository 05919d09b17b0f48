import { BandPostings } from './band-postings';
import { hamming } from './hash64';
import { bandKeysOf, HashKind } from './index-bands';

// Deterministic 32-bit words (xorshift).
function words(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

describe('BandPostings', () => {
  const next = words(7);
  const stored: Array<{ kind: HashKind; high: number; low: number }> = [];
  const postings = new BandPostings({
    high: (hash) => stored[hash]!.high,
    low: (hash) => stored[hash]!.low,
    kind: (hash) => stored[hash]!.kind,
  });
  // 10 000 hashes: packed at 4 096 and 8 192, the last 1 808 in the recent tier.
  for (let i = 0; i < 10_000; i++) {
    const hash = { kind: i % 9 === 0 ? HashKind.Whole : HashKind.Region, high: next(), low: next() };
    stored.push(hash);
    postings.add(hash.kind, hash.high, hash.low);
  }

  /** What a full scan finds: same kind, at least one equal band, within the distance. */
  const scan = (kind: HashKind, high: number, low: number, maxDistance: number): number[] => {
    const keys = bandKeysOf(kind, high, low);
    return stored.flatMap((s, hash) =>
      s.kind === kind &&
      bandKeysOf(s.kind, s.high, s.low).some((key, band) => key === keys[band]) &&
      hamming(high, low, s.high, s.low) <= maxDistance
        ? [hash]
        : [],
    );
  };
  const found = (kind: HashKind, high: number, low: number, maxDistance: number): number[] => {
    const hashes: number[] = [];
    postings.forEachNear(kind, high, low, maxDistance, (hash) => hashes.push(hash));
    return [...new Set(hashes)].sort((a, b) => a - b);
  };

  it('finds every stored hash near a probe, in the packed and the recent tier alike', () => {
    for (const target of [5, 4000, 4100, 8191, 8200, 9999]) {
      const { kind, high, low } = stored[target]!;
      // The stored hash with 3 bits flipped, in different bands.
      const probe = { high: (high ^ 0x00010001) >>> 0, low: (low ^ 0x00000100) >>> 0 };
      expect(found(kind, probe.high, probe.low, 8)).toEqual(scan(kind, probe.high, probe.low, 8));
      expect(found(kind, probe.high, probe.low, 8)).toContain(target);
      expect(
        found(kind === HashKind.Whole ? HashKind.Region : HashKind.Whole, probe.high, probe.low, 8),
      ).not.toContain(target);
    }
  });

  it('finds nothing for random probes (as a scan does not)', () => {
    for (let i = 0; i < 50; i++) {
      const [high, low] = [next(), next()];
      expect(found(HashKind.Region, high, low, 8)).toEqual(scan(HashKind.Region, high, low, 8));
    }
  });
});
