import {
  CoverageCounters,
  DuplicateKeyError,
  imageRecordModel,
  type ImageRecord,
  type ImageStatus,
} from '@aperture/persistence';
import { storedPolicy } from '@aperture/policy';
import { Inject, Injectable } from '@nestjs/common';
import type { Model } from 'mongoose';
import { batchCounts, type BatchCounts } from '../domain/batch-status';
import { newId } from '../domain/ids';
import { IMAGE_STATUSES } from '../domain/pagination';
import { ApiError } from '../errors';
import { batchModel, type BatchRecord, idempotencyScope } from '../models';
import { ProjectsService } from '../projects/projects.service';
import { INGEST_DEPS, type IngestDeps } from '../tokens';
import { type BatchContentView, type BatchView, toBatchView } from '../views';

export interface NewBatch {
  projectId: string;
  idempotencyKey?: string | undefined;
  declarations?: { region?: string | undefined; consentIds?: string[] | undefined } | undefined;
}

/** Batches: creation (idempotent by key), closing, and status computed from the images collection. */
@Injectable()
export class BatchesService {
  private readonly batches: Model<BatchRecord>;
  private readonly images: Model<ImageRecord>;
  private readonly coverage: CoverageCounters;

  constructor(
    @Inject(INGEST_DEPS) private readonly deps: IngestDeps,
    @Inject(ProjectsService) private readonly projects: ProjectsService,
  ) {
    this.batches = batchModel(deps.connection);
    this.images = imageRecordModel(deps.connection);
    this.coverage = new CoverageCounters(deps.connection);
  }

  /**
   * Opens a batch, or, for an idempotency key the tenant used before, returns that batch again
   * (`created: false`). Reusing a key for a different project or declarations is a conflict.
   */
  async create(tenantId: string, input: NewBatch): Promise<{ batch: BatchView; created: boolean }> {
    await this.projects.require(tenantId, input.projectId);
    const key = input.idempotencyKey ?? null;
    const declarations = {
      region: input.declarations?.region ?? '',
      consentIds: [...(input.declarations?.consentIds ?? [])],
    };
    if (key !== null) {
      const existing = await this.findByKey(tenantId, key);
      if (existing)
        return {
          batch: await this.view(this.sameRequest(existing, input.projectId, declarations)),
          created: false,
        };
    }
    const batchId = newId('bat');
    try {
      const created = await this.batches.create({
        _id: batchId,
        tenantId,
        projectId: input.projectId,
        idempotencyKey: key,
        idempotencyScope: idempotencyScope(tenantId, batchId, key),
        declarations,
        state: 'open',
        createdAt: new Date(),
        closedAt: null,
      });
      this.deps.log.info({ tenantId, batchId, projectId: input.projectId }, 'batch opened');
      return { batch: await this.view(created.toObject()), created: true };
    } catch (error) {
      // Two requests with the same key at once: the other one won; answer with its batch.
      if (error instanceof DuplicateKeyError && key !== null) {
        const existing = await this.findByKey(tenantId, key);
        if (existing)
          return {
            batch: await this.view(this.sameRequest(existing, input.projectId, declarations)),
            created: false,
          };
      }
      throw error;
    }
  }

  /** The tenant's batch; another tenant's is "not found". */
  async require(tenantId: string, batchId: string): Promise<BatchRecord> {
    const batch = await this.batches.findOne({ _id: batchId, tenantId }).lean<BatchRecord>().exec();
    if (!batch) throw ApiError.notFound('batch', batchId);
    return batch;
  }

  /** The tenant's batch, if it still takes uploads; batch_closed otherwise. */
  async requireOpen(tenantId: string, batchId: string): Promise<BatchRecord> {
    const batch = await this.require(tenantId, batchId);
    if (batch.state !== 'open')
      throw new ApiError('batch_closed', `batch ${JSON.stringify(batchId)} is closed`);
    return batch;
  }

  async get(tenantId: string, batchId: string): Promise<BatchView> {
    return this.view(await this.require(tenantId, batchId));
  }

  /** Closes the batch (no more uploads). Closing a closed batch is not an error. */
  async close(tenantId: string, batchId: string): Promise<BatchView> {
    await this.require(tenantId, batchId);
    const update = await this.batches
      .updateOne(
        { _id: batchId, tenantId, state: 'open' },
        { $set: { state: 'closed', closedAt: new Date() } },
      )
      .exec();
    if (update.modifiedCount === 1) this.deps.log.info({ tenantId, batchId }, 'batch closed');
    return this.get(tenantId, batchId);
  }

  /** Counts per status (one countDocuments each) and rejected images per reason code. */
  async counts(tenantId: string, batchId: string): Promise<BatchCounts> {
    const scope = { tenantId, batchId };
    const [uploaded, ...perStatus] = await Promise.all([
      this.images.countDocuments(scope).exec(),
      ...IMAGE_STATUSES.map((status) => this.images.countDocuments({ ...scope, status }).exec()),
    ]);
    const byStatus: Partial<Record<ImageStatus, number>> = {};
    IMAGE_STATUSES.forEach((status, index) => (byStatus[status] = perStatus[index] ?? 0));
    const reasons =
      (byStatus.rejected ?? 0) === 0
        ? []
        : await this.images
            .aggregate<{ _id: string; count: number }>([
              { $match: { ...scope, status: 'rejected' } },
              { $unwind: '$reasons' },
              { $group: { _id: '$reasons.code', count: { $sum: 1 } } },
            ])
            .exec();
    return batchCounts(
      byStatus,
      uploaded ?? 0,
      reasons.map((reason) => ({ code: String(reason._id), count: reason.count })),
    );
  }

  private async view(batch: BatchRecord): Promise<BatchView> {
    const [counts, content] = await Promise.all([
      this.counts(batch.tenantId, batch._id),
      this.content(batch),
    ]);
    return toBatchView(batch, counts, content);
  }

  /**
   * The batch's content coverage (the counter document compliance adds each cleared image to, read
   * by its id) against its project's content targets.
   */
  private async content(batch: BatchRecord): Promise<BatchContentView> {
    const project = await this.projects.require(batch.tenantId, batch.projectId);
    const { coverage, targets } = await this.coverage.checked(
      { tenantId: batch.tenantId, projectId: batch.projectId, batchId: batch._id },
      storedPolicy(project.policy).dataset,
    );
    return { images: coverage.images, targets };
  }

  private findByKey(tenantId: string, key: string): Promise<BatchRecord | null> {
    return this.batches
      .findOne({ idempotencyScope: idempotencyScope(tenantId, '', key), tenantId })
      .lean<BatchRecord>()
      .exec();
  }

  private sameRequest(
    existing: BatchRecord,
    projectId: string,
    declarations: { region: string; consentIds: string[] },
  ): BatchRecord {
    const same =
      existing.projectId === projectId &&
      existing.declarations.region === declarations.region &&
      JSON.stringify(existing.declarations.consentIds) === JSON.stringify(declarations.consentIds);
    if (!same) {
      throw new ApiError(
        'conflict',
        `idempotency key ${JSON.stringify(existing.idempotencyKey)} was used for a different batch request`,
      );
    }
    return existing;
  }
}
