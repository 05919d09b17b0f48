import { BlobNotFoundError } from '@aperture/blob-store';
import {
  imageRecordModel,
  type ImageRecord,
  projectRecordModel,
  type ProjectRecord,
} from '@aperture/persistence';
import { storedPolicy } from '@aperture/policy';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Model } from 'mongoose';
import { BatchesService } from '../batches/batches.service';
import { ApiError } from '../errors';
import { batchModel, type BatchRecord } from '../models';
import { ProjectsService } from '../projects/projects.service';
import { INGEST_DEPS, type IngestDeps } from '../tokens';
import { type BatchView, type ImageView, type ProjectView, toImageView, toProjectView } from '../views';
import { ServiceRepository } from './service.repository';
import { type AuditEntryView, AuditRepository } from './audit.repository';
import {
  afterKey,
  thumbnailKey,
  type Lineage,
  lineageOf,
  type ThresholdCheck,
  thresholdChecks,
  traceIdOf,
  traceUrl,
} from './image-detail';
import type { ConsoleRole } from './session';

/** A batch with where its moving images are: per status (BatchView.counts) and per stage. */
export interface ConsoleBatch extends BatchView {
  processingByStage: Record<string, number>;
}

export interface ImageDetail extends ImageView {
  checks: ThresholdCheck[];
  duplicateOf: string | null;
  lineage: Lineage;
  traceId: string | null;
  traceUrl: string | null;
  /** Whether this session may fetch the raw upload (see session.ts for the rule). */
  canSeeRaw: boolean;
}

export const imageBlobKinds = ['thumbnail', 'after', 'raw'] as const;
export type ImageBlobKind = (typeof imageBlobKinds)[number];

/** How many batches the list shows and streams (newest first). */
const RECENT_BATCHES = 20;

/** The console's reads over the records ingest owns, and its neighbours (audit, annotation, campaigns). */
@Injectable()
export class ConsoleService implements OnModuleDestroy {
  private readonly batchRecords: Model<BatchRecord>;
  private readonly images: Model<ImageRecord>;
  private readonly projectRecords: Model<ProjectRecord>;
  readonly audit: AuditRepository;
  readonly annotation: ServiceRepository;
  readonly campaigns: ServiceRepository;

  constructor(
    @Inject(INGEST_DEPS) private readonly deps: IngestDeps,
    @Inject(BatchesService) private readonly batches: BatchesService,
    @Inject(ProjectsService) private readonly projects: ProjectsService,
  ) {
    this.batchRecords = batchModel(deps.connection);
    this.images = imageRecordModel(deps.connection);
    this.projectRecords = projectRecordModel(deps.connection);
    this.audit = new AuditRepository(deps.config.COMPLIANCE_GRPC_ADDRESS, deps.config.APERTURE_SERVICE_TOKEN);
    const serviceToken = deps.config.APERTURE_SERVICE_TOKEN;
    this.annotation = new ServiceRepository(
      'annotation-router',
      deps.config.ANNOTATION_ROUTER_URL,
      serviceToken,
    );
    this.campaigns = new ServiceRepository('campaigns', deps.config.CAMPAIGNS_URL, serviceToken);
  }

  onModuleDestroy(): void {
    this.audit.close();
  }

  async listProjects(tenantId: string): Promise<ProjectView[]> {
    const rows = await this.projectRecords
      .find({ tenantId })
      .sort({ createdAt: -1 })
      .limit(200)
      .lean<ProjectRecord[]>()
      .exec();
    return rows.map(toProjectView);
  }

  /** The tenant's project (404 for any other). */
  project(tenantId: string, projectId: string): Promise<ProjectRecord> {
    return this.projects.require(tenantId, projectId);
  }

  /** The tenant's newest batches (of one project, when given), with their counts. */
  async listBatches(tenantId: string, projectId?: string): Promise<ConsoleBatch[]> {
    const rows = await this.batchRecords
      .find({ tenantId, ...(projectId && { projectId }) })
      .sort({ createdAt: -1 })
      .limit(RECENT_BATCHES)
      .lean<BatchRecord[]>()
      .exec();
    return Promise.all(rows.map((row) => this.withStages(row)));
  }

  async batch(tenantId: string, batchId: string): Promise<ConsoleBatch> {
    return this.withStages(await this.batches.require(tenantId, batchId));
  }

  /** A batch's view with its processing images per stage, both from its tally. */
  private async withStages(batch: BatchRecord): Promise<ConsoleBatch> {
    const { view, tally } = await this.batches.viewWithTally(batch);
    return { ...view, processingByStage: tally.processingByStage };
  }

  private async record(tenantId: string, imageId: string): Promise<ImageRecord> {
    const record = await this.images.findOne({ _id: imageId, tenantId }).lean<ImageRecord>().exec();
    if (!record) throw ApiError.notFound('image', imageId);
    return record;
  }

  async imageDetail(tenantId: string, imageId: string, role: ConsoleRole): Promise<ImageDetail> {
    const record = await this.record(tenantId, imageId);
    const project = await this.projects.require(tenantId, record.projectId);
    const quality = record.stages['quality'] as { duplicateOf?: string } | undefined;
    const traceId = traceIdOf(record.outbox);
    return {
      ...toImageView(record),
      checks: thresholdChecks(quality, storedPolicy(project.policy).quality),
      duplicateOf: quality?.duplicateOf || null,
      lineage: lineageOf(record.raw.key, record.stages ?? {}),
      traceId,
      traceUrl: traceUrl(this.deps.config.CONSOLE_TRACE_URL_TEMPLATE, traceId),
      canSeeRaw: role === 'client',
    };
  }

  /**
   * An image's bytes: its thumbnail or its "after" (compliance's redacted copies; before them, the
   * standardized ones for clients only), or the raw upload (clients only). Keys are content-addressed or per image and
   * written once, so the key is the entity tag.
   */
  async imageBlob(
    tenantId: string,
    imageId: string,
    kind: ImageBlobKind,
    role: ConsoleRole,
  ): Promise<{ key: string; bytes: Buffer; contentType: string }> {
    if (kind === 'raw' && role !== 'client')
      throw new ApiError('forbidden', 'an annotator session may not see raw uploads');
    const record = await this.record(tenantId, imageId);
    // Blobs are content-addressed and shared by identical uploads of any tenant, so an erased
    // image's bytes (or a raw upload past retention) may still exist for another holder: what
    // decides is this image's record, never whether the bytes can still be read.
    if (record.status === 'erased')
      throw new ApiError('not_found', `image ${JSON.stringify(imageId)} was erased`);
    if (kind === 'raw' && record.rawDeletedAt)
      throw new ApiError(
        'not_found',
        `the raw upload of image ${JSON.stringify(imageId)} was deleted (retention)`,
      );
    const lineage = lineageOf(record.raw.key, record.stages ?? {});
    const key =
      kind === 'raw'
        ? lineage.raw
        : kind === 'thumbnail'
          ? thumbnailKey(lineage, role)
          : afterKey(lineage, role);
    if (!key)
      throw new ApiError(
        'not_found',
        `image ${JSON.stringify(imageId)} has no ${kind} ${role === 'client' ? 'yet' : 'cleared by compliance'}`,
      );
    try {
      const bytes = await this.deps.blobs.get(key);
      return { key, bytes, contentType: contentTypeOf(record, kind) };
    } catch (error) {
      if (error instanceof BlobNotFoundError)
        throw new ApiError('not_found', `the ${kind} of image ${JSON.stringify(imageId)} is gone`);
      throw error;
    }
  }

  async auditTrail(tenantId: string, imageId: string): Promise<AuditEntryView[]> {
    await this.record(tenantId, imageId);
    return this.audit.imageTrail(tenantId, imageId);
  }
}

function contentTypeOf(record: ImageRecord, kind: ImageBlobKind): string {
  if (kind === 'raw') return record.raw.contentType;
  const standardize = (record.stages['standardize'] ?? {}) as Record<
    string,
    { contentType?: string } | undefined
  >;
  const compliance = (record.stages['compliance'] ?? {}) as Record<
    string,
    { contentType?: string } | undefined
  >;
  const type =
    kind === 'thumbnail'
      ? (compliance['clearedThumbnail']?.contentType ?? standardize['thumbnail']?.contentType)
      : (compliance['cleared']?.contentType ?? standardize['derivative']?.contentType);
  return type || 'application/octet-stream';
}
