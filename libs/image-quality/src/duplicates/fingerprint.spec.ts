import { trimUniformBorders } from './borders';
import {
  computeFingerprint,
  DEFAULT_NEAR_DUPLICATE_DISTANCE,
  fingerprintDistance,
  fingerprintHex,
  HASH_BITS,
  REGION_SCALES,
  type Fingerprint,
} from './index';
import { hamming, hashToHex, hexListToHalves, popcount32 } from './hash64';
import { bordered, cropped, mapPixels, mirrored, scene, turned } from '../testing/test-pictures';

describe('64-bit hash helpers', () => {
  it('counts bits and measures Hamming distance on both halves', () => {
    expect([popcount32(0), popcount32(1), popcount32(0xffffffff), popcount32(0x80000001)]).toEqual([
      0, 1, 32, 2,
    ]);
    expect(hamming(0xffffffff, 0, 0, 0)).toBe(32);
    expect(hamming(0x0000000f, 0xf0000000, 0x00000001, 0x10000000)).toBe(6);
  });

  it('writes and reads hashes as 16 hex digits', () => {
    expect(hashToHex(0x0000abcd, 0x12345678)).toBe('0000abcd12345678');
    expect(Array.from(hexListToHalves(['0000abcd12345678', 'ffffffff00000000']))).toEqual([
      0x0000abcd, 0x12345678, 0xffffffff, 0,
    ]);
    expect(() => hexListToHalves(['12345'])).toThrow(TypeError);
  });
});

describe('trimUniformBorders', () => {
  it('finds the picture inside letterbox bars and padding of any flat colour', () => {
    const picture = scene(1, 200, 120);
    expect(trimUniformBorders(bordered(picture, 30, 0))).toEqual({ x0: 30, y0: 30, x1: 230, y1: 150 });
    expect(trimUniformBorders(bordered(picture, 12, 255))).toEqual({ x0: 12, y0: 12, x1: 212, y1: 132 });
    expect(trimUniformBorders(picture)).toEqual({ x0: 0, y0: 0, x1: 200, y1: 120 });
  });
});

describe('computeFingerprint', () => {
  const picture = scene(7);
  const fingerprint = computeFingerprint(picture);

  it('is a few 64-bit hashes as hex, plus lookup probes for every region and window scale', () => {
    expect(fingerprint.whole).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint.regions.length).toBeGreaterThanOrEqual(4);
    expect(fingerprint.regions.length).toBeLessThanOrEqual(8);
    expect(fingerprint.probes.whole[0]).toBe(fingerprint.whole);
    expect(fingerprint.probes.regions).toHaveLength(REGION_SCALES.length);
    for (const atScale of fingerprint.probes.regions)
      expect(atScale).toHaveLength(fingerprint.regions.length);
    // The reference scale's first alternative is the stored region hash.
    expect(
      fingerprint.probes.regions[REGION_SCALES.indexOf(1)]!.map((alternatives) => alternatives[0]),
    ).toEqual(fingerprint.regions);
    expect(fingerprintHex(fingerprint)).toEqual([fingerprint.whole, ...fingerprint.regions]);
  });

  it('survives JSON unchanged and is deterministic', () => {
    const roundTrip = JSON.parse(JSON.stringify(fingerprint)) as Fingerprint;
    expect(roundTrip).toEqual(fingerprint);
    expect(computeFingerprint(picture)).toEqual(fingerprint);
    expect(fingerprintDistance(roundTrip, fingerprint)).toBe(0);
  });

  it('hashes a mirrored or turned copy like the original (canonical orientation)', () => {
    for (const copy of [
      mirrored(picture),
      turned(picture),
      turned(turned(picture)),
      mirrored(turned(picture)),
    ]) {
      expect(computeFingerprint(copy).whole).toBe(fingerprint.whole);
    }
  });

  it('hashes a letterboxed or padded copy like the original (borders trimmed)', () => {
    expect(computeFingerprint(bordered(picture, 40, 0)).whole).toBe(fingerprint.whole);
    expect(computeFingerprint(bordered(picture, 16, 255)).whole).toBe(fingerprint.whole);
  });

  it('keeps brightened, contrast-stretched and gamma-shifted copies near', () => {
    const edits = [
      mapPixels(picture, (v) => v + 30),
      mapPixels(picture, (v) => 128 + (v - 128) * 1.3),
      mapPixels(picture, (v) => 255 * (v / 255) ** 0.7),
    ];
    for (const copy of edits) {
      expect(fingerprintDistance(computeFingerprint(copy), fingerprint)).toBeLessThanOrEqual(
        DEFAULT_NEAR_DUPLICATE_DISTANCE,
      );
    }
  });

  it('finds a copy cropped by 12 % through its regions, where the whole-picture hash has moved away', () => {
    const copy = computeFingerprint(cropped(picture, 46, 0, 338, 256));
    const wholeOnly = (f: Fingerprint): Fingerprint => ({
      ...f,
      regions: [],
      probes: { ...f.probes, regions: f.probes.regions.map(() => []) },
    });
    expect(fingerprintDistance(wholeOnly(copy), wholeOnly(fingerprint))).toBeGreaterThan(
      DEFAULT_NEAR_DUPLICATE_DISTANCE,
    );
    expect(fingerprintDistance(copy, fingerprint)).toBeLessThanOrEqual(DEFAULT_NEAR_DUPLICATE_DISTANCE);
  });

  it('keeps different pictures apart', () => {
    for (const seed of [8, 9, 10, 11]) {
      expect(fingerprintDistance(computeFingerprint(scene(seed)), fingerprint)).toBeGreaterThan(
        DEFAULT_NEAR_DUPLICATE_DISTANCE,
      );
    }
  });

  it('gives a flat picture no perceptual hash, so it is never anyone’s near duplicate', () => {
    const flat = computeFingerprint({ width: 64, height: 64, data: new Uint8Array(64 * 64).fill(90) });
    expect(flat).toMatchObject({ whole: null, regions: [] });
    expect(fingerprintDistance(flat, flat)).toBe(HASH_BITS);
  });

  it('refuses rasters under 16 pixels a side or with the wrong number of bytes', () => {
    expect(() => computeFingerprint({ width: 15, height: 40, data: new Uint8Array(600) })).toThrow(
      RangeError,
    );
    expect(() => computeFingerprint({ width: 20, height: 20, data: new Uint8Array(399) })).toThrow(
      RangeError,
    );
  });
});
