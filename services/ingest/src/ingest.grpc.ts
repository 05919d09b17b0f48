import { commonV1, ingestV1, qualityV1 } from '@aperture/contracts';
import { callerOf, grpcStatusOf, unary } from '@aperture/runtime';
import type { Caller } from '@aperture/stage-runtime';
import type { Logger } from '@aperture/telemetry';
import * as grpc from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { PassThrough } from 'node:stream';
import { BatchesService } from './batches/batches.service';
import { ApiError } from './errors';
import { imageConsentIds, ImagesService } from './images/images.service';
import { INGEST_DEPS, type IngestDeps } from './tokens';
import type { BatchView, ImageView, VerdictView } from './views';

export const INGEST_GRPC_SERVICE_NAME = 'aperture.ingest.v1.IngestService';

const batchStates: Record<BatchView['state'], ingestV1.BatchState> = {
  open: ingestV1.BatchState.BATCH_STATE_OPEN,
  closed: ingestV1.BatchState.BATCH_STATE_CLOSED,
  complete: ingestV1.BatchState.BATCH_STATE_COMPLETE,
};

const imageStatuses: Record<ImageView['status'], ingestV1.ImageStatus> = {
  processing: ingestV1.ImageStatus.IMAGE_STATUS_PROCESSING,
  pending_annotation: ingestV1.ImageStatus.IMAGE_STATUS_PENDING_ANNOTATION,
  curated: ingestV1.ImageStatus.IMAGE_STATUS_CURATED,
  rejected: ingestV1.ImageStatus.IMAGE_STATUS_REJECTED,
  erased: ingestV1.ImageStatus.IMAGE_STATUS_ERASED,
};

export function toGrpcBatch(batch: BatchView): ingestV1.Batch {
  return {
    batchId: batch.batchId,
    projectId: batch.projectId,
    state: batchStates[batch.state],
    counts: {
      uploaded: batch.counts.uploaded,
      processing: batch.counts.processing,
      pendingAnnotation: batch.counts.pendingAnnotation,
      curated: batch.counts.curated,
      rejected: batch.counts.rejected,
      erased: batch.counts.erased,
      rejectedByReason: Object.entries(batch.counts.rejectedByReason).map(([code, count]) => ({
        code,
        count,
      })),
    },
    declarations: { region: batch.declarations.region, consentIds: batch.declarations.consentIds },
    createdAt: batch.createdAt,
    closedAt: batch.closedAt ?? '',
    content: batch.content,
  };
}

export function toGrpcImage(image: ImageView): ingestV1.Image {
  return {
    imageId: image.imageId,
    batchId: image.batchId,
    projectId: image.projectId,
    filename: image.filename,
    status: imageStatuses[image.status],
    stage: image.stage,
    reasons: image.reasons,
    raw: {
      key: image.raw.key,
      contentType: image.raw.contentType,
      sizeBytes: String(image.raw.sizeBytes),
      checksum: { algorithm: commonV1.Checksum_Algorithm.ALGORITHM_SHA256, hex: image.raw.sha256 },
    },
    receivedAt: image.receivedAt,
    stageResultsJson: Object.fromEntries(
      Object.entries(image.stages).map(([stage, result]) => [stage, JSON.stringify(result)]),
    ),
  };
}

/** The synchronous verdict as quality's AssessResponse. */
export function toGrpcVerdict(verdict: VerdictView): qualityV1.AssessResponse {
  return {
    accepted: verdict.accepted,
    reasons: verdict.reasons,
    ...(verdict.result !== undefined && { result: qualityV1.QualityResult.fromJSON(verdict.result) }),
  };
}

/**
 * IngestService over gRPC: the same services as the REST controllers, the tenant from the metadata
 * header "x-api-key" (checked, with the tenant's rate limit, before a method runs: ingestStage), ApiErrors mapped to status codes (INVALID_ARGUMENT, UNAUTHENTICATED,
 * NOT_FOUND, FAILED_PRECONDITION for a closed batch, RESOURCE_EXHAUSTED for too large, ...).
 */
@Injectable()
export class IngestGrpcService {
  private readonly log: Logger;

  constructor(
    @Inject(INGEST_DEPS) deps: IngestDeps,
    @Inject(BatchesService) private readonly batches: BatchesService,
    @Inject(ImagesService) private readonly images: ImagesService,
  ) {
    this.log = deps.log;
  }

  implementation(): ingestV1.IngestServiceServer {
    return {
      createBatch: this.keyed('CreateBatch', async (tenantId, request) => {
        const { batch } = await this.batches.create(tenantId, {
          projectId: required(request.projectId, 'project_id'),
          idempotencyKey: request.idempotencyKey === '' ? undefined : request.idempotencyKey,
          declarations: request.declarations,
        });
        return { batch: toGrpcBatch(batch) };
      }),
      closeBatch: this.keyed('CloseBatch', async (tenantId, request) => ({
        batch: toGrpcBatch(await this.batches.close(tenantId, required(request.batchId, 'batch_id'))),
      })),
      getBatch: this.keyed('GetBatch', async (tenantId, request) => ({
        batch: toGrpcBatch(await this.batches.get(tenantId, required(request.batchId, 'batch_id'))),
      })),
      getImage: this.keyed('GetImage', async (tenantId, request) => ({
        image: toGrpcImage(await this.images.get(tenantId, required(request.imageId, 'image_id'))),
      })),
      uploadImage: (call, callback) => this.uploadImage(call, callback),
    };
  }

  /** A unary method of the tenant whose API key the metadata carries. */
  private keyed<Req, Res>(
    method: string,
    work: (tenantId: string, request: Req) => Promise<Res>,
  ): grpc.handleUnaryCall<Req, Res> {
    return unary(this.log, method, async (call) => work(tenantOf(call), call.request));
  }

  /**
   * Client stream: the first message is the metadata, the following ones the bytes. The chunks go
   * through a PassThrough into the blob store with backpressure (the call is paused while the
   * store catches up), so an upload is never held whole in memory.
   */
  private uploadImage(
    call: grpc.ServerReadableStream<ingestV1.UploadImageRequest, ingestV1.UploadImageResponse>,
    callback: grpc.sendUnaryData<ingestV1.UploadImageResponse>,
  ): void {
    const callContext = context.active();
    const bytes = new PassThrough();
    // A call that errors or is cancelled before the blob store reads `bytes` (authentication, the
    // campaign check) destroys it with an error no one listens to yet: without this listener it
    // would be unhandled. The store still sees the failure (it checks the stream's state).
    bytes.on('error', () => undefined);
    let answered = false;
    let started = false;
    const answer = (error: unknown, response?: ingestV1.UploadImageResponse) => {
      if (answered) return;
      answered = true;
      if (error !== null) {
        callback(grpcStatusOf(error, this.log, 'UploadImage'));
        // Stop reading: whatever the client still sends is not wanted.
        bytes.destroy();
        call.removeAllListeners('data');
        call.resume();
      } else callback(null, response);
    };
    const begin = (metadata: ingestV1.UploadImageMetadata) => {
      started = true;
      const work = async () => {
        const batch = await this.batches.requireOpen(tenantOf(call), required(metadata.batchId, 'batch_id'));
        const collectorToken = call.metadata.get('x-collector-token')[0]?.toString() ?? '';
        const image = await context.with(callContext, () =>
          this.images.upload(batch, metadata.filename, bytes, {
            ...(metadata.campaignId.trim() !== '' && {
              campaign: {
                campaignId: metadata.campaignId.trim(),
                collectorToken,
                category: metadata.category.trim(),
                setting: metadata.setting.trim(),
                tags: metadata.tags.map((tag) => tag.trim()).filter((tag) => tag !== ''),
              },
            }),
            syncVerdict: metadata.syncVerdict,
            consentIds: imageConsentIds(metadata.consentIds),
          }),
        );
        return { image: toGrpcImage(image), ...(image.verdict && { verdict: toGrpcVerdict(image.verdict) }) };
      };
      work().then(
        (response) => answer(null, response),
        (error: unknown) => answer(error),
      );
    };

    call.on('data', (message: ingestV1.UploadImageRequest) => {
      if (answered) return;
      const part = message.part;
      if (!started) {
        if (part?.$case !== 'metadata') {
          answer(ApiError.invalid('the first message of UploadImage must carry the metadata'));
          return;
        }
        begin(part.value);
        return;
      }
      if (part?.$case !== 'chunk') {
        answer(ApiError.invalid('after the metadata, UploadImage messages must carry chunks'));
        return;
      }
      if (!bytes.write(part.value)) {
        call.pause();
        bytes.once('drain', () => call.resume());
      }
    });
    call.on('end', () => {
      if (!started) answer(ApiError.invalid('UploadImage received no metadata'));
      else bytes.end();
    });
    call.on('error', (error) => {
      bytes.destroy(error);
    });
    call.on('cancelled', () => {
      bytes.destroy(new Error('the client cancelled the upload'));
    });
  }
}

/** The tenant of a call, authenticated by the skeleton before its handler runs (ingestStage's access). */
function tenantOf(call: object): string {
  return callerOf<Caller>(call).tenantId;
}

function required(value: string, field: string): string {
  if (value.trim() === '') throw ApiError.invalid(`${field} is required`);
  return value;
}
