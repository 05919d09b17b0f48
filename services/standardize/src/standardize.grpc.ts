import { standardizeV1 } from '@aperture/contracts';
import { defaultPolicy } from '@aperture/persistence';
import { grpcError } from '@aperture/runtime';
import type { StageContext } from '@aperture/stage-runtime';
import { status } from '@grpc/grpc-js';
import { type OutputFormat, type OutputSpec, standardizeImage } from './domain/standardize';

const FORMATS: readonly string[] = ['jpeg', 'webp', 'png'];

/** The request's spec, unset fields taken from the default policy; a string naming the problem if invalid. */
export function previewSpec(spec: standardizeV1.OutputSpec | undefined): OutputSpec | string {
  const maxLongSide = spec?.maxLongSide || defaultPolicy.standardize.maxLongSide;
  const format = spec?.format || defaultPolicy.standardize.format;
  const quality = spec?.quality || defaultPolicy.standardize.quality;
  if (maxLongSide < 16 || maxLongSide > 16_384) return 'spec.max_long_side must be from 16 to 16384';
  if (!FORMATS.includes(format)) return 'spec.format must be one of jpeg, webp, png';
  if (quality > 100) return 'spec.quality must be from 1 to 100';
  return { maxLongSide, format: format as OutputFormat, quality };
}

/** StandardizeService.Preview: the derivative's bytes, nothing stored. */
export function standardizeGrpc(ctx: StageContext): standardizeV1.StandardizeServiceServer {
  return {
    preview: (call, callback) => {
      const spec = previewSpec(call.request.spec);
      if (typeof spec === 'string') return callback(grpcError(status.INVALID_ARGUMENT, spec));
      if (call.request.content.length === 0)
        return callback(grpcError(status.INVALID_ARGUMENT, 'content is empty'));
      standardizeImage(call.request.content, spec).then(
        ({ bytes, result }) => callback(null, { content: bytes, result }),
        (error: unknown) => {
          ctx.log.info({ err: error }, 'Preview refused an image');
          callback(grpcError(status.INVALID_ARGUMENT, 'the image does not decode'));
        },
      );
    },
  };
}
