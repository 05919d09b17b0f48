import { ingestV1, qualityV1, Topics } from '@aperture/contracts';
import { assessImage, deliveredLongSide } from '@aperture/image-quality';
import type { ConsumedMessage, HandlerOutcome } from '@aperture/messaging';
import type { StageCompletion } from '@aperture/persistence';
import {
  completeStage,
  decodeEvent,
  pendingEvent,
  projectNotFound,
  readStageRecord,
  rejection,
  type StageContext,
} from '@aperture/stage-runtime';
import { duplicateScope } from './duplicate-scope';

export const STAGE = 'quality';

/** image.ingested → assess the raw upload → image.qualified, or image.rejected with reasons. */
export async function handleIngested(message: ConsumedMessage, ctx: StageContext): Promise<HandlerOutcome> {
  const { image } = decodeEvent(message.value, ingestV1.ImageIngested);
  const { outcome, record } = await readStageRecord(ctx, image, STAGE);
  if (outcome) return outcome;

  const policy = await ctx.policies.get(image.tenantId, image.projectId);
  if (!policy) return completeStage(ctx, record, STAGE, rejection(image, STAGE, [projectNotFound(image)]));
  if (!image.raw?.key) throw new Error(`image ${image.imageId} has no raw blob`);

  const bytes = await ctx.blobs.get(image.raw.key);
  // The duplicate index is written before the verdict is stored: a redelivery finds this image's
  // own entry, which the index skips, and so reaches the same verdict again.
  const assessment = await assessImage(bytes, policy.quality, duplicateScope(ctx, image), {
    deliveredLongSide: deliveredLongSide(policy.standardize),
  });
  const completion: StageCompletion =
    assessment.accepted && assessment.result
      ? {
          result: assessment.result,
          status: 'processing',
          event: pendingEvent(
            Topics.imageQualified,
            image.imageId,
            qualityV1.ImageQualified.encode({ image, quality: assessment.result }).finish(),
          ),
        }
      : rejection(image, STAGE, assessment.reasons, assessment.result ?? {});
  return completeStage(ctx, record, STAGE, completion);
}
