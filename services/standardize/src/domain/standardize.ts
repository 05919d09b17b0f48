import type { standardizeV1 } from '@aperture/contracts';
import { decodeOptions, sharp } from '@aperture/stage-runtime';

export type OutputFormat = 'jpeg' | 'webp' | 'png';

export interface OutputSpec {
  /** Longest side in pixels; larger images are shrunk, smaller ones kept as they are. */
  maxLongSide: number;
  format: OutputFormat;
  /** Encoder quality 1..100 (lossy formats). */
  quality: number;
}

export interface Standardized {
  bytes: Buffer;
  contentType: string;
  /** File extension for the format, without the dot. */
  extension: string;
  /** What was done, without the derivative's blob reference (the caller stores the bytes). */
  result: Omit<standardizeV1.StandardizeResult, 'derivative'>;
}

const encodings: Record<OutputFormat, { contentType: string; extension: string }> = {
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  webp: { contentType: 'image/webp', extension: 'webp' },
  png: { contentType: 'image/png', extension: 'png' },
};

/**
 * Brings an image into the project's output spec: EXIF orientation applied, 8-bit sRGB (CMYK, Lab,
 * 16-bit and grey inputs are converted; an embedded ICC profile is honoured), long side at most
 * `maxLongSide` (never enlarged), encoded as `format`. The first frame of an animation is kept.
 * No metadata is written (no EXIF, XMP, IPTC or ICC). Throws if the image does not decode.
 */
export async function standardizeImage(bytes: Buffer, spec: OutputSpec): Promise<Standardized> {
  const metadata = await sharp(bytes, decodeOptions).metadata();
  let pipeline = sharp(bytes, decodeOptions)
    .autoOrient()
    .resize({ width: spec.maxLongSide, height: spec.maxLongSide, fit: 'inside', withoutEnlargement: true });
  // JPEG has no alpha: composite transparent pixels over white rather than whatever colour they hide.
  if (spec.format === 'jpeg') pipeline = pipeline.flatten({ background: '#ffffff' });
  pipeline = pipeline.toColourspace('srgb');
  pipeline =
    spec.format === 'jpeg'
      ? pipeline.jpeg({ quality: spec.quality })
      : spec.format === 'webp'
        ? pipeline.webp({ quality: spec.quality })
        : pipeline.png({ compressionLevel: 9 });
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return {
    bytes: data,
    ...encodings[spec.format],
    result: {
      width: info.width,
      height: info.height,
      format: spec.format,
      appliedOrientation: metadata.orientation ?? 1,
      sourceColorSpace: metadata.space ?? 'unknown',
      hadIccProfile: metadata.icc !== undefined,
    },
  };
}
