import { decodeOptions, sharp } from '@aperture/imaging';
import type { Metadata } from 'sharp';
import { exifHasGps } from './gps';

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
 * and checks the result: no EXIF, XMP, IPTC or ICC may survive, or it throws. GPS is looked for in
 * the EXIF of the original upload too, since standardization already dropped the derivative's.
 */
export async function clearMetadata(derivative: Buffer, original: Buffer, quality: number): Promise<Cleared> {
  const header = { ...decodeOptions, limitInputPixels: false } as const;
  const [source, upload] = await Promise.all([
    sharp(derivative, header).metadata(),
    sharp(original, header).metadata(),
  ]);
  const format = source.format === 'png' || source.format === 'webp' ? source.format : 'jpeg';
  let pipeline = sharp(derivative, decodeOptions);
  pipeline =
    format === 'jpeg'
      ? pipeline.jpeg({ quality })
      : format === 'webp'
        ? pipeline.webp({ quality })
        : pipeline.png({ compressionLevel: 9 });
  const bytes = await pipeline.toBuffer();

  const left = kinds(await sharp(bytes).metadata());
  if (left.length > 0) throw new Error(`metadata survived clearing: ${left.join(', ')}`);
  const removedMetadata = [...new Set([...kinds(upload), ...kinds(source)])].sort();
  return { bytes, format, ...encodings[format], removedMetadata, hadGps: removedMetadata.includes('gps') };
}
