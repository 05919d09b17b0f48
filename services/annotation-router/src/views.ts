import { annotationV1 } from '@aperture/contracts';
import type { AnnotationPolicy } from '@aperture/policy';
import type { TaskDoc } from './tasks.model';

const KINDS = {
  annotate: annotationV1.TaskKind.TASK_KIND_ANNOTATE,
  review: annotationV1.TaskKind.TASK_KIND_REVIEW,
  gold: annotationV1.TaskKind.TASK_KIND_GOLD,
} as const;
const STATES = {
  pending: annotationV1.TaskState.TASK_STATE_PENDING,
  leased: annotationV1.TaskState.TASK_STATE_LEASED,
  done: annotationV1.TaskState.TASK_STATE_DONE,
} as const;

/** The REST path of a task's derivative (GET with the API key and ?annotatorId=). */
export const imageUrl = (task: Pick<TaskDoc, '_id' | 'annotatorId'>) =>
  `/v1/tasks/${encodeURIComponent(task._id)}/image?annotatorId=${encodeURIComponent(task.annotatorId)}`;

/** An annotation in its JSON form as the typed protobuf message. */
export function annotationMessage(json: string): annotationV1.Annotation {
  if (!json) return { labels: [] };
  const parsed = JSON.parse(json) as { labels: Array<Record<string, unknown>> };
  return {
    labels: parsed.labels.map((label) => ({
      className: String(label['class']),
      box: label['box'] as annotationV1.Box | undefined,
      polygon: ((label['polygon'] as number[][] | undefined) ?? []).map(([x = 0, y = 0]) => ({ x, y })),
      keypoints: (label['keypoints'] as annotationV1.Keypoint[] | undefined) ?? [],
      attributes: (label['attributes'] as Record<string, string> | undefined) ?? {},
      trackId: (label['trackId'] as string | undefined) ?? '',
    })),
  };
}

/** A typed annotation (gRPC) in the JSON form annotators submit. */
export function annotationJsonOf(annotation: annotationV1.Annotation): unknown {
  return {
    labels: annotation.labels.map((label) => ({
      class: label.className,
      ...(label.box && { box: label.box }),
      ...(label.polygon.length > 0 && { polygon: label.polygon.map((point) => [point.x, point.y]) }),
      ...(label.keypoints.length > 0 && { keypoints: label.keypoints }),
      ...(Object.keys(label.attributes).length > 0 && { attributes: label.attributes }),
      ...(label.trackId && { trackId: label.trackId }),
    })),
  };
}

export function taskMessage(doc: TaskDoc): annotationV1.Task {
  return {
    taskId: doc._id,
    tenantId: doc.tenantId,
    projectId: doc.projectId,
    imageId: doc.imageId,
    image: doc.image,
    taskType: doc.taskType,
    state: STATES[doc.state],
    leaseExpiresAt: doc.state === 'leased' ? (doc.leaseExpiresAt?.toISOString() ?? '') : '',
    annotatorId: doc.annotatorId,
    kind: KINDS[doc.kind],
    pools: doc.pools,
    priority: doc.priority,
    width: doc.width,
    height: doc.height,
    sequenceId: doc.sequenceId,
    sequenceKey: doc.sequenceKey,
    imageUrl: imageUrl(doc),
    candidates: doc.candidatesJson
      ? (JSON.parse(doc.candidatesJson) as unknown[]).map((candidate) =>
          annotationMessage(JSON.stringify(candidate)),
        )
      : [],
    merged: doc.mergedJson ? annotationMessage(doc.mergedJson) : undefined,
    agreement: doc.agreement,
    leaseGeneration: doc.leaseGeneration,
  };
}

/** The REST view of a task, with the label schema the result must fit. */
export function taskView(doc: TaskDoc, policy: AnnotationPolicy | null) {
  return {
    taskId: doc._id,
    projectId: doc.projectId,
    imageId: doc.imageId,
    kind: doc.kind,
    taskType: doc.taskType,
    state: doc.state,
    pools: doc.pools,
    priority: doc.priority,
    annotatorId: doc.annotatorId,
    leaseGeneration: doc.leaseGeneration,
    leaseExpiresAt: doc.state === 'leased' ? (doc.leaseExpiresAt?.toISOString() ?? null) : null,
    width: doc.width,
    height: doc.height,
    image: { url: imageUrl(doc), contentType: doc.image.contentType, sha256: doc.image.checksum?.hex ?? '' },
    ...(doc.sequenceId && { sequence: { id: doc.sequenceId, key: doc.sequenceKey } }),
    ...(doc.kind === 'review' && {
      review: {
        candidates: JSON.parse(doc.candidatesJson || '[]') as unknown,
        merged: JSON.parse(doc.mergedJson || '{"labels":[]}') as unknown,
        agreement: doc.agreement,
      },
    }),
    ...(policy && {
      schema: { classes: policy.classes, attributes: policy.attributes, keypoints: policy.keypoints },
    }),
  };
}
