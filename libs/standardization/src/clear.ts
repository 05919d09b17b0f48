import { decodeOptions, sharp } from '@aperture/imaging';
import type { StandardizeMetadataField } from '@aperture/policy';
import type { Metadata } from 'sharp';
import { exifHasGps } from './gps';
import { readSourceMetadata, xmpPacket } from './metadata';

/** Raw interleaved 8-bit pixels, changed in place by a transform (redaction). */
export interface PixelBuffer {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

export interface ClearOptions {
  /** Whitelisted fields the derivative carries that the cleared image keeps (as XMP); none by default. */
  keep?: readonly StandardizeMetadataField[];
  /** Changes the pixels before they are encoded again, in place (redaction). */
  transformPixels?: (pixels: PixelBuffer) => void | Promise<void>;
}

export interface Cleared {
  bytes: Buffer;
  format: 'jpeg' | 'webp' | 'png';
  contentType: string;
  extension: string;
  /** Metadata kinds the original upload or the derivative carried and the cleared image does not. */
  removedMetadata: string[];
  /** Whether the original upload (or the derivative) carried GPS coordinates. */
  hadGps: boolean;
}

const encodings = {
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  webp: { contentType: 'image/webp', extension: 'webp' },
  png: { contentType: 'image/png', extension: 'png' },
} as const;

const kinds = (metadata: Metadata): string[] =>
  [
    metadata.exif && 'exif',
    exifHasGps(metadata.exif) && 'gps',
    metadata.xmp && 'xmp',
    metadata.iptc && 'iptc',
    metadata.icc && 'icc',
  ].filter((kind): kind is string => typeof kind === 'string');

/**
 * Re-encodes the standardized derivative without any metadata (sharp writes none unless asked)
 * but the `keep` fields, after `transformPixels` when given, and checks the result: no EXIF, IPTC
 * or ICC may survive, nor XMP beyond the kept fields, or it throws. GPS is looked for in the EXIF
 * of the original upload too, since standardization already dropped the derivative's.
 */
export async function clearMetadata(
  derivative: Buffer,
  original: Buffer,
  quality: number,
  options: ClearOptions = {},
): Promise<Cleared> {
  const header = { ...decodeOptions, limitInputPixels: false } as const;
  const [source, upload, kept] = await Promise.all([
    sharp(derivative, header).metadata(),
    sharp(original, header).metadata(),
    options.keep?.length ? readSourceMetadata(derivative, options.keep) : undefined,
  ]);
  const format = source.format === 'png' || source.format === 'webp' ? source.format : 'jpeg';
  let pipeline = sharp(derivative, decodeOptions);
  if (options.transformPixels) {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const pixels = { data, width: info.width, height: info.height, channels: info.channels };
    await options.transformPixels(pixels);
    pipeline = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  }
  const xmp = kept ? xmpPacket(kept.fields) : undefined;
  if (xmp) pipeline = pipeline.withXmp(xmp);
  pipeline =
    format === 'jpeg'
      ? pipeline.jpeg({ quality })
      : format === 'webp'
        ? pipeline.webp({ quality })
        : pipeline.png({ compressionLevel: 9 });
  const bytes = await pipeline.toBuffer();

  const left = kinds(await sharp(bytes).metadata()).filter((kind) => !(kind === 'xmp' && xmp));
  if (left.length > 0) throw new Error(`metadata survived clearing: ${left.join(', ')}`);
  const removedMetadata = [...new Set([...kinds(upload), ...kinds(source)])].sort();
  return { bytes, format, ...encodings[format], removedMetadata, hadGps: removedMetadata.includes('gps') };
}
