import { complianceV1, Topics } from '@aperture/contracts';
import type { ConsumedMessage, HandlerOutcome } from '@aperture/messaging';
import {
  completeStage,
  decodeEvent,
  pendingEvent,
  projectNotFound,
  readStageRecord,
  rejection,
  type StageContext,
} from '@aperture/stage-runtime';
import { curatedEvent, imageSize } from './curated';
import { TaskQueue } from './queue';

export const STAGE = 'annotation-router';

/**
 * image.cleared → image.curated at once when the project needs no annotation; otherwise its
 * `overlap` tasks and status pending_annotation (no event until an annotation is accepted).
 */
export async function handleCleared(message: ConsumedMessage, ctx: StageContext): Promise<HandlerOutcome> {
  const cleared = decodeEvent(message.value, complianceV1.ImageCleared);
  const { image } = cleared;
  const { outcome, record } = await readStageRecord(ctx, image, STAGE);
  if (outcome) return outcome;

  const policy = await ctx.policies.get(image.tenantId, image.projectId);
  if (!policy) return completeStage(ctx, record, STAGE, rejection(image, STAGE, [projectNotFound(image)]));
  const output = cleared.compliance?.cleared;
  if (!output?.key) throw new Error(`image ${image.imageId} has no cleared derivative`);

  if (!policy.annotation.required) {
    return completeStage(ctx, record, STAGE, {
      result: { routed: 'curated' },
      status: 'curated',
      event: pendingEvent(Topics.imageCurated, image.imageId, curatedEvent(cleared, { policy })),
    });
  }
  const size = imageSize(cleared);
  if (size.width === 0 || size.height === 0) throw new Error(`image ${image.imageId} has no dimensions`);
  // Tasks first (idempotent: deterministic ids), then the record: a crash between the two is
  // repaired by the redelivery.
  const taskIds = await new TaskQueue(ctx).createTasks(cleared, policy);
  return completeStage(ctx, record, STAGE, {
    result: { routed: 'annotation', taskIds, taskType: policy.annotation.taskType, overlap: taskIds.length },
    status: 'pending_annotation',
  });
}
