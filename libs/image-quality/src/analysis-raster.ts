import type { Sharp } from 'sharp';
import { ANALYSIS_SIZE, type RgbRaster } from './metrics';

/**
 * The analysis raster of an image: its upright first frame, shrunk to fit inside
 * ANALYSIS_SIZE × ANALYSIS_SIZE (never enlarged), flattened onto mid-grey, 8-bit sRGB. `pipeline` is
 * a fresh sharp pipeline over the decoded image (orientation already applied). Started from the
 * encoded bytes, libvips shrinks JPEG and WebP while decoding, which is most of the speed.
 */
export async function analysisRaster(pipeline: Sharp): Promise<RgbRaster> {
  const { data, info } = await pipeline
    .resize(ANALYSIS_SIZE, ANALYSIS_SIZE, { fit: 'inside', withoutEnlargement: true })
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
