import { hamming } from './hash64';
import { BAND_COUNT, BAND_KEY_LIMIT, bandKeysOf, type HashKind } from './index-bands';

/** The stored hashes the postings refer to, numbered 0, 1, 2, ... in the order they were added. */
export interface StoredHashSource {
  high(hash: number): number;
  low(hash: number): number;
  kind(hash: number): HashKind;
}

/** The packed tier is rebuilt once the recent tier holds this many hashes, or as many as the packed one. */
const MIN_REPACK = 4096;
const INITIAL_RECENT_CAPACITY = 1024;

/**
 * The postings of multi-index hashing: for each band key, the stored hashes having that band.
 *
 * At a million pictures a key has ~140 postings, and a lookup reads ~160 keys. Read through
 * linked chains, that is ~20 000 dependent random memory reads, over 10 ms. So postings live in
 * two tiers:
 *  - packed: each key's postings contiguous, with the hash itself inline, so a lookup reads them
 *    sequentially (built by a counting sort over all hashes);
 *  - recent: hashes added since the last packing, on linked chains per key.
 * When the recent tier has grown as large as the packed one, everything is packed again: the
 * work doubles each time, so adding stays O(1) amortised (the add that triggers a packing of a
 * million pictures takes a few seconds).
 */
export class BandPostings {
  private packedCount = 0;
  /** Key k's packed postings are [packedStart[k], packedStart[k + 1]). */
  private packedStart = new Int32Array(BAND_KEY_LIMIT + 1);
  /** Per packed posting: the hash as [high, low], and its number. */
  private packedHalves = new Uint32Array(0);
  private packedHash = new Int32Array(0);

  private recentCount = 0;
  /** Latest recent posting of each key, -1 for none; a posting is (hash - packedCount) * BAND_COUNT + band. */
  private readonly recentHead = new Int32Array(BAND_KEY_LIMIT).fill(-1);
  private recentNext = new Int32Array(INITIAL_RECENT_CAPACITY * BAND_COUNT);

  constructor(private readonly source: StoredHashSource) {}

  /** Posts the next stored hash (number packed + recent count, as the source numbers it). */
  add(kind: HashKind, high: number, low: number): void {
    const recent = this.recentCount++;
    if (this.recentCount * BAND_COUNT > this.recentNext.length) {
      const grown = new Int32Array(this.recentNext.length * 2);
      grown.set(this.recentNext);
      this.recentNext = grown;
    }
    bandKeysOf(kind, high, low).forEach((key, band) => {
      const posting = recent * BAND_COUNT + band;
      this.recentNext[posting] = this.recentHead[key]!;
      this.recentHead[key] = posting;
    });
    if (this.recentCount >= Math.max(MIN_REPACK, this.packedCount)) this.pack();
  }

  /** Calls visit(hash) for every stored hash that shares a band with (high, low) and is within maxDistance of it. */
  forEachNear(
    kind: HashKind,
    high: number,
    low: number,
    maxDistance: number,
    visit: (hash: number) => void,
  ): void {
    const halves = this.packedHalves;
    for (const key of bandKeysOf(kind, high, low)) {
      const end = this.packedStart[key + 1]!;
      for (let posting = this.packedStart[key]!; posting < end; posting++) {
        if (hamming(high, low, halves[posting * 2]!, halves[posting * 2 + 1]!) <= maxDistance) {
          visit(this.packedHash[posting]!);
        }
      }
      for (let posting = this.recentHead[key]!; posting >= 0; posting = this.recentNext[posting]!) {
        const hash = this.packedCount + ((posting / BAND_COUNT) | 0);
        if (hamming(high, low, this.source.high(hash), this.source.low(hash)) <= maxDistance) visit(hash);
      }
    }
  }

  private pack(): void {
    const total = this.packedCount + this.recentCount;
    const keysOf = (hash: number) =>
      bandKeysOf(this.source.kind(hash), this.source.high(hash), this.source.low(hash));
    const start = new Int32Array(BAND_KEY_LIMIT + 1);
    for (let hash = 0; hash < total; hash++) for (const key of keysOf(hash)) start[key + 1]!++;
    for (let key = 0; key < BAND_KEY_LIMIT; key++) start[key + 1]! += start[key]!;
    const next = start.slice(0, BAND_KEY_LIMIT);
    const halves = new Uint32Array(total * BAND_COUNT * 2);
    const hashes = new Int32Array(total * BAND_COUNT);
    for (let hash = 0; hash < total; hash++) {
      for (const key of keysOf(hash)) {
        const posting = next[key]!++;
        halves[posting * 2] = this.source.high(hash);
        halves[posting * 2 + 1] = this.source.low(hash);
        hashes[posting] = hash;
      }
    }
    this.packedStart = start;
    this.packedHalves = halves;
    this.packedHash = hashes;
    this.packedCount = total;
    this.recentHead.fill(-1);
    this.recentCount = 0;
  }
}
