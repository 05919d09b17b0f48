import { qualityV1 } from '@aperture/contracts';
import { defaultPolicy } from '@aperture/persistence';
import { grpcError } from '@aperture/runtime';
import type { StageContext } from '@aperture/stage-runtime';
import { status } from '@grpc/grpc-js';
import { assessImage } from './domain/assess';

/** QualityService: the stage's verdict on bytes sent in the request (default policy minimums). */
export function qualityGrpc(ctx: StageContext): qualityV1.QualityServiceServer {
  return {
    assess: (call, callback) => {
      if (call.request.content.length === 0) {
        callback(grpcError(status.INVALID_ARGUMENT, 'content is empty'));
        return;
      }
      assessImage(call.request.content, defaultPolicy.quality).then(
        (assessment) =>
          callback(null, {
            accepted: assessment.accepted,
            result: assessment.result,
            reasons: assessment.reasons,
          }),
        (error: unknown) => {
          ctx.log.error({ err: error }, 'Assess failed');
          callback(grpcError(status.INTERNAL, 'assessment failed'));
        },
      );
    },
  };
}
