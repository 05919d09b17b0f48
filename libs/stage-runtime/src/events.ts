import type { StoredBlob } from '@aperture/blob-store';
import { trace } from '@opentelemetry/api';
import { commonV1, Topics } from '@aperture/contracts';
import { type HandlerOutcome, traceHeaders } from '@aperture/messaging';
import { isSettledStatus, type PendingEvent, type StageCompletion } from '@aperture/persistence';
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

/**
 * What to answer without doing the work again: 'duplicate' when the stage already ran for the image
 * (a redelivery) or the image is terminal; 'skipped' when no record exists (an event of another
 * database, e.g. a test run on the shared topics: retrying cannot help, so it is logged and left),
 * or when the event's tenant or project is not the record's (a forged or misrouted event: it would
 * make the stage judge one tenant's image by another's policy, or publish it under another tenant,
 * so it is refused with an error log naming both, and the record is left untouched; retrying or
 * dead-lettering cannot make it right, and the log and the `skipped` outcome metric are the trail);
 * null when the stage has work to do.
 */
export async function settledOutcome(
  ctx: StageContext,
  image: Pick<commonV1.ImageContext, 'imageId' | 'tenantId' | 'projectId'>,
  stage: string,
): Promise<'duplicate' | 'skipped' | null> {
  const { imageId } = image;
  const record = await ctx.pipeline.records.get(imageId);
  if (!record) {
    ctx.log.warn({ imageId, stage }, 'no image record for this event; skipped');
    return 'skipped';
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
    return 'skipped';
  }
  const done = record.stages[stage] !== undefined || isSettledStatus(record.status);
  return done ? 'duplicate' : null;
}

/** Writes the stage's result and event in one update, then wakes the outbox relay. */
export async function completeStage(
  ctx: StageContext,
  imageId: string,
  stage: string,
  completion: StageCompletion,
): Promise<HandlerOutcome> {
  const outcome = await ctx.pipeline.records.completeStage(imageId, stage, completion);
  if (outcome === 'duplicate') return 'duplicate';
  ctx.pipeline.relay.kick(imageId);
  return 'done';
}
