import {
  computeFingerprint,
  DEFAULT_NEAR_DUPLICATE_DISTANCE,
  fingerprintDistance,
  MemoryDuplicateIndex,
} from './index';
import type { DuplicateEntry } from './index';
import { cropped, mapPixels, mirrored, scene } from '../testing/test-pictures';

const picture = scene(21);
const fingerprints = {
  original: computeFingerprint(picture),
  brighter: computeFingerprint(mapPixels(picture, (v) => v + 25)),
  mirroredCrop: computeFingerprint(mirrored(cropped(picture, 20, 10, 340, 230))),
  other: computeFingerprint(scene(22)),
};
const entry = (
  imageId: string,
  order: string,
  fingerprint = fingerprints.original,
  pixelHash = `px-${imageId}`,
): DuplicateEntry => ({
  imageId,
  order,
  pixelHash,
  fingerprint,
});
const MAX = DEFAULT_NEAR_DUPLICATE_DISTANCE;

describe('MemoryDuplicateIndex', () => {
  it('reports a pixel-identical earlier image as a duplicate at distance 0, before any near one', async () => {
    const index = new MemoryDuplicateIndex();
    await index.checkAndAdd(entry('near', '1', fingerprints.brighter), MAX);
    await index.checkAndAdd(entry('same', '2', fingerprints.other, 'pixels-1'), MAX);
    // Its fingerprint is near "near", but its pixels are those of "same".
    await expect(
      index.checkAndAdd(entry('new', '3', fingerprints.original, 'pixels-1'), MAX),
    ).resolves.toEqual({
      kind: 'duplicate',
      imageId: 'same',
      distance: 0,
    });
  });

  it('reports the nearest earlier image within the maximum distance as a near duplicate', async () => {
    const index = new MemoryDuplicateIndex();
    await index.checkAndAdd(entry('other', '1', fingerprints.other), MAX);
    await index.checkAndAdd(entry('crop', '2', fingerprints.mirroredCrop), MAX);
    await index.checkAndAdd(entry('bright', '3', fingerprints.brighter), MAX);
    const nearest = Math.min(
      fingerprintDistance(fingerprints.original, fingerprints.brighter),
      fingerprintDistance(fingerprints.original, fingerprints.mirroredCrop),
    );
    const match = await index.find(entry('new', '4'), MAX);
    expect(match).toMatchObject({ kind: 'near_duplicate', distance: nearest });
    expect(['crop', 'bright']).toContain(match!.imageId);
    await expect(index.find(entry('new', '4'), -1)).resolves.toBeUndefined();
    await expect(
      index.find(entry('new', '4', fingerprints.other, 'px-unrelated'), MAX),
    ).resolves.toMatchObject({
      imageId: 'other',
      distance: 0,
    });
  });

  it('finds a mirrored crop of a picture through the band index', async () => {
    const index = new MemoryDuplicateIndex();
    await index.checkAndAdd(entry('first', '1'), MAX);
    await expect(
      index.checkAndAdd(entry('copy', '2', fingerprints.mirroredCrop), MAX),
    ).resolves.toMatchObject({
      kind: 'near_duplicate',
      imageId: 'first',
    });
  });

  it('is idempotent: the same image again gets the first answer and adds nothing', async () => {
    const index = new MemoryDuplicateIndex();
    await index.checkAndAdd(entry('a', '1'), MAX);
    const first = await index.checkAndAdd(entry('b', '2', fingerprints.brighter), MAX);
    expect(first).toMatchObject({ kind: 'near_duplicate', imageId: 'a' });
    await expect(index.checkAndAdd(entry('b', '2', fingerprints.brighter), MAX)).resolves.toEqual(first);
    // Even asked with a stricter maximum, the recorded answer stands.
    await expect(index.checkAndAdd(entry('b', '2', fingerprints.brighter), 0)).resolves.toEqual(first);
    await expect(index.find(entry('b', '2'), MAX)).resolves.toEqual(first);
    expect(index.size).toBe(2);
  });

  it('never matches an image with itself', async () => {
    const index = new MemoryDuplicateIndex();
    await expect(index.checkAndAdd(entry('a', '1'), MAX)).resolves.toBeUndefined();
    await expect(index.checkAndAdd(entry('a', '1'), MAX)).resolves.toBeUndefined();
    await expect(index.find(entry('a', '1'), MAX)).resolves.toBeUndefined();
  });

  it('keeps exactly one of two copies checked out of order: a kept later image counts as earlier', async () => {
    const index = new MemoryDuplicateIndex();
    // "late" was received later but checked first, and kept.
    await expect(index.checkAndAdd(entry('late', '2026-01-02/late'), MAX)).resolves.toBeUndefined();
    await expect(
      index.checkAndAdd(entry('early', '2026-01-01/early', fingerprints.brighter), MAX),
    ).resolves.toMatchObject({ kind: 'near_duplicate', imageId: 'late' });
  });

  it('does not name a later image that was itself found to be a copy', async () => {
    const index = new MemoryDuplicateIndex();
    await index.checkAndAdd(entry('kept', '5'), MAX);
    await expect(index.checkAndAdd(entry('copy', '6', fingerprints.brighter), MAX)).resolves.toMatchObject({
      imageId: 'kept',
    });
    // "early" has exactly copy's fingerprint, but copy was not kept: kept (later too, but kept) is named.
    await expect(index.checkAndAdd(entry('early', '1', fingerprints.brighter), MAX)).resolves.toEqual({
      kind: 'near_duplicate',
      imageId: 'kept',
      distance: fingerprintDistance(fingerprints.brighter, fingerprints.original),
    });
  });
});
