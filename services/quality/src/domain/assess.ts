import type { commonV1, qualityV1 } from '@aperture/contracts';
import { decodeOptions, MAX_INPUT_PIXELS, sharp } from '@aperture/stage-runtime';
import type { Metadata } from 'sharp';

export interface QualityLimits {
  minWidth: number;
  minHeight: number;
}

export interface Assessment {
  accepted: boolean;
  /** Set when the image decoded. */
  result?: qualityV1.QualityResult;
  /** Why it is refused; empty when accepted. */
  reasons: commonV1.Reason[];
}

/** Formats the pipeline takes, as sharp's metadata names them. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/** Image formats recognisable from their first bytes that this build of sharp cannot decode. */
const UNDECODABLE_SIGNATURES: Array<{ name: string; matches: (head: Buffer) => boolean }> = [
  {
    name: 'JPEG 2000',
    matches: (h) => h.subarray(4, 8).toString('latin1') === 'jP  ' || h.readUInt32BE(0) === 0xff4fff51,
  },
  {
    name: 'JPEG XL',
    matches: (h) => h.readUInt16BE(0) === 0xff0a || h.subarray(4, 8).toString('latin1') === 'JXL ',
  },
  { name: 'BMP', matches: (h) => h.subarray(0, 2).toString('latin1') === 'BM' },
  { name: 'ICO', matches: (h) => h.readUInt32BE(0) === 0x00000100 },
  { name: 'PSD', matches: (h) => h.subarray(0, 4).toString('latin1') === '8BPS' },
  { name: 'PDF', matches: (h) => h.subarray(0, 5).toString('latin1') === '%PDF-' },
  { name: 'ISO-BMFF (HEIF family)', matches: (h) => h.subarray(4, 8).toString('latin1') === 'ftyp' },
];

const reject = (code: string, message: string, result?: qualityV1.QualityResult): Assessment => ({
  accepted: false,
  ...(result && { result }),
  reasons: [{ code, message }],
});

/**
 * Judges an image file: it must be a format the pipeline takes, decode completely (its first frame),
 * stay within MAX_INPUT_PIXELS, and be at least minWidth × minHeight as displayed (EXIF orientation
 * applied). Pure apart from CPU: no I/O. Never throws for bad input; every refusal is a reason.
 *
 * Codes: "unsupported_format", "corrupt", "too_large", "too_small".
 */
export async function assessImage(bytes: Buffer, limits: QualityLimits): Promise<Assessment> {
  if (bytes.length < 12) return reject('corrupt', `${bytes.length} bytes are not an image`);

  // The header only (no pixels): sharp's pixel limit is off here so that a huge image is reported
  // as too_large rather than as a decoding error.
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { ...decodeOptions, limitInputPixels: false }).metadata();
  } catch (error) {
    const message = errorMessage(error);
    if (/unsupported image format/i.test(message)) {
      const known = UNDECODABLE_SIGNATURES.find((signature) => signature.matches(bytes));
      return known
        ? reject('unsupported_format', `${known.name} images cannot be decoded`)
        : reject('corrupt', 'the bytes are not a recognisable image');
    }
    return reject('corrupt', `the image header does not decode: ${message}`);
  }

  const { format, width, height } = metadata;
  if (!ACCEPTED_FORMATS.has(format)) return reject('unsupported_format', `${format} images are not accepted`);
  if (format === 'heif' && metadata.compression !== 'av1') {
    // The prebuilt libvips of sharp has libheif without an HEVC decoder: HEIC reads its header but
    // not its pixels. Refused as unsupported until a decoder is available.
    return reject(
      'unsupported_format',
      `${metadata.compression ?? 'unknown'}-coded HEIF (HEIC) cannot be decoded`,
    );
  }
  if (!width || !height) return reject('corrupt', 'the image header has no dimensions');

  const upright = (metadata.orientation ?? 1) >= 5;
  const result: qualityV1.QualityResult = {
    format: format === 'heif' ? 'avif' : format,
    width: upright ? height : width,
    height: upright ? width : height,
    frames: metadata.pages ?? 1,
  };
  if (width * height > MAX_INPUT_PIXELS) {
    return reject('too_large', `${width}×${height} is more than ${MAX_INPUT_PIXELS / 1e6} MP`, result);
  }

  // Decode every pixel of the first frame (into a small thumbnail) so truncated data is caught.
  try {
    await sharp(bytes, decodeOptions).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (error) {
    return reject('corrupt', `the image does not decode: ${errorMessage(error)}`);
  }

  if (result.width < limits.minWidth || result.height < limits.minHeight) {
    return reject(
      'too_small',
      `${result.width}×${result.height} is smaller than the project minimum ${limits.minWidth}×${limits.minHeight}`,
      result,
    );
  }
  return { accepted: true, result, reasons: [] };
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
