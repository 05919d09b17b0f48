import type { annotationV1 } from '@aperture/contracts';
import { callerOf, grpcError } from '@aperture/runtime';
import { annotatorFor, type Caller, StageApiError, tenantFor } from '@aperture/stage-runtime';
import { status } from '@grpc/grpc-js';
import { coverageMessage, coverageReport } from './coverage.source';
import { AnnotationError } from './errors';
import { parseResultJson } from './domain/tasks';
import type { AnnotationContext } from './queue';
import { annotationJsonOf, taskMessage } from './views';

/**
 * AnnotationService over gRPC: the same queue as the REST API. The tenant is the credential's (an
 * API key's or an annotator token's; only the service identity names one in tenant_id), and an
 * annotator token acts as its own annotator whatever annotator_id says.
 */
export function annotationGrpc(ctx: AnnotationContext): annotationV1.AnnotationServiceServer {
  const { queue } = ctx;
  const answer =
    <Res>(callback: (error: Error | null, response?: Res) => void, what: string) =>
    (work: Promise<Res>) =>
      work.then(
        (response) => callback(null, response),
        (error: unknown) => {
          if (error instanceof StageApiError) return callback(grpcError(error.grpcStatus, error.fullMessage));
          ctx.log.error({ err: error }, `${what} failed`);
          callback(grpcError(status.UNAVAILABLE, `${what} failed; retry`));
        },
      );

  /** The tenant and annotator of a call, from its credential (see above). */
  const who = (call: {
    request: { tenantId: string; annotatorId?: string };
  }): Promise<{ tenantId: string; annotatorId: string }> =>
    // A promise, so that a refusal (a service caller naming no tenant) takes the error path.
    Promise.resolve(callerOf<Caller>(call)).then((caller) => ({
      tenantId: tenantFor(caller, call.request.tenantId),
      annotatorId: annotatorFor(caller, call.request.annotatorId ?? ''),
    }));

  return {
    leaseTask: (call, callback) => {
      const { projectId, leaseSeconds, pool, taskType } = call.request;
      void answer(
        callback,
        'LeaseTask',
      )(
        who(call)
          .then(({ tenantId, annotatorId }) =>
            queue.lease({ tenantId, projectId, annotatorId, leaseSeconds, pool, taskType }),
          )
          .then((task) => (task ? { task: taskMessage(task) } : {})),
      );
    },

    submitResult: (call, callback) => {
      const { taskId, resultJson, annotation, reject } = call.request;
      void answer(
        callback,
        'SubmitResult',
      )(
        (async () => {
          const { tenantId, annotatorId } = await who(call);
          let result: unknown;
          if (reject) result = { reject: true };
          else if (resultJson) {
            const parsed = parseResultJson(resultJson);
            if ('error' in parsed) throw new AnnotationError('invalid_request', parsed.error);
            result = JSON.parse(parsed.json);
          } else result = annotationJsonOf(annotation ?? { labels: [] });
          const done = await queue.submit({ tenantId, taskId, annotatorId, result });
          return { task: taskMessage(done.task), outcome: done.outcome, agreement: done.agreement };
        })(),
      );
    },

    getTaskImage: (call, callback) => {
      void answer(
        callback,
        'GetTaskImage',
      )(
        who(call)
          .then(({ tenantId, annotatorId }) => queue.image(tenantId, call.request.taskId, annotatorId))
          .then(({ bytes, contentType }) => ({ content: bytes, contentType })),
      );
    },

    getCoverage: (call, callback) => {
      const { projectId, batchId } = call.request;
      void answer(
        callback,
        'GetCoverage',
      )(
        (async () => {
          const { tenantId } = await who(call);
          if (!projectId) throw new AnnotationError('invalid_request', 'project_id is required');
          const policy = await ctx.policies.get(tenantId, projectId);
          if (!policy)
            throw new AnnotationError('not_found', `project ${JSON.stringify(projectId)} not found`);
          const scope = { tenantId, projectId, ...(batchId && { batchId }) };
          return { coverage: coverageMessage(await coverageReport(ctx, policy, scope)) };
        })(),
      );
    },
    getAnnotatorScores: (call, callback) => {
      const { projectId } = call.request;
      void answer(
        callback,
        'GetAnnotatorScores',
      )(
        (async () => {
          const { tenantId } = await who(call);
          if (!projectId) throw new AnnotationError('invalid_request', 'project_id is required');
          return { scores: await queue.scores(tenantId, projectId) };
        })(),
      );
    },
  };
}
