// Exact and near-duplicate detection as pure code over pixels: fingerprints, their distance, and
// the duplicate index contract with an in-memory implementation (the MongoDB one lives in
// services/quality/src/duplicates). Method and measurements: services/quality/docs/near-duplicates.md.
export { bestMatch, matchOf, standing, verdictOf } from './duplicate-index';
export type {
  DuplicateEntry,
  DuplicateIndex,
  DuplicateMatch,
  RecordedVerdict,
  Resemblance,
} from './duplicate-index';
export {
  assertFingerprint,
  computeFingerprint,
  DEFAULT_NEAR_DUPLICATE_DISTANCE,
  directedDistance,
  fingerprintDistance,
  HASH_BITS,
  probeHashesOf,
  REGION_COUNT,
  REGION_SCALES,
  storedHashesOf,
} from './fingerprint';
export type { Fingerprint, FingerprintProbes, ProbeHashes, StoredHashes } from './fingerprint';
export { fingerprintHex } from './fingerprint-hex';
export { MIN_RASTER_SIDE } from './grey-raster';
export type { GreyRaster } from './grey-raster';
export { BAND_COUNT, bandKeysOf, HashKind } from './index-bands';
export { MemoryDuplicateIndex } from './memory-duplicate-index';
export type { StoredEntry } from './memory-duplicate-index';
