import { DuplicateKeyError } from '@aperture/persistence';
import type { Connection, Model } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertFingerprint,
  bandKeysOf,
  bestMatch,
  directedDistance,
  HashKind,
  matchOf,
  probeHashesOf,
  standing,
  storedHashesOf,
  verdictOf,
  type DuplicateEntry,
  type DuplicateIndex,
  type DuplicateMatch,
  type Fingerprint,
  type RecordedVerdict,
  type Resemblance,
  type StoredEntry,
} from '@aperture/image-quality';
import { fingerprintRecordModel, type FingerprintRecord, type StoredVerdict } from './fingerprint-record';

/** The project whose images an index holds. */
export interface DuplicateScopeKey {
  tenantId: string;
  projectId: string;
}

export interface MongoDuplicateIndexOptions {
  /**
   * How long a check waits for a look-alike that is later in order and still being checked by
   * another replica (default 10 s). A check takes milliseconds on MongoDB, so the wait is short
   * unless that replica died; see the class comment for what happens then.
   */
  undecidedWaitMs?: number;
  /** How often the look-alike's record is read while waiting (default 50 ms). */
  pollIntervalMs?: number;
}

type CandidateRecord = Pick<
  FingerprintRecord,
  'imageId' | 'order' | 'pixelHash' | 'whole' | 'regions' | 'verdict'
>;

/**
 * The duplicate index of one project in MongoDB, shared by every replica of the quality stage.
 *
 * A check inserts the image's record first (unique on scope + imageId), then searches, then
 * writes its verdict into its own record. Insert-then-search means that of two copies checked at
 * the same moment by two replicas, at least the second search sees the other record. Which of the
 * two is the copy is then settled without transactions (see DuplicateIndex for the rule):
 *  - a look-alike earlier in order always counts;
 *  - a look-alike later in order counts only once its verdict says it was kept; while it has no
 *    verdict, this check polls its record (its own search may or may not have seen this image,
 *    and its verdict tells which).
 * Each record's verdict is written only by the check of that image, so no two writers race on a
 * document (FerretDB's conditional updates are not atomic).
 *
 * Residual races, both needing a replica to stall or die mid-check:
 *  - a look-alike whose check stays undecided beyond undecidedWaitMs (its replica died after
 *    inserting) is ignored; when its message is redelivered, its check runs again, sees this
 *    image as earlier, and is flagged itself, unless its replica is alive but stalled and its
 *    search ran before this image was inserted: then both are kept.
 *  - the same image checked twice at once (a redelivery overlapping the first delivery) may
 *    compute two verdicts if a look-alike arrived between the two searches; the last write wins
 *    and both calls return what they read back, which can differ for that one race.
 *
 * Lookups use only equality on indexed fields: { scope, pixelHash } and { scope, bandKeys $in }
 * (about 160 keys), then the fingerprint distance is computed here for the records found. On
 * MongoDB each key is an index seek. FerretDB 1.24 scans the collection for every query whatever
 * its indexes: on SQLite (measured; see services/quality/docs/near-duplicates.md) and on
 * PostgreSQL too, whose btree indexes on `_jsonb->'field'` cannot serve the `@>` filters FerretDB
 * sends (explain shows a sequential scan even by `_id`; issue 20's open point 5).
 */
export class MongoDuplicateIndex implements DuplicateIndex {
  private readonly model: Model<FingerprintRecord>;
  private readonly undecidedWaitMs: number;
  private readonly pollIntervalMs: number;

  constructor(
    connection: Connection,
    private readonly scope: DuplicateScopeKey,
    options: MongoDuplicateIndexOptions = {},
  ) {
    this.model = fingerprintRecordModel(connection);
    this.undecidedWaitMs = options.undecidedWaitMs ?? 10_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
  }

  async checkAndAdd(entry: DuplicateEntry, maxDistance: number): Promise<DuplicateMatch | undefined> {
    assertFingerprint(entry.fingerprint);
    try {
      await this.model.create(newRecord(this.scope, entry));
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      // Checked before: answer as then. Without a verdict the earlier check died half-way (or is
      // running right now, for a redelivery): search again.
      const recorded = await this.recordedVerdict(entry.imageId);
      if (recorded) return matchOf(recorded);
    }

    const verdict = verdictOf(await this.search(entry, maxDistance));
    await this.model.updateOne(
      { ...this.scope, imageId: entry.imageId, verdict: { $exists: false } },
      { $set: { verdict: toStored(verdict) } },
    );
    return matchOf((await this.recordedVerdict(entry.imageId)) ?? verdict);
  }

  async find(entry: DuplicateEntry, maxDistance: number): Promise<DuplicateMatch | undefined> {
    assertFingerprint(entry.fingerprint);
    const recorded = await this.recordedVerdict(entry.imageId);
    return recorded ? matchOf(recorded) : this.search(entry, maxDistance);
  }

  private async search(entry: DuplicateEntry, maxDistance: number): Promise<DuplicateMatch | undefined> {
    const probes = probeHashesOf(entry.fingerprint);
    const records = await this.model
      .find(
        {
          imageId: { $ne: entry.imageId },
          $or: [
            { ...this.scope, pixelHash: entry.pixelHash },
            { ...this.scope, bandKeys: { $in: probeBandKeys(entry.fingerprint) } },
          ],
        },
        { _id: 0, imageId: 1, order: 1, pixelHash: 1, whole: 1, regions: 1, verdict: 1 },
      )
      .lean<CandidateRecord[]>();

    const resemblances: Resemblance[] = [];
    for (const record of records) {
      const identical = record.pixelHash === entry.pixelHash;
      const distance = identical ? 0 : directedDistance(probes, storedHashesOf(record), maxDistance);
      if (!identical && distance > maxDistance) continue;
      resemblances.push({
        imageId: record.imageId,
        order: record.order,
        verdict: record.verdict ? fromStored(record.verdict) : undefined,
        identical,
        distance,
      });
    }

    // Later look-alikes still being checked: wait for their verdicts, which say whether they saw this image.
    await Promise.all(
      resemblances
        .filter((resemblance) => standing(resemblance, entry) === 'undecided')
        .map(async (resemblance) => {
          resemblance.verdict = await this.awaitVerdict(resemblance.imageId);
        }),
    );
    return bestMatch(resemblances.filter((resemblance) => standing(resemblance, entry) === 'counts'));
  }

  private async awaitVerdict(imageId: string): Promise<RecordedVerdict | undefined> {
    const deadline = Date.now() + this.undecidedWaitMs;
    for (;;) {
      const verdict = await this.recordedVerdict(imageId);
      if (verdict || Date.now() >= deadline) return verdict;
      await sleep(this.pollIntervalMs);
    }
  }

  private async recordedVerdict(imageId: string): Promise<RecordedVerdict | undefined> {
    const record = await this.model
      .findOne({ ...this.scope, imageId }, { _id: 0, verdict: 1 })
      .lean<Pick<FingerprintRecord, 'verdict'>>();
    return record?.verdict ? fromStored(record.verdict) : undefined;
  }
}

/** The duplicate index of one project, for the quality stage (one MongoDB connection per process). */
export function mongoDuplicateIndex(
  connection: Connection,
  scope: DuplicateScopeKey,
  options?: MongoDuplicateIndexOptions,
): DuplicateIndex {
  return new MongoDuplicateIndex(connection, scope, options);
}

/** The record a check inserts before it searches: no verdict yet. */
export function newRecord(scope: DuplicateScopeKey, entry: StoredEntry): FingerprintRecord {
  return {
    ...scope,
    imageId: entry.imageId,
    order: entry.order,
    pixelHash: entry.pixelHash,
    whole: entry.fingerprint.whole,
    regions: entry.fingerprint.regions,
    bandKeys: storedBandKeys(entry.fingerprint),
    createdAt: new Date(),
  };
}

function storedBandKeys(fingerprint: StoredEntry['fingerprint']): number[] {
  const stored = storedHashesOf(fingerprint);
  const keys: number[] = [];
  for (let i = 0; i < stored.halves.length / 2; i++) {
    const kind = i === stored.wholeAt ? HashKind.Whole : HashKind.Region;
    keys.push(...bandKeysOf(kind, stored.halves[i * 2]!, stored.halves[i * 2 + 1]!));
  }
  return [...new Set(keys)];
}

function probeBandKeys(fingerprint: Fingerprint): number[] {
  const probes = probeHashesOf(fingerprint);
  const keys = new Set<number>();
  const add = (kind: HashKind, pairs: Uint32Array): void => {
    for (let i = 0; i < pairs.length; i += 2)
      for (const key of bandKeysOf(kind, pairs[i]!, pairs[i + 1]!)) keys.add(key);
  };
  add(HashKind.Whole, probes.whole);
  for (const atScale of probes.regions) for (const region of atScale) add(HashKind.Region, region);
  return [...keys];
}

function toStored(verdict: RecordedVerdict): StoredVerdict {
  return verdict.kind === 'unique' ? { kind: 'unique' } : { ...verdict };
}

function fromStored(stored: StoredVerdict): RecordedVerdict {
  return stored.kind === 'unique'
    ? { kind: 'unique' }
    : { kind: stored.kind, imageId: stored.imageId ?? '', distance: stored.distance ?? 0 };
}
