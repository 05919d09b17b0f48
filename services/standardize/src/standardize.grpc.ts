import { standardizeV1 } from '@aperture/contracts';
import { resolvePolicy, type StandardizePolicy } from '@aperture/policy';
import { ApiError, unary } from '@aperture/runtime';
import type { StageContext } from '@aperture/stage-runtime';
import { standardizeImage, StandardizeRefused } from '@aperture/standardization';

/**
 * The request's spec as a policy section: set fields over the project policy's defaults, checked by
 * the same rules as a project's policy. A string naming every problem if it is invalid.
 */
export function previewSpec(spec: standardizeV1.OutputSpec | undefined): StandardizePolicy | string {
  const given: Record<string, unknown> = {};
  if (spec) {
    const { keepMetadata, ...scalars } = spec;
    for (const [field, value] of Object.entries(scalars)) {
      // proto3: 0 and "" are "unset" for the three original fields; the others carry presence.
      const unset = value === undefined || (['maxLongSide', 'format', 'quality'].includes(field) && !value);
      if (!unset) given[field] = value;
    }
    if (keepMetadata) given['keepMetadata'] = keepMetadata.fields;
  }
  const { policy, errors } = resolvePolicy({ standardize: given });
  if (errors.length > 0)
    return errors
      .map((error) => `spec.${error.field.replace(/^standardize\./, '')} ${error.message}`)
      .join('; ');
  return policy.standardize;
}

/** StandardizeService.Preview: the derivative (and thumbnail) a spec gives for one image, nothing stored. */
export function standardizeGrpc(ctx: StageContext): standardizeV1.StandardizeServiceServer {
  return {
    preview: unary(ctx.log, 'Preview', async (call) => {
      const spec = previewSpec(call.request.spec);
      if (typeof spec === 'string') throw ApiError.invalid(spec);
      if (call.request.content.length === 0) throw ApiError.invalid('content is empty');
      try {
        const { bytes, result, thumbnail } = await standardizeImage(call.request.content, spec);
        return { content: bytes, result, thumbnail: thumbnail?.bytes ?? Buffer.alloc(0) };
      } catch (error) {
        // Whatever the image does wrong is the caller's input: INVALID_ARGUMENT with the reason.
        ctx.log.info({ err: error }, 'Preview refused an image');
        throw ApiError.invalid(
          error instanceof StandardizeRefused
            ? `${error.code}: ${error.message}`
            : 'the image does not decode',
        );
      }
    }),
  };
}
