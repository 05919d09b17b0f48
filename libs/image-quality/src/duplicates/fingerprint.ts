import { findBlobs } from './blobs';
import { trimUniformBorders } from './borders';
import { BLOCK_SIZE, canonicalHashes, lowFrequencyDct, type HashHalves } from './dct-hash';
import { assertGreyRaster, binnedPlane, SummedArea, type Box, type GreyRaster } from './grey-raster';
import { hamming, hashToHex, hexListToHalves, hexToHalves } from './hash64';

/**
 * A picture's perceptual fingerprint: 64-bit hashes as 16-character hex strings (JSON and BSON as
 * they are). Method and measurements: services/quality/docs/near-duplicates.md.
 *
 * `whole` and `regions` (at most 9 hashes) are what an index stores. `probes` are extra hashes of
 * the same picture used only to look it up; they need not be kept once the image is checked.
 */
export interface Fingerprint {
  /** The whole picture, uniform borders trimmed, in canonical orientation; null for a flat picture. */
  whole: string | null;
  /** Square regions centred on the picture's strongest blobs, strongest first, canonical orientation. */
  regions: string[];
  probes: FingerprintProbes;
}

export interface FingerprintProbes {
  /** `whole` and any other orientation a slightly edited copy could pick. */
  whole: string[];
  /**
   * regions[scale][region]: the region hashed with its window scaled by REGION_SCALES[scale] (to
   * meet a copy cropped or padded by up to ~12 %, which changes the picture's size), as the
   * canonical hash and any close alternative orientation.
   */
  regions: string[][][];
}

/**
 * The default project maximum distance. Through the index, copies under the corpus measurement's
 * edit classes are found at 8 for 100 % of most classes, 93-98 % of 12 % crops and 83 % of
 * watermarked copies; distinct photos of the corpus are never closer than 17. Extrapolating the
 * corpus' distances between distinct photos, 8 gives about 1 false match per 60 new pictures in a
 * project of a million (1 per 600 at 10^5), where 10 would give one every other picture. See
 * services/quality/docs/near-duplicates.md.
 */
export const DEFAULT_NEAR_DUPLICATE_DISTANCE = 8;

/** Bits in a hash; also the distance reported between fingerprints with nothing comparable. */
export const HASH_BITS = 64;

/** The trimmed picture is binned down by a whole factor to about this many pixels across (√(width × height)). */
const WORKING_SIZE = 128;
/** At most this many regions per picture. */
export const REGION_COUNT = 8;
/** Side of a region window, as a fraction of √(width × height) of the trimmed picture. */
const REGION_SIDE = 0.35;
/**
 * Window scales tried on lookup. A crop of up to 12 % or a padding changes the picture's size,
 * and with it the region window, by up to ~13 %; hashes tolerate about 3 %, so five steps cover it.
 */
export const REGION_SCALES: readonly number[] = [0.88, 0.94, 1, 1.06, 1.13];
const REFERENCE_SCALE = REGION_SCALES.indexOf(1);
/** Orientation choices closer than this fraction of the coefficients' RMS are looked up both ways. */
const ORIENTATION_AMBIGUITY = 0.15;
/** A window whose resampled pixels spread less than this (grey levels) is flat: its hash would be noise. */
const FLAT_DEVIATION = 1.5;

/**
 * Computes a picture's fingerprint from its grey raster (upright, any size from 16 px a side; the
 * quality stage passes it shrunk to fit 512 × 512). Pure and deterministic.
 *
 *  1. Uniform borders are trimmed, so letterboxing and padding do not change the picture.
 *  2. `whole`: the DCT sign hash of the trimmed picture resampled to 16 × 16, in canonical
 *     orientation (mirrors and 90° turns hash alike); it survives resizing, recompression,
 *     brightness, gamma, greyscale, small watermarks.
 *  3. `regions`: the same hash of square windows centred on the strongest blobs. Blobs move with
 *     the content, so after a crop most windows still cover the same content and hash alike,
 *     where a whole-picture hash changes completely.
 */
export function computeFingerprint(raster: GreyRaster): Fingerprint {
  assertGreyRaster(raster);
  const trimmed = trimUniformBorders(raster);
  const binning = Math.max(
    1,
    Math.floor(Math.sqrt((trimmed.x1 - trimmed.x0) * (trimmed.y1 - trimmed.y0)) / WORKING_SIZE),
  );
  const area = new SummedArea(binnedPlane(raster, trimmed, binning));
  const picture = { x0: 0, y0: 0, x1: area.plane.width, y1: area.plane.height };

  const whole = hashWindow(area, picture);

  const regionSide = REGION_SIDE * Math.sqrt((picture.x1 - picture.x0) * (picture.y1 - picture.y0));
  const largestSide = regionSide * Math.max(...REGION_SCALES);
  const blobs = findBlobs(area, picture, { count: REGION_COUNT, clearance: largestSide });

  const regionHashes: HashHalves[][][] = []; // [region][scale][alternative]
  for (const blob of blobs) {
    const byScale = REGION_SCALES.map((scale) => {
      const half = (regionSide * scale) / 2;
      return hashWindow(area, { x0: blob.x - half, y0: blob.y - half, x1: blob.x + half, y1: blob.y + half });
    });
    if (byScale.every((hashes) => hashes.length > 0)) regionHashes.push(byScale);
  }

  const hex = (hash: HashHalves): string => hashToHex(hash.high, hash.low);
  return {
    whole: whole[0] ? hex(whole[0]) : null,
    regions: regionHashes.map((byScale) => hex(byScale[REFERENCE_SCALE]![0]!)),
    probes: {
      whole: whole.map(hex),
      regions: REGION_SCALES.map((_, scale) => regionHashes.map((byScale) => byScale[scale]!.map(hex))),
    },
  };
}

/** The canonical hash (and close alternatives) of a window; empty when the window is flat. */
function hashWindow(area: SummedArea, window: Box): HashHalves[] {
  // Windows may overhang the plane by rounding; keep them inside.
  const { width, height } = area.plane;
  const box = {
    x0: Math.max(0, window.x0),
    y0: Math.max(0, window.y0),
    x1: Math.min(width, window.x1),
    y1: Math.min(height, window.y1),
  };
  const block = area.sample(box, BLOCK_SIZE, BLOCK_SIZE);
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < block.length; i++) {
    const value = block[i]!;
    sum += value;
    squares += value * value;
  }
  const mean = sum / block.length;
  if (Math.sqrt(Math.max(0, squares / block.length - mean * mean)) < FLAT_DEVIATION) return [];
  return canonicalHashes(lowFrequencyDct(block), ORIENTATION_AMBIGUITY);
}

/**
 * The hashes an index keeps for a picture, as halves: [high, low] pairs in one array. `wholeAt`
 * is the pair index of the whole-picture hash (-1 when there is none); the regions follow from
 * `regionsAt`.
 */
export interface StoredHashes {
  halves: Uint32Array;
  wholeAt: number;
  regionsAt: number;
  regionCount: number;
}

/** The lookup hashes of a picture, as halves. */
export interface ProbeHashes {
  /** [high, low] pairs: every orientation of the whole-picture hash worth trying. */
  whole: Uint32Array;
  /** [scale][region] → [high, low] pairs of that region's orientations. */
  regions: Uint32Array[][];
}

export function storedHashesOf(fingerprint: Pick<Fingerprint, 'whole' | 'regions'>): StoredHashes {
  const hexes =
    fingerprint.whole === null ? fingerprint.regions : [fingerprint.whole, ...fingerprint.regions];
  return {
    halves: hexListToHalves(hexes),
    wholeAt: fingerprint.whole === null ? -1 : 0,
    regionsAt: fingerprint.whole === null ? 0 : 1,
    regionCount: fingerprint.regions.length,
  };
}

export function probeHashesOf(fingerprint: Fingerprint): ProbeHashes {
  return {
    whole: hexListToHalves(fingerprint.probes.whole),
    regions: fingerprint.probes.regions.map((regions) => regions.map(hexListToHalves)),
  };
}

/**
 * How far a picture (its probes) is from a stored one: the smaller of
 *  - the distance between their whole-picture hashes, and
 *  - the smallest d such that two different regions of the stored picture are each within d of
 *    a different region of the probing one, at one window scale.
 * Two regions, not one: a single 64-bit region hash compared across ~40 probes × 8 regions meets
 * a chance look-alike too often at a million pictures; two independent agreements do not (see
 * the doc). Returns HASH_BITS when nothing is within `limit`.
 */
export function directedDistance(
  probes: ProbeHashes,
  stored: StoredHashes,
  limit: number = HASH_BITS,
): number {
  let best = HASH_BITS;
  if (stored.wholeAt >= 0) {
    const high = stored.halves[stored.wholeAt * 2]!;
    const low = stored.halves[stored.wholeAt * 2 + 1]!;
    for (let i = 0; i < probes.whole.length; i += 2) {
      best = Math.min(best, hamming(probes.whole[i]!, probes.whole[i + 1]!, high, low));
    }
  }
  if (stored.regionCount >= 2) {
    for (const regionsAtScale of probes.regions) {
      if (regionsAtScale.length < 2) continue;
      best = Math.min(best, twoRegionDistance(regionsAtScale, stored, Math.min(limit, best - 1)));
    }
  }
  return best <= limit ? best : HASH_BITS;
}

/**
 * The smallest d (at most `bound`) such that two pairs (probe region, stored region) that share
 * neither region are both within d; HASH_BITS when there is none.
 */
function twoRegionDistance(probeRegions: Uint32Array[], stored: StoredHashes, bound: number): number {
  const edges: Array<[number, number, number]> = []; // [distance, probe region, stored region]
  for (let p = 0; p < probeRegions.length; p++) {
    const alternatives = probeRegions[p]!;
    for (let s = 0; s < stored.regionCount; s++) {
      const at = (stored.regionsAt + s) * 2;
      const high = stored.halves[at]!;
      const low = stored.halves[at + 1]!;
      let distance = HASH_BITS;
      for (let a = 0; a < alternatives.length; a += 2) {
        distance = Math.min(distance, hamming(alternatives[a]!, alternatives[a + 1]!, high, low));
      }
      if (distance <= bound) edges.push([distance, p, s]);
    }
  }
  edges.sort((a, b) => a[0] - b[0]);
  // The first edge that forms, with some smaller one, two pairs sharing no region.
  for (let k = 1; k < edges.length; k++) {
    const [distance, probe, storedRegion] = edges[k]!;
    for (let j = 0; j < k; j++) {
      if (edges[j]![1] !== probe && edges[j]![2] !== storedRegion) return distance;
    }
  }
  return HASH_BITS;
}

/**
 * The distance between two pictures' fingerprints, symmetric: each is probed against the other's
 * stored hashes and the smaller distance counts. 0 for the same picture; HASH_BITS when the two
 * have nothing comparable (flat pictures). Near duplicates are within DEFAULT_NEAR_DUPLICATE_DISTANCE.
 */
export function fingerprintDistance(a: Fingerprint, b: Fingerprint): number {
  return Math.min(
    directedDistance(probeHashesOf(a), storedHashesOf(b)),
    directedDistance(probeHashesOf(b), storedHashesOf(a)),
  );
}

/** Validates a fingerprint's shape (every hash a 16-character hex string); throws TypeError otherwise. */
export function assertFingerprint(fingerprint: Fingerprint): void {
  const scratch = new Uint32Array(2);
  const check = (hex: string): void => hexToHalves(hex, scratch, 0);
  if (fingerprint.whole !== null) check(fingerprint.whole);
  fingerprint.regions.forEach(check);
  fingerprint.probes.whole.forEach(check);
  if (fingerprint.probes.regions.length !== REGION_SCALES.length) {
    throw new TypeError(`a fingerprint has region probes for ${REGION_SCALES.length} scales`);
  }
  for (const atScale of fingerprint.probes.regions) {
    if (atScale.length !== fingerprint.regions.length)
      throw new TypeError('one probe list per region and scale');
    atScale.flat().forEach(check);
  }
}
