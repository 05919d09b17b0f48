import { contentAddressedKey, type StoredBlob } from '@aperture/blob-store';
import { type standardizeV1, Topics } from '@aperture/contracts';
import { blobRef, next, reject, type StageContext, type StageHandler } from '@aperture/stage-runtime';
import { type Standardized, standardizeImage, StandardizeRefused } from '@aperture/standardization';
import { createHash } from 'node:crypto';

export const STAGE = 'standardize';

/**
 * image.qualified → derivative and thumbnail in the project's output spec, stored under
 * content-addressed keys → image.standardized, whose result carries the derivative's checksum,
 * size, dimensions and the operations applied (lineage).
 */
export const standardizeHandler: StageHandler<typeof Topics.imageQualified> = {
  stage: STAGE,
  topic: Topics.imageQualified,
  async process(event, _record, policy, ctx) {
    const { image } = event;
    const raw = await ctx.raw();
    let standardized: Standardized;
    try {
      standardized = await standardizeImage(raw, policy.standardize);
    } catch (error) {
      // The image's own fault (quality decoded it, so this is rare), not a reason to retry.
      const reason =
        error instanceof StandardizeRefused
          ? { code: error.code, message: error.message }
          : { code: 'corrupt', message: `the image could not be standardized: ${String(error)}` };
      return reject([reason]);
    }

    // Written before the record, content-addressed: a redelivery or a re-run finds them in place.
    const derivative = await storeOnce(ctx, 'derived', standardized.bytes, standardized.contentType);
    const thumbnail =
      standardized.thumbnail &&
      (await storeOnce(ctx, 'thumbnails', standardized.thumbnail.bytes, standardized.contentType));
    const result: standardizeV1.StandardizeResult = {
      ...standardized.result,
      derivative: blobRef(derivative, standardized.contentType),
      ...(thumbnail && { thumbnail: blobRef(thumbnail, standardized.contentType) }),
    };
    return next(Topics.imageStandardized, { image, quality: event.quality, standardize: result }, result);
  },
};

/** Stores bytes under their content-addressed key unless that key already holds them. */
async function storeOnce(
  ctx: StageContext,
  prefix: string,
  bytes: Buffer,
  contentType: string,
): Promise<StoredBlob> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = contentAddressedKey(prefix, sha256);
  if (await ctx.blobs.exists(key)) return { key, sizeBytes: bytes.length, sha256, contentType };
  return ctx.blobs.put(key, bytes, contentType);
}
