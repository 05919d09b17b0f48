import { contentAddressedKey, type StoredBlob } from '@aperture/blob-store';
import { qualityV1, standardizeV1, Topics } from '@aperture/contracts';
import type { ConsumedMessage, HandlerOutcome } from '@aperture/messaging';
import {
  blobRef,
  completeStage,
  decodeEvent,
  pendingEvent,
  projectNotFound,
  readStageRecord,
  rejection,
  type StageContext,
} from '@aperture/stage-runtime';
import { type Standardized, standardizeImage, StandardizeRefused } from '@aperture/standardization';
import { createHash } from 'node:crypto';

export const STAGE = 'standardize';

/**
 * image.qualified → derivative and thumbnail in the project's output spec, stored under
 * content-addressed keys → image.standardized, whose result carries the derivative's checksum,
 * size, dimensions and the operations applied (lineage).
 */
export async function handleQualified(message: ConsumedMessage, ctx: StageContext): Promise<HandlerOutcome> {
  const event = decodeEvent(message.value, qualityV1.ImageQualified);
  const { image } = event;
  const { outcome, record } = await readStageRecord(ctx, image, STAGE);
  if (outcome) return outcome;

  const policy = await ctx.policies.get(image.tenantId, image.projectId);
  if (!policy) return completeStage(ctx, record, STAGE, rejection(image, STAGE, [projectNotFound(image)]));
  if (!image.raw?.key) throw new Error(`image ${image.imageId} has no raw blob`);

  const raw = await ctx.blobs.get(image.raw.key);
  let standardized: Standardized;
  try {
    standardized = await standardizeImage(raw, policy.standardize);
  } catch (error) {
    // The image's own fault (quality decoded it, so this is rare), not a reason to retry.
    const reason =
      error instanceof StandardizeRefused
        ? { code: error.code, message: error.message }
        : { code: 'corrupt', message: `the image could not be standardized: ${String(error)}` };
    return completeStage(ctx, record, STAGE, rejection(image, STAGE, [reason]));
  }

  // Written before the record, content-addressed: a redelivery or a re-run finds them in place.
  const derivative = await storeOnce(ctx, 'derived', standardized.bytes, standardized.contentType);
  const thumbnail =
    standardized.thumbnail &&
    (await storeOnce(ctx, 'thumbnails', standardized.thumbnail.bytes, standardized.contentType));
  const result: standardizeV1.StandardizeResult = {
    ...standardized.result,
    derivative: blobRef(derivative, standardized.contentType),
    ...(thumbnail && { thumbnail: blobRef(thumbnail, standardized.contentType) }),
  };
  return completeStage(ctx, record, STAGE, {
    result,
    status: 'processing',
    event: pendingEvent(
      Topics.imageStandardized,
      image.imageId,
      standardizeV1.ImageStandardized.encode({ image, quality: event.quality, standardize: result }).finish(),
    ),
  });
}

/** Stores bytes under their content-addressed key unless that key already holds them. */
async function storeOnce(
  ctx: StageContext,
  prefix: string,
  bytes: Buffer,
  contentType: string,
): Promise<StoredBlob> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = contentAddressedKey(prefix, sha256);
  if (await ctx.blobs.exists(key)) return { key, sizeBytes: bytes.length, sha256, contentType };
  return ctx.blobs.put(key, bytes, contentType);
}
