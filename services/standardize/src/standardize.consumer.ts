import { qualityV1, standardizeV1, Topics } from '@aperture/contracts';
import type { ConsumedMessage, HandlerOutcome } from '@aperture/messaging';
import {
  blobRef,
  completeStage,
  decodeEvent,
  pendingEvent,
  projectNotFound,
  rejection,
  settledOutcome,
  type StageContext,
} from '@aperture/stage-runtime';
import { type Standardized, standardizeImage } from './domain/standardize';

export const STAGE = 'standardize';

/** image.qualified → derivative in the project's output spec, stored → image.standardized. */
export async function handleQualified(message: ConsumedMessage, ctx: StageContext): Promise<HandlerOutcome> {
  const event = decodeEvent(message.value, qualityV1.ImageQualified);
  const { image } = event;
  const settled = await settledOutcome(ctx, image.imageId, STAGE);
  if (settled) return settled;

  const policy = await ctx.policies.get(image.tenantId, image.projectId);
  if (!policy)
    return completeStage(ctx, image.imageId, STAGE, rejection(image, STAGE, [projectNotFound(image)]));
  if (!image.raw?.key) throw new Error(`image ${image.imageId} has no raw blob`);

  const raw = await ctx.blobs.get(image.raw.key);
  let standardized: Standardized;
  try {
    standardized = await standardizeImage(raw, policy.standardize);
  } catch (error) {
    // Quality decoded it, so this is rare; it is still the image's fault, not a reason to retry.
    const reason = { code: 'corrupt', message: `the image could not be standardized: ${String(error)}` };
    return completeStage(ctx, image.imageId, STAGE, rejection(image, STAGE, [reason]));
  }

  // Written before the record: a redelivery after a crash overwrites the same key.
  const stored = await ctx.blobs.put(
    `derived/${image.imageId}/standardized.${standardized.extension}`,
    standardized.bytes,
    standardized.contentType,
  );
  const result: standardizeV1.StandardizeResult = {
    derivative: blobRef(stored, standardized.contentType),
    ...standardized.result,
  };
  return completeStage(ctx, image.imageId, STAGE, {
    result,
    status: 'processing',
    event: pendingEvent(
      Topics.imageStandardized,
      image.imageId,
      standardizeV1.ImageStandardized.encode({ image, quality: event.quality, standardize: result }).finish(),
    ),
  });
}
