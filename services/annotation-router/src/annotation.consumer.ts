import { Topics } from '@aperture/contracts';
import { hold, next, retry, type StageHandler } from '@aperture/stage-runtime';
import { curatedRecord, imageSize } from './curated';
import type { AnnotationContext } from './queue';

export const STAGE = 'annotation-router';

/**
 * image.cleared → image.curated at once when the project needs no annotation; otherwise its
 * `overlap` tasks and status pending_annotation (no event until an annotation is accepted).
 */
export const annotationHandler: StageHandler<typeof Topics.imageCleared, AnnotationContext> = {
  stage: STAGE,
  topic: Topics.imageCleared,
  async process(cleared, _record, policy, ctx) {
    const { image } = cleared;
    if (!cleared.compliance?.cleared?.key) return retry(`image ${image.imageId} has no cleared derivative`);
    if (!policy.annotation.required)
      return next(Topics.imageCurated, curatedRecord(cleared, { policy }), { routed: 'curated' }, 'curated');

    const size = imageSize(cleared);
    if (size.width === 0 || size.height === 0) return retry(`image ${image.imageId} has no dimensions`);
    // Tasks first (idempotent: deterministic ids), then the record: a crash between the two is
    // repaired by the redelivery.
    const taskIds = await ctx.queue.createTasks(cleared, policy);
    return hold(
      { routed: 'annotation', taskIds, taskType: policy.annotation.taskType, overlap: taskIds.length },
      'pending_annotation',
    );
  },
};
