import type { StandardizePolicy } from '@aperture/policy';
import type { Sharp } from 'sharp';
import { MAX_ANALYSIS_SIZE, MIN_ANALYSIS_SIZE, type RgbRaster } from './metrics';

/**
 * The long side, in pixels, a project's standardize spec delivers: the exact box's long side when
 * one is set, otherwise maxLongSide. Blur is judged at this size (an image is never judged larger
 * than it is): a photo soft at 4000 px may be sharp at the 1024 px the project keeps.
 */
export function deliveredLongSide(spec: Pick<StandardizePolicy, 'maxLongSide' | 'width' | 'height'>): number {
  return spec.width > 0 && spec.height > 0 ? Math.max(spec.width, spec.height) : spec.maxLongSide;
}

/**
 * The long side the analysis raster is decoded to for a delivered size: the delivered size within
 * MIN_ANALYSIS_SIZE..MAX_ANALYSIS_SIZE (never enlarged: a smaller image is measured as it is).
 */
export const analysisLongSide = (delivered: number): number =>
  Math.min(MAX_ANALYSIS_SIZE, Math.max(MIN_ANALYSIS_SIZE, delivered));

/**
 * The analysis raster of an image: its upright first frame, shrunk to fit inside
 * longSide × longSide (never enlarged), flattened onto mid-grey, 8-bit sRGB. `pipeline` is a
 * fresh sharp pipeline over the decoded image (orientation already applied). Started from the
 * encoded bytes, libvips shrinks JPEG and WebP while decoding, which is most of the speed.
 */
export async function analysisRaster(pipeline: Sharp, longSide: number): Promise<RgbRaster> {
  const { data, info } = await pipeline
    .resize(longSide, longSide, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: { r: 128, g: 128, b: 128 } })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}
