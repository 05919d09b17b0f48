import type { annotationV1 } from '@aperture/contracts';
import { ApiError, callerOf, unary } from '@aperture/runtime';
import { annotatorFor, type Caller, tenantFor } from '@aperture/stage-runtime';
import { coverageMessage, coverageReport } from './coverage.source';
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

  /** The tenant and annotator of a call, from its credential (see above). */
  const who = (call: { request: { tenantId: string; annotatorId?: string } }) => {
    const caller = callerOf<Caller>(call);
    return {
      tenantId: tenantFor(caller, call.request.tenantId),
      annotatorId: annotatorFor(caller, call.request.annotatorId ?? ''),
    };
  };

  return {
    leaseTask: unary(ctx.log, 'LeaseTask', async (call) => {
      const { projectId, leaseSeconds, pool, taskType } = call.request;
      const { tenantId, annotatorId } = who(call);
      const task = await queue.lease({ tenantId, projectId, annotatorId, leaseSeconds, pool, taskType });
      return task ? { task: taskMessage(task) } : {};
    }),

    submitResult: unary(ctx.log, 'SubmitResult', async (call) => {
      const { taskId, resultJson, annotation, reject } = call.request;
      const { tenantId, annotatorId } = who(call);
      let result: unknown;
      if (reject) result = { reject: true };
      else if (resultJson) {
        const parsed = parseResultJson(resultJson);
        if ('error' in parsed) throw new ApiError('invalid_request', parsed.error);
        result = JSON.parse(parsed.json);
      } else result = annotationJsonOf(annotation ?? { labels: [] });
      const done = await queue.submit({ tenantId, taskId, annotatorId, result });
      return { task: taskMessage(done.task), outcome: done.outcome, agreement: done.agreement };
    }),

    getTaskImage: unary(ctx.log, 'GetTaskImage', async (call) => {
      const { tenantId, annotatorId } = who(call);
      const { bytes, contentType } = await queue.image(tenantId, call.request.taskId, annotatorId);
      return { content: bytes, contentType };
    }),

    getCoverage: unary(ctx.log, 'GetCoverage', async (call) => {
      const { projectId, batchId } = call.request;
      const { tenantId } = who(call);
      if (!projectId) throw new ApiError('invalid_request', 'project_id is required');
      const policy = await ctx.policies.get(tenantId, projectId);
      if (!policy) throw new ApiError('not_found', `project ${JSON.stringify(projectId)} not found`);
      const scope = { tenantId, projectId, ...(batchId && { batchId }) };
      return { coverage: coverageMessage(await coverageReport(ctx, policy, scope)) };
    }),
    getAnnotatorScores: unary(ctx.log, 'GetAnnotatorScores', async (call) => {
      const { projectId } = call.request;
      const { tenantId } = who(call);
      if (!projectId) throw new ApiError('invalid_request', 'project_id is required');
      return { scores: await queue.scores(tenantId, projectId) };
    }),
  };
}
