import { Topics } from '@aperture/contracts';
import { assessImage, deliveredLongSide } from '@aperture/image-quality';
import { next, reject, type StageHandler } from '@aperture/stage-runtime';
import type { QualityContext } from './duplicate-scope';

export const STAGE = 'quality';

/** image.ingested → assess the raw upload → image.qualified, or image.rejected with reasons. */
export const qualityHandler: StageHandler<typeof Topics.imageIngested, QualityContext> = {
  stage: STAGE,
  topic: Topics.imageIngested,
  async process({ image }, _record, policy, ctx) {
    // The duplicate index is written before the verdict is stored: a redelivery finds this image's
    // own entry, which the index skips, and so reaches the same verdict again.
    const assessment = await assessImage(await ctx.raw(), policy.quality, ctx.duplicateScope(image), {
      deliveredLongSide: deliveredLongSide(policy.standardize),
    });
    return assessment.accepted && assessment.result
      ? next(Topics.imageQualified, { image, quality: assessment.result }, assessment.result)
      : reject(assessment.reasons, assessment.result ?? {});
  },
};
