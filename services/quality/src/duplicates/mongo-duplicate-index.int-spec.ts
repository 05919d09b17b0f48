import { connectMongo, syncModelIndexes } from '@aperture/persistence';
import { testInfraEnv, uniqueName } from '@aperture/testing';
import type { Connection } from 'mongoose';
import {
  computeFingerprint,
  DEFAULT_NEAR_DUPLICATE_DISTANCE,
  type DuplicateEntry,
  type Fingerprint,
} from '@aperture/image-quality';
import { duplicateTestPictures } from '@aperture/image-quality/testing';

const { cropped, mapPixels, mirrored, scene } = duplicateTestPictures;
import { fingerprintRecordModel } from './fingerprint-record';
import { MongoDuplicateIndex, newRecord, type DuplicateScopeKey } from './mongo-duplicate-index';

const MAX = DEFAULT_NEAR_DUPLICATE_DISTANCE;

/** A picture and two edited copies of it, fingerprinted. */
function pictureFamily(seed: number): {
  original: Fingerprint;
  brighter: Fingerprint;
  mirroredCrop: Fingerprint;
} {
  const picture = scene(seed);
  return {
    original: computeFingerprint(picture),
    brighter: computeFingerprint(mapPixels(picture, (v) => v + 25)),
    mirroredCrop: computeFingerprint(mirrored(cropped(picture, 24, 12, 336, 232))),
  };
}

const entry = (
  imageId: string,
  order: string,
  fingerprint: Fingerprint,
  pixelHash = `px-${imageId}`,
): DuplicateEntry => ({
  imageId,
  order,
  pixelHash,
  fingerprint,
});

describe('MongoDuplicateIndex against the real MongoDB-wire server', () => {
  const dbName = uniqueName('it_quality_dups').replace(/-/g, '_');
  // Two connections: two replicas of the quality stage.
  let replicaA: Connection;
  let replicaB: Connection;
  let project = 0;
  /** A fresh project for each test, so tests never see each other's images. */
  const nextScope = (): DuplicateScopeKey => ({ tenantId: 't1', projectId: `p${++project}` });

  beforeAll(async () => {
    replicaA = await connectMongo({ uri: testInfraEnv().mongoUri, dbName });
    replicaB = await connectMongo({ uri: testInfraEnv().mongoUri, dbName });
    fingerprintRecordModel(replicaA);
    await syncModelIndexes(replicaA);
  });

  afterAll(async () => {
    await replicaA?.dropDatabase();
    await replicaA?.close();
    await replicaB?.close();
  });

  it('declares its indexes: unique scope + imageId, scope + band keys, scope + pixel hash', async () => {
    const indexes = await fingerprintRecordModel(replicaA).collection.indexes();
    const byName = Object.fromEntries(indexes.map((index) => [index.name, index]));
    expect(byName['scope_image_unique']).toMatchObject({
      key: { tenantId: 1, projectId: 1, imageId: 1 },
      unique: true,
    });
    expect(byName['scope_band_keys']).toMatchObject({ key: { tenantId: 1, projectId: 1, bandKeys: 1 } });
    expect(byName['scope_pixel_hash']).toMatchObject({ key: { tenantId: 1, projectId: 1, pixelHash: 1 } });
  });

  it('finds pixel-identical and edited copies of earlier images, and nothing for a new picture', async () => {
    const index = new MongoDuplicateIndex(replicaA, nextScope());
    const family = pictureFamily(31);
    await expect(
      index.checkAndAdd(entry('a', '1', family.original, 'pixels-a'), MAX),
    ).resolves.toBeUndefined();
    await expect(index.checkAndAdd(entry('b', '2', family.brighter, 'pixels-a'), MAX)).resolves.toEqual({
      kind: 'duplicate',
      imageId: 'a',
      distance: 0,
    });
    await expect(index.checkAndAdd(entry('c', '3', family.mirroredCrop), MAX)).resolves.toMatchObject({
      kind: 'near_duplicate',
      imageId: 'a',
    });
    await expect(
      index.checkAndAdd(entry('d', '4', pictureFamily(32).original), MAX),
    ).resolves.toBeUndefined();
  });

  it('is idempotent, never matches an image with itself, and stores one record per image', async () => {
    const scope = nextScope();
    const index = new MongoDuplicateIndex(replicaA, scope);
    const family = pictureFamily(33);
    await expect(index.checkAndAdd(entry('a', '1', family.original), MAX)).resolves.toBeUndefined();
    await expect(index.checkAndAdd(entry('a', '1', family.original), MAX)).resolves.toBeUndefined();
    const first = await index.checkAndAdd(entry('b', '2', family.brighter), MAX);
    expect(first).toMatchObject({ kind: 'near_duplicate', imageId: 'a' });
    await expect(index.checkAndAdd(entry('b', '2', family.brighter), 0)).resolves.toEqual(first);
    await expect(index.find(entry('b', '2', family.brighter), MAX)).resolves.toEqual(first);
    expect(await fingerprintRecordModel(replicaA).countDocuments(scope)).toBe(2);
  });

  it('keeps projects and tenants apart', async () => {
    const family = pictureFamily(34);
    const scope = nextScope();
    await new MongoDuplicateIndex(replicaA, scope).checkAndAdd(entry('a', '1', family.original, 'same'), MAX);
    const otherProject = new MongoDuplicateIndex(replicaA, nextScope());
    const otherTenant = new MongoDuplicateIndex(replicaA, { tenantId: 't2', projectId: scope.projectId });
    await expect(
      otherProject.checkAndAdd(entry('b', '2', family.original, 'same'), MAX),
    ).resolves.toBeUndefined();
    await expect(
      otherTenant.checkAndAdd(entry('c', '3', family.original, 'same'), MAX),
    ).resolves.toBeUndefined();
  });

  it('keeps exactly one of two copies checked at the same moment by two replicas', async () => {
    for (let trial = 0; trial < 6; trial++) {
      const scope = nextScope();
      const family = pictureFamily(40 + trial);
      const [first, second] = await Promise.all([
        new MongoDuplicateIndex(replicaA, scope).checkAndAdd(
          entry('x', '2026-01-01T00:00:00.000Z/x', family.original),
          MAX,
        ),
        new MongoDuplicateIndex(replicaB, scope).checkAndAdd(
          entry('y', '2026-01-01T00:00:00.001Z/y', family.brighter),
          MAX,
        ),
      ]);
      // Whichever finished first, exactly one is flagged, and it names the other.
      expect([first?.imageId, second?.imageId].sort()).toEqual(second ? ['x', undefined] : ['y', undefined]);
    }
  });

  it('flags the earlier-ordered copy when the later one was already checked and kept', async () => {
    const scope = nextScope();
    const family = pictureFamily(50);
    const index = new MongoDuplicateIndex(replicaA, scope);
    await expect(index.checkAndAdd(entry('late', '2', family.original), MAX)).resolves.toBeUndefined();
    await expect(index.checkAndAdd(entry('early', '1', family.brighter), MAX)).resolves.toMatchObject({
      imageId: 'late',
    });
  });

  it('waits for a later look-alike that another replica is still checking, and follows its verdict', async () => {
    const scope = nextScope();
    const family = pictureFamily(51);
    const records = fingerprintRecordModel(replicaA);
    // Replica B has inserted "late" and is searching: its record has no verdict yet.
    await records.create(newRecord(scope, entry('late', '2', family.original)));

    const checking = new MongoDuplicateIndex(replicaA, scope, {
      undecidedWaitMs: 10_000,
      pollIntervalMs: 20,
    }).checkAndAdd(entry('early', '1', family.brighter), MAX);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // B's search ran before "early" was inserted, so B keeps "late": "early" must be the copy.
    await records.updateOne({ ...scope, imageId: 'late' }, { $set: { verdict: { kind: 'unique' } } });
    await expect(checking).resolves.toMatchObject({ kind: 'near_duplicate', imageId: 'late' });
  });

  it('ignores a later look-alike whose check never finishes, after the wait', async () => {
    const scope = nextScope();
    const family = pictureFamily(52);
    const index = new MongoDuplicateIndex(replicaA, scope, { undecidedWaitMs: 200, pollIntervalMs: 20 });
    await index.checkAndAdd(entry('late', '2', family.original), MAX);
    await fingerprintRecordModel(replicaA).updateOne(
      { ...scope, imageId: 'late' },
      { $unset: { verdict: 1 } },
    );
    const started = Date.now();
    await expect(index.checkAndAdd(entry('early', '1', family.brighter), MAX)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    // When "late" is checked again (its message redelivered), it sees "early" and is the copy.
    await expect(index.checkAndAdd(entry('late', '2', family.original), MAX)).resolves.toMatchObject({
      imageId: 'early',
    });
  });
});
