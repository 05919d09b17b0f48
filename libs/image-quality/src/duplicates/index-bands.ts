/**
 * Multi-index hashing (Norouzi, Punjani & Fleet, 2012): each 64-bit hash is cut into four 16-bit
 * bands and indexed under each band's value. Two hashes within Hamming distance 3 agree exactly on
 * at least one band (pigeonhole), and most pairs a few bits further apart still do; so exact
 * lookups of the four bands find near hashes without scanning anything.
 *
 * Why four bands of 16 bits: measured on the corpus copies, they find through the index nearly
 * every copy an exhaustive comparison finds (three bands of 21 bits lose up to 9 points on crops
 * and watermarks). The price is bucket size: at a million pictures of ~9 hashes, a bucket of
 * random hashes holds ~140, so a lookup checks ~20 000 postings (Hamming distance each, about a
 * millisecond).
 */

export const BAND_COUNT = 4;
/** Every band key is below this. */
export const BAND_KEY_LIMIT = 2 * BAND_COUNT * 65536;

/** What a hash describes; whole-picture hashes are only ever compared with whole-picture hashes. */
export const HashKind = { Whole: 0, Region: 1 } as const;
export type HashKind = (typeof HashKind)[keyof typeof HashKind];

/**
 * The band keys of a hash given as halves: one integer per band, unique across bands and kinds
 * (below BAND_KEY_LIMIT = 2^19, a 32-bit integer in BSON). Equal keys mean equal bands.
 */
export function bandKeysOf(kind: HashKind, high: number, low: number): [number, number, number, number] {
  const base = kind * 4 * 65536;
  return [
    base + (low & 0xffff),
    base + 65536 + (low >>> 16),
    base + 2 * 65536 + (high & 0xffff),
    base + 3 * 65536 + (high >>> 16),
  ];
}
