import { randomBytes } from 'node:crypto';
import { complianceV1, curatedV1, Topics } from '@aperture/contracts';
import type { ConsumedMessage, HandlerOutcome } from '@aperture/messaging';
import { DuplicateKeyError } from '@aperture/persistence';
import {
  completeStage,
  decodeEvent,
  pendingEvent,
  projectNotFound,
  rejection,
  settledOutcome,
  type StageContext,
} from '@aperture/stage-runtime';
import { taskModel } from './tasks.model';

export const STAGE = 'annotation-router';

/** The curated event of a cleared image: the output is the cleared derivative. */
export function curatedEvent(cleared: complianceV1.ImageCleared, annotationJson: string): Uint8Array {
  return curatedV1.ImageCurated.encode({
    image: cleared.image,
    quality: cleared.quality,
    standardize: cleared.standardize,
    compliance: cleared.compliance,
    output: cleared.compliance?.cleared,
    annotationJson,
    curatedAt: new Date().toISOString(),
  }).finish();
}

/**
 * image.cleared → image.curated at once when the project needs no annotation; otherwise one
 * pending task and status pending_annotation (no event until SubmitResult).
 */
export async function handleCleared(message: ConsumedMessage, ctx: StageContext): Promise<HandlerOutcome> {
  const cleared = decodeEvent(message.value, complianceV1.ImageCleared);
  const { image } = cleared;
  const settled = await settledOutcome(ctx, image, STAGE);
  if (settled) return settled;

  const policy = await ctx.policies.get(image.tenantId, image.projectId);
  if (!policy)
    return completeStage(ctx, image.imageId, STAGE, rejection(image, STAGE, [projectNotFound(image)]));
  const output = cleared.compliance?.cleared;
  if (!output?.key) throw new Error(`image ${image.imageId} has no cleared derivative`);

  if (!policy.annotation.required) {
    return completeStage(ctx, image.imageId, STAGE, {
      result: { routed: 'curated' },
      status: 'curated',
      event: pendingEvent(Topics.imageCurated, image.imageId, curatedEvent(cleared, '')),
    });
  }

  const tasks = taskModel(ctx.pipeline.connection);
  const taskType = policy.annotation.taskType;
  let taskId = `tsk_${randomBytes(12).toString('hex')}`;
  try {
    await tasks.create({
      _id: taskId,
      tenantId: image.tenantId,
      projectId: image.projectId,
      imageId: image.imageId,
      taskType,
      state: 'pending',
      leaseExpiresAt: null,
      annotatorId: '',
      image: output,
      cleared: Buffer.from(message.value!).toString('base64'),
      resultJson: '',
      createdAt: new Date(),
      doneAt: null,
    });
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
    // Created by an earlier delivery that stopped before the record was written.
    const existing = await tasks.findOne({ imageId: image.imageId, taskType }).lean().exec();
    if (!existing) throw error;
    taskId = existing._id;
  }
  return completeStage(ctx, image.imageId, STAGE, {
    result: { routed: 'annotation', taskId, taskType },
    status: 'pending_annotation',
  });
}
