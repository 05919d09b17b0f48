import type { annotationV1 } from '@aperture/contracts';
import { grpcError } from '@aperture/runtime';
import type { StageContext } from '@aperture/stage-runtime';
import { status } from '@grpc/grpc-js';
import { AnnotationError } from './errors';
import { parseAnnotation } from './domain/tasks';
import { TaskQueue } from './queue';
import { annotationJsonOf, taskMessage } from './views';

/** AnnotationService over gRPC: the same queue as the REST API. */
export function annotationGrpc(
  ctx: StageContext,
  queue = new TaskQueue(ctx),
): annotationV1.AnnotationServiceServer {
  const answer =
    <Res>(callback: (error: Error | null, response?: Res) => void, what: string) =>
    (work: Promise<Res>) =>
      work.then(
        (response) => callback(null, response),
        (error: unknown) => {
          if (error instanceof AnnotationError)
            return callback(grpcError(error.grpcStatus, error.fullMessage));
          ctx.log.error({ err: error }, `${what} failed`);
          callback(grpcError(status.UNAVAILABLE, `${what} failed; retry`));
        },
      );

  return {
    leaseTask: (call, callback) => {
      const { tenantId, projectId, annotatorId, leaseSeconds, pool, taskType } = call.request;
      void answer(
        callback,
        'LeaseTask',
      )(
        queue
          .lease({ tenantId, projectId, annotatorId, leaseSeconds, pool, taskType })
          .then((task) => (task ? { task: taskMessage(task) } : {})),
      );
    },

    submitResult: (call, callback) => {
      const { tenantId, taskId, annotatorId, resultJson, annotation, reject } = call.request;
      void answer(
        callback,
        'SubmitResult',
      )(
        (async () => {
          let result: unknown;
          if (reject) result = { reject: true };
          else if (resultJson) {
            const parsed = parseAnnotation(resultJson);
            if ('error' in parsed) throw new AnnotationError('invalid_request', parsed.error);
            result = JSON.parse(parsed.json);
          } else result = annotationJsonOf(annotation ?? { labels: [] });
          const done = await queue.submit({ tenantId, taskId, annotatorId, result });
          return { task: taskMessage(done.task), outcome: done.outcome, agreement: done.agreement };
        })(),
      );
    },

    getTaskImage: (call, callback) => {
      const { tenantId, taskId, annotatorId } = call.request;
      void answer(
        callback,
        'GetTaskImage',
      )(
        queue
          .image(tenantId, taskId, annotatorId)
          .then(({ bytes, contentType }) => ({ content: bytes, contentType })),
      );
    },

    getAnnotatorScores: (call, callback) => {
      const { tenantId, projectId } = call.request;
      void answer(
        callback,
        'GetAnnotatorScores',
      )(
        (async () => {
          if (!tenantId || !projectId)
            throw new AnnotationError('invalid_request', 'tenant_id and project_id are required');
          return { scores: await queue.scores(tenantId, projectId) };
        })(),
      );
    },
  };
}
