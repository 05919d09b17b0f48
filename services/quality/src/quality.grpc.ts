import { qualityV1 } from '@aperture/contracts';
import { assessImage, deliveredLongSide } from '@aperture/image-quality';
import { defaultPolicy } from '@aperture/policy';
import { ApiError, callerOf, unary } from '@aperture/runtime';
import { type Caller, tenantFor } from '@aperture/stage-runtime';
import type { QualityContext } from './duplicate-scope';

/**
 * QualityService.Assess: the stage's verdict on bytes sent in the request, for a capture app that
 * asks "retake?". With a project, that project's policy applies and its duplicate index is
 * consulted without recording the image; otherwise the default policy and no duplicate check. The
 * tenant is the caller's API key's; only ingest (the service identity) names it in tenant_id.
 *
 * For an upload (ingest's synchronous verdict) the request names the image and its receipt time,
 * so the duplicate check is the one the stage makes for that image: the stage consumes the
 * upload's event while ingest waits for this answer, and once it has recorded the image, a check
 * as a new image received now finds the image itself, an earlier pixel-identical copy, and
 * answers "duplicate" for an image the stage keeps.
 */
export function qualityGrpc(ctx: QualityContext): qualityV1.QualityServiceServer {
  const assess = async (content: Buffer, tenantId: string, request: qualityV1.AssessRequest) => {
    const { projectId, imageId, receivedAt } = request;
    if (!projectId) return assessImage(content, defaultPolicy.quality);
    const policy = await ctx.policies.get(tenantId, projectId);
    if (!policy) return undefined;
    const scope = ctx.duplicateScope({
      tenantId,
      projectId,
      imageId,
      // As the stage orders it: ingest's receivedAt.toISOString().
      receivedAt: (receivedAt ? new Date(receivedAt) : new Date()).toISOString(),
    });
    return assessImage(
      content,
      policy.quality,
      { ...scope, readOnly: true },
      { deliveredLongSide: deliveredLongSide(policy.standardize) },
    );
  };
  return {
    assess: unary(ctx.log, 'Assess', async (call) => {
      const { content, projectId } = call.request;
      const caller = callerOf<Caller>(call);
      if (content.length === 0) throw ApiError.invalid('content is empty');
      if (caller.kind === 'service' && Boolean(call.request.tenantId) !== Boolean(projectId))
        throw ApiError.invalid('tenant_id and project_id go together');
      const { imageId, receivedAt } = call.request;
      if (Boolean(imageId) !== Boolean(receivedAt) || (receivedAt && Number.isNaN(Date.parse(receivedAt))))
        throw ApiError.invalid('image_id and received_at (RFC 3339) go together');
      const tenantId = projectId ? tenantFor(caller, call.request.tenantId) : '';
      const assessment = await assess(content, tenantId, call.request);
      if (!assessment) throw new ApiError('not_found', `project ${projectId} does not exist`);
      return { accepted: assessment.accepted, result: assessment.result, reasons: assessment.reasons };
    }),
  };
}
