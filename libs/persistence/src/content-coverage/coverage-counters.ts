// Diversity coverage counters (issue 24): per batch and per campaign of a project, the images in
// each descriptor bucket, per scene cluster, and the novelty sums, added up as images are cleared.
// A project's coverage is the sum of its batches' documents (one read per batch, never one per
// image). Idempotent per image: a mark (unique insert of the image id) comes first, so a
// redelivery adds nothing. FerretDB on PostgreSQL does not make concurrent $inc on one document
// atomic, so the increments of one document are serialised in the process; several replicas of
// the compliance stage writing to one batch at once could still lose an increment (the report
// says "images counted", which then differs from the batch's cleared count).
import {
  checkCoverage,
  coverageOf,
  emptyCounts,
  mergeCounts,
  type Coverage,
  type CoverageCheck,
  type CoverageCounts,
} from '@aperture/diversity';
import { type Connection, type Model, Schema } from 'mongoose';
import { DuplicateKeyError, isDuplicateKeyError } from '../errors';
import type { DatasetPolicy } from '@aperture/policy';

export type CoverageScope = 'batch' | 'campaign';

/** What one image adds (libs/diversity CoverageContribution). */
export interface CoverageIncrement {
  buckets: Record<string, string>;
  cluster: string;
  novelty: number;
}

/** One document of sums (libs/diversity CoverageCounts, with its scope). */
export interface CoverageCounterDoc {
  _id: string;
  tenantId: string;
  projectId: string;
  scope: CoverageScope;
  scopeId: string;
  images: number;
  buckets: Record<string, Record<string, number>>;
  clusters: Record<string, number>;
  noveltySum: number;
  newScenes: number;
  updatedAt: Date;
}

const counterSchema = new Schema<CoverageCounterDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    scope: { type: String, required: true },
    scopeId: { type: String, required: true },
    images: { type: Number, default: 0 },
    buckets: { type: Schema.Types.Mixed, default: {} },
    clusters: { type: Schema.Types.Mixed, default: {} },
    noveltySum: { type: Number, default: 0 },
    newScenes: { type: Number, default: 0 },
    updatedAt: { type: Date },
  },
  { collection: 'coverage_counters', versionKey: false, minimize: false },
);
counterSchema.index({ tenantId: 1, projectId: 1, scope: 1 }, { name: 'tenant_project_scope' });

const markSchema = new Schema<{ _id: string; at: Date }>(
  { _id: { type: String, required: true }, at: { type: Date, required: true } },
  { collection: 'coverage_marks', versionKey: false },
);

/** One counter document per batch or campaign of a project. */
const counterId = (tenantId: string, projectId: string, scope: CoverageScope, scopeId: string) =>
  `${tenantId}/${projectId}/${scope}/${scopeId}`;

/** A key of a bucket or cluster as a field name: no dots or leading dollars. */
const fieldKey = (value: string) => value.replace(/[.$]/g, '_');

export class CoverageCounters {
  readonly counters: Model<CoverageCounterDoc>;
  private readonly marks: Model<{ _id: string; at: Date }>;
  /** Per counter document, the last increment queued in this process. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(connection: Connection) {
    this.counters =
      (connection.models['CoverageCounter'] as Model<CoverageCounterDoc> | undefined) ??
      connection.model<CoverageCounterDoc>('CoverageCounter', counterSchema);
    this.marks =
      (connection.models['CoverageMark'] as Model<{ _id: string; at: Date }> | undefined) ??
      connection.model<{ _id: string; at: Date }>('CoverageMark', markSchema);
  }

  /** Adds one image to its batch's counters (and its campaign's); 'duplicate' when it was counted. */
  async count(
    image: { imageId: string; tenantId: string; projectId: string; batchId: string; campaignId?: string },
    increment: CoverageIncrement,
    now = new Date(),
  ): Promise<'done' | 'duplicate'> {
    try {
      await this.marks.create({ _id: image.imageId, at: now });
    } catch (error) {
      // The connection's plugin turns the server's error into a DuplicateKeyError.
      if (error instanceof DuplicateKeyError || isDuplicateKeyError(error)) return 'duplicate';
      throw error;
    }
    const inc: Record<string, number> = {
      images: 1,
      noveltySum: increment.novelty,
      newScenes: increment.novelty >= 1 ? 1 : 0,
      [`clusters.${fieldKey(increment.cluster)}`]: 1,
    };
    for (const [axis, bucket] of Object.entries(increment.buckets))
      inc[`buckets.${fieldKey(axis)}.${fieldKey(bucket)}`] = 1;
    const scopes: Array<[CoverageScope, string]> = [['batch', image.batchId]];
    if (image.campaignId) scopes.push(['campaign', image.campaignId]);
    await Promise.all(
      scopes.map(([scope, scopeId]) => {
        const _id = counterId(image.tenantId, image.projectId, scope, scopeId);
        return this.serialised(_id, () =>
          this.counters
            .updateOne(
              { _id },
              {
                $inc: inc,
                $set: { updatedAt: now },
                $setOnInsert: { tenantId: image.tenantId, projectId: image.projectId, scope, scopeId },
              },
              { upsert: true },
            )
            .exec(),
        );
      }),
    );
    return 'done';
  }

  /**
   * The counter documents of a project (every batch), or of one batch or campaign (by its id: the
   * one filter FerretDB on PostgreSQL answers from an index, deploy/postgres/ferretdb-indexes.sql).
   */
  async read(tenantId: string, projectId: string, scope: CoverageScope = 'batch', scopeId?: string) {
    return this.counters
      .find(
        scopeId === undefined
          ? { tenantId, projectId, scope }
          : { _id: counterId(tenantId, projectId, scope, scopeId) },
      )
      .lean<CoverageCounterDoc[]>()
      .exec();
  }

  /**
   * The coverage of a project, or of one of its batches, from its counter documents (one per
   * batch), and the policy's content targets (dataset.minBucketShare, targets.maxSceneClusterShare,
   * and for a batch targets.minBatchNovelty), each met or not. For the dataset report and the
   * batch status alike.
   */
  async checked(
    scope: { tenantId: string; projectId: string; batchId?: string },
    dataset: DatasetPolicy,
  ): Promise<{ coverage: Coverage; targets: CoverageCheck[] }> {
    const docs = await this.read(scope.tenantId, scope.projectId, 'batch', scope.batchId);
    const coverage = coverageOf(docs.map(countsOf).reduce(mergeCounts, emptyCounts()));
    const { targets, minBucketShare } = dataset;
    return {
      coverage,
      targets: checkCoverage(
        coverage,
        {
          minBucketShare,
          ...(targets.maxSceneClusterShare > 0 && { maxSceneClusterShare: targets.maxSceneClusterShare }),
          ...(targets.minBatchNovelty > 0 && { minBatchNovelty: targets.minBatchNovelty }),
        },
        scope.batchId !== undefined,
      ),
    };
  }

  private serialised<T>(key: string, run: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(run, run);
    this.queues.set(key, next);
    const forget = () => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    };
    next.then(forget, forget);
    return next;
  }
}

const countsOf = (doc: CoverageCounterDoc): CoverageCounts => ({
  images: doc.images ?? 0,
  buckets: doc.buckets ?? {},
  clusters: doc.clusters ?? {},
  noveltySum: doc.noveltySum ?? 0,
  newScenes: doc.newScenes ?? 0,
});
