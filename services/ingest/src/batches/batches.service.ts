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
import { batchCounts } from '../domain/batch-status';
import type { BatchTally } from '../domain/batch-tally';
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

/** Batches: creation (idempotent by key), closing, and status from the batch's tallies. */
@Injectable()
export class BatchesService {
  private readonly batches: Model<BatchRecord>;
  private readonly images: Model<ImageRecord>;
  private readonly coverage: CoverageCounters;
  /** The record counts in progress, by batch (countAccepted). */
  private readonly counting = new Map<string, Promise<number>>();

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
        tallied: true,
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

  /**
   * The batch's counts: from its tallies (BatchTallies: one query for a few small documents, whatever
   * the batch's size), or, for a batch stored before the tallies existed, counted from its records.
   */
  private tally(batch: BatchRecord): Promise<BatchTally> {
    return batch.tallied ? this.deps.tallies.batch(batch._id) : this.countRecords(batch.tenantId, batch._id);
  }

  /**
   * Whether the tallies count every image the batch accepted. Asked only of a closed batch with
   * nothing processing in its tallies: the records are counted once then (and the number kept), so
   * that a tally consumer that is behind does not make the batch look complete.
   */
  private async countedAll(batch: BatchRecord, tally: BatchTally): Promise<boolean> {
    if (!batch.tallied || batch.state !== 'closed' || (tally.byStatus.processing ?? 0) > 0) return true;
    const accepted = batch.accepted ?? (await this.countAccepted(batch));
    return tally.uploaded >= accepted;
  }

  /**
   * Counts the batch's records once and keeps the number in the batch. The count reads the whole
   * batch on FerretDB (seconds at 10,000 images), so the requests that need it meanwhile (a client
   * and the console polling the batch) share one count instead of starting their own.
   */
  private countAccepted(batch: BatchRecord): Promise<number> {
    let counting = this.counting.get(batch._id);
    if (!counting) {
      counting = (async () => {
        const accepted = await this.images
          .countDocuments({ tenantId: batch.tenantId, batchId: batch._id })
          .exec();
        await this.batches.updateOne({ _id: batch._id }, { $set: { accepted } }).exec();
        return accepted;
      })().finally(() => this.counting.delete(batch._id));
      this.counting.set(batch._id, counting);
    }
    return counting;
  }

  /** The batch as clients see it, and the tally its counts come from. */
  async viewWithTally(batch: BatchRecord): Promise<{ view: BatchView; tally: BatchTally }> {
    const [tally, content] = await Promise.all([this.tally(batch), this.content(batch)]);
    const view = toBatchView(batch, batchCounts(tally), content, await this.countedAll(batch, tally));
    return { view, tally };
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

  private async view(batch: BatchRecord): Promise<BatchView> {
    return (await this.viewWithTally(batch)).view;
  }

  /** Counts per status (one countDocuments each), reasons and stages: batches from before the tallies. */
  private async countRecords(tenantId: string, batchId: string): Promise<BatchTally> {
    const scope = { tenantId, batchId };
    const [uploaded, ...perStatus] = await Promise.all([
      this.images.countDocuments(scope).exec(),
      ...IMAGE_STATUSES.map((status) => this.images.countDocuments({ ...scope, status }).exec()),
    ]);
    const byStatus: Partial<Record<ImageStatus, number>> = {};
    IMAGE_STATUSES.forEach((status, index) => (byStatus[status] = perStatus[index] ?? 0));
    const group = async (status: ImageStatus, field: string, count: number) => {
      const groups =
        count === 0
          ? []
          : await this.images
              .aggregate<{ _id: string; count: number }>([
                { $match: { ...scope, status } },
                ...(field === 'reasons.code' ? [{ $unwind: '$reasons' }] : []),
                { $group: { _id: `$${field}`, count: { $sum: 1 } } },
              ])
              .exec();
      return Object.fromEntries(groups.map(({ _id, count: n }) => [String(_id), n]));
    };
    return {
      uploaded: uploaded ?? 0,
      byStatus,
      processingByStage: await group('processing', 'stage', byStatus.processing ?? 0),
      rejectedByReason: await group('rejected', 'reasons.code', byStatus.rejected ?? 0),
      // Such a batch's list is read by the query of before (ImagesService.list), not by bucket.
      buckets: [],
    };
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
