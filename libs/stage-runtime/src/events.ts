import type { StoredBlob } from '@aperture/blob-store';
import { trace } from '@opentelemetry/api';
import { commonV1, Topics } from '@aperture/contracts';
import { type HandlerOutcome, traceHeaders } from '@aperture/messaging';
import {
  type ImageRecord,
  isSettledStatus,
  type PendingEvent,
  type RecordSeen,
  type StageCompletion,
} from '@aperture/persistence';
import type { StageContext } from './run-stage';

/**
 * A protobuf payload from a consumed message; throws (and so dead-letters) if it is missing or
 * malformed. Names the image's tenant, project and batch on the active (consumer) span.
 */
export function decodeEvent<T extends { image?: commonV1.ImageContext | undefined }>(
  value: Buffer | null,
  type: { decode(input: Uint8Array): T },
): T & { image: commonV1.ImageContext } {
  if (!value) throw new Error('message has no value');
  const event = type.decode(value);
  if (!event.image?.imageId) throw new Error('event carries no image context');
  // The consumer span (messaging) knows the image id from the key; the rest is in the payload.
  trace.getActiveSpan()?.setAttributes({
    'aperture.tenant_id': event.image.tenantId,
    'aperture.project_id': event.image.projectId,
    'aperture.batch_id': event.image.batchId,
  });
  return event as T & { image: commonV1.ImageContext };
}

/** An outbox event keyed by image id, with the W3C trace context of the current span. */
export function pendingEvent(topic: string, imageId: string, payload: Uint8Array): PendingEvent {
  return { topic, key: imageId, payload: Buffer.from(payload), headers: traceHeaders() };
}

/** A stage's terminal refusal: status 'rejected' with its reasons and an ImageRejected event. */
export function rejection(
  image: commonV1.ImageContext,
  stage: string,
  reasons: commonV1.Reason[],
  result: unknown = {},
): StageCompletion {
  const rejected: commonV1.ImageRejected = { image, stage, reasons, rejectedAt: new Date().toISOString() };
  return {
    result,
    status: 'rejected',
    reasons: reasons.map(({ code, message }) => ({ code, message })),
    event: pendingEvent(
      Topics.imageRejected,
      image.imageId,
      commonV1.ImageRejected.encode(rejected).finish(),
    ),
  };
}

export const projectNotFound = (image: commonV1.ImageContext): commonV1.Reason => ({
  code: 'project_not_found',
  message: `project ${image.projectId} does not exist for tenant ${image.tenantId}`,
});

/** The protobuf BlobRef of a stored blob. */
export function blobRef(stored: StoredBlob, contentType: string): commonV1.BlobRef {
  return {
    key: stored.key,
    contentType,
    sizeBytes: String(stored.sizeBytes),
    checksum: { algorithm: commonV1.Checksum_Algorithm.ALGORITHM_SHA256, hex: stored.sha256 },
  };
}

/** The stage's one read of its record: the outcome to answer at once, or the record to work on. */
export type StageStart =
  | { outcome: 'duplicate'; record: ImageRecord }
  | { outcome: 'skipped'; record?: undefined }
  | { outcome: null; record: ImageRecord };

/**
 * Reads the image's record once, and says what to answer without doing the work again:
 * 'duplicate' when the stage already ran for the image (a redelivery) or the image is terminal;
 * 'skipped' when no record exists (an event of another database, e.g. a test run on the shared
 * topics: retrying cannot help, so it is logged and left), or when the event's tenant or project is
 * not the record's (a forged or misrouted event: it would make the stage judge one tenant's image by
 * another's policy, or publish it under another tenant, so it is refused with an error log naming
 * both, and the record is left untouched; retrying or dead-lettering cannot make it right, and the
 * log and the `skipped` outcome metric are the trail); null with the record when the stage has work
 * to do (hand the record to completeStage, which then reads nothing).
 */
export async function readStageRecord(
  ctx: StageContext,
  image: Pick<commonV1.ImageContext, 'imageId' | 'tenantId' | 'projectId'>,
  stage: string,
): Promise<StageStart> {
  const { imageId } = image;
  const record = await ctx.pipeline.records.get(imageId);
  if (!record) {
    ctx.log.warn({ imageId, stage }, 'no image record for this event; skipped');
    return { outcome: 'skipped' };
  }
  if (record.tenantId !== image.tenantId || record.projectId !== image.projectId) {
    ctx.log.error(
      {
        imageId,
        stage,
        reason: 'tenant_mismatch',
        eventTenantId: image.tenantId,
        eventProjectId: image.projectId,
        recordTenantId: record.tenantId,
        recordProjectId: record.projectId,
      },
      "the event's tenant or project is not the image record's; skipped",
    );
    return { outcome: 'skipped' };
  }
  const done = record.stages[stage] !== undefined || isSettledStatus(record.status);
  return done ? { outcome: 'duplicate', record } : { outcome: null, record };
}

/**
 * Writes the stage's result and event in one update and publishes the event. `image` is the record
 * as readStageRecord read it (nothing is read again), or an image id (the record is read first).
 */
export async function completeStage(
  ctx: StageContext,
  image: string | RecordSeen,
  stage: string,
  completion: StageCompletion,
): Promise<HandlerOutcome> {
  const outcome =
    typeof image === 'string'
      ? await ctx.pipeline.records.completeStage(image, stage, completion)
      : await ctx.pipeline.records.completeStage(image._id, stage, completion, image);
  return outcome === 'duplicate' ? 'duplicate' : 'done';
}
