import type { Fingerprint } from './fingerprint';

/** An image to check against its project's earlier images, and to remember for later ones. */
export interface DuplicateEntry {
  imageId: string;
  /** Sortable; defines "earlier" (the quality stage passes `${receivedAt ISO}/${imageId}`). */
  order: string;
  /** A hash of the decoded pixels: equal for pixel-identical images, whatever their file format. */
  pixelHash: string;
  fingerprint: Fingerprint;
}

export interface DuplicateMatch {
  /** duplicate: same pixelHash; near_duplicate: fingerprints within the maximum distance. */
  kind: 'duplicate' | 'near_duplicate';
  /** The earlier image. */
  imageId: string;
  /** Fingerprint distance; 0 for a duplicate. */
  distance: number;
}

/**
 * The images of one project already checked, searchable by pixel hash and by fingerprint.
 *
 * "Earlier" is decided image by image as follows, so that of two copies of a picture exactly one
 * is kept even when they are checked out of order or at the same moment:
 *  - an indexed image earlier in `order` always counts;
 *  - an indexed image later in `order` counts only if its own check already finished and kept it
 *    (then its check could not have seen this image, and calling this one the copy is what keeps
 *    exactly one of the two). Its id is then returned although its `order` is larger.
 */
export interface DuplicateIndex {
  /**
   * Indexes the entry and returns its best earlier match: a pixel-identical one ('duplicate',
   * distance 0) before any other, else the nearest fingerprint within maxDistance
   * ('near_duplicate'), ties to the earliest. Idempotent: called again for the same imageId it
   * returns the first call's answer and adds nothing. Never matches an image with itself.
   */
  checkAndAdd(entry: DuplicateEntry, maxDistance: number): Promise<DuplicateMatch | undefined>;
  /** The answer checkAndAdd would give now, without indexing the entry. */
  find(entry: DuplicateEntry, maxDistance: number): Promise<DuplicateMatch | undefined>;
}

/** What an indexed image's own check found, kept so that repeating the check answers the same. */
export type RecordedVerdict = { kind: 'unique' } | DuplicateMatch;

export function verdictOf(match: DuplicateMatch | undefined): RecordedVerdict {
  return match ?? { kind: 'unique' };
}

export function matchOf(verdict: RecordedVerdict): DuplicateMatch | undefined {
  return verdict.kind === 'unique'
    ? undefined
    : { kind: verdict.kind, imageId: verdict.imageId, distance: verdict.distance };
}

/** An indexed image that the new one resembles. */
export interface Resemblance {
  imageId: string;
  order: string;
  /** Its recorded verdict; undefined while its own check is still running. */
  verdict: RecordedVerdict | undefined;
  /** Same pixelHash. */
  identical: boolean;
  /** Fingerprint distance from the new image (0 when identical). */
  distance: number;
}

/** Whether a resembling image may be named as the one the new image duplicates (see DuplicateIndex). */
export function standing(
  resemblance: Resemblance,
  entry: DuplicateEntry,
): 'counts' | 'ignored' | 'undecided' {
  if (resemblance.order < entry.order) return 'counts';
  if (resemblance.verdict === undefined) return 'undecided';
  return resemblance.verdict.kind === 'unique' ? 'counts' : 'ignored';
}

/** The best of the resemblances that count: identical first, then nearest, then earliest. */
export function bestMatch(counted: Resemblance[]): DuplicateMatch | undefined {
  let best: Resemblance | undefined;
  for (const candidate of counted) {
    if (!best || rank(candidate, best) < 0) best = candidate;
  }
  if (!best) return undefined;
  return best.identical
    ? { kind: 'duplicate', imageId: best.imageId, distance: 0 }
    : { kind: 'near_duplicate', imageId: best.imageId, distance: best.distance };
}

function rank(a: Resemblance, b: Resemblance): number {
  if (a.identical !== b.identical) return a.identical ? -1 : 1;
  if (a.distance !== b.distance) return a.distance - b.distance;
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  return a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0;
}
