import type { Fingerprint } from './fingerprint';

/**
 * The stored part of a fingerprint as a flat list, for a result message: the whole-picture hash
 * first ('' for a flat picture), then the region hashes.
 */
export function fingerprintHex(fingerprint: Fingerprint): string[] {
  return [fingerprint.whole ?? '', ...fingerprint.regions];
}
