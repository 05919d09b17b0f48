import type { Metadata } from 'sharp';
import { firstLine, ImageDecodeError } from './errors';
import { decodeOptions, MAX_INPUT_PIXELS, sharp } from './sharp';
import { sniffSignature, type AcceptedContainer } from './signatures';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'heic';

export interface ImageHeader {
  format: ImageFormat;
  /** As displayed: EXIF orientation (or HEIF irot/imir) applied. */
  width: number;
  height: number;
  /** The EXIF orientation tag, 1..8 (1 when absent, and always 1 for HEIC/AVIF: see README). */
  orientation: number;
  /** Pages or frames (animated GIF/WebP, multi-page TIFF); 1 otherwise. */
  frames: number;
  hasAlpha: boolean;
  /** sharp's `space` naming: 'srgb', 'cmyk', 'labs', 'b-w', 'rgb16', 'grey16', ... */
  colourSpace: string;
  bitsPerSample: number;
  hasIccProfile: boolean;
}

export interface DecodeLimits {
  /** Images with more pixels (declared width × height) are refused as too_large. Default MAX_INPUT_PIXELS. */
  maxPixels?: number;
  /** Time limit of each pipeline() in whole seconds (sharp's timeout). Default DECODE_TIMEOUT_SECONDS. */
  timeoutSeconds?: number;
}

/** A header together with sharp's metadata it was read from, which the HEIC decoders need. */
export interface InspectedImage {
  header: ImageHeader;
  metadata: Metadata;
  maxPixels: number;
}

const ACCEPTED_LIST = 'JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIC';

/** The sharp loader each accepted container must come out as: a mismatch means a disguised file. */
const SHARP_FORMAT: Record<AcceptedContainer, string> = {
  jpeg: 'jpeg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  tiff: 'tiff',
  heif: 'heif',
};

/**
 * Reads the header only, no pixel data: format, displayed size, frames. Throws ImageDecodeError:
 * unsupported_format for a recognised format the pipeline does not take, corrupt for bytes that
 * are not a recognisable image or whose header does not parse, too_large when the declared
 * width × height exceeds maxPixels (refused before any pixel is decoded).
 */
export async function readImageHeader(bytes: Buffer, limits?: DecodeLimits): Promise<ImageHeader> {
  return (await inspectImage(bytes, limits)).header;
}

/** readImageHeader, keeping sharp's metadata for the decoders. */
export async function inspectImage(bytes: Buffer, limits: DecodeLimits = {}): Promise<InspectedImage> {
  const maxPixels = pixelLimit(limits);
  if (bytes.length === 0) throw new ImageDecodeError('corrupt', 'the file is empty');

  const signature = sniffSignature(bytes);
  if (signature.kind === 'unsupported') {
    throw new ImageDecodeError(
      'unsupported_format',
      `${signature.name} files are not accepted; send ${ACCEPTED_LIST}`,
    );
  }
  if (signature.kind === 'unknown') {
    throw new ImageDecodeError('corrupt', 'the bytes are not a recognisable image');
  }

  let metadata: Metadata;
  try {
    // The header only: sharp's pixel limit is off here so that a huge image is reported as
    // too_large below rather than as a decoding error.
    metadata = await sharp(bytes, { ...decodeOptions, limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageDecodeError('corrupt', `the image header does not decode: ${firstLine(error)}`);
  }
  if (metadata.format !== SHARP_FORMAT[signature.container]) {
    throw new ImageDecodeError(
      'unsupported_format',
      `the file starts like ${signature.container} but reads as ${metadata.format}; send ${ACCEPTED_LIST}`,
    );
  }

  const format = imageFormat(metadata);
  const { width, height } = metadata;
  if (!width || !height) throw new ImageDecodeError('corrupt', 'the image header declares no dimensions');
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      'too_large',
      `the image is ${width}×${height} (${megapixels(width * height)} MP), more than the limit of ${megapixels(maxPixels)} MP`,
    );
  }

  const heifFamily = format === 'heic' || format === 'avif';
  const header: ImageHeader = {
    format,
    // libvips reports the size with the EXIF orientation applied in autoOrient; for HEIF, libheif
    // has already applied irot/imir to width/height (and libvips drops the EXIF orientation).
    width: metadata.autoOrient.width,
    height: metadata.autoOrient.height,
    orientation: metadata.orientation ?? 1,
    // The top-level images of a HEIF file are alternatives (thumbnails, bursts, the tiles of
    // pitm.avif), not frames: only the primary one is decoded.
    frames: heifFamily ? 1 : (metadata.pages ?? 1),
    hasAlpha: metadata.hasAlpha,
    colourSpace: metadata.space,
    bitsPerSample: metadata.bitsPerSample ?? bitsOf(metadata.depth),
    hasIccProfile: metadata.hasProfile,
  };
  return { header, metadata, maxPixels };
}

function pixelLimit(limits: DecodeLimits): number {
  const maxPixels = limits.maxPixels ?? MAX_INPUT_PIXELS;
  if (!Number.isFinite(maxPixels) || maxPixels < 1) {
    throw new RangeError(`maxPixels must be a positive number, not ${maxPixels}`);
  }
  return maxPixels;
}

/** Our name for what sharp read: HEIF splits into HEIC (HEVC-coded) and AVIF (AV1-coded). */
function imageFormat(metadata: Metadata): ImageFormat {
  switch (metadata.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
      return metadata.format;
    case 'heif': {
      // `compression` is typed 'av1' | 'hevc' but libvips reports whatever libheif names.
      const compression: string | undefined = metadata.compression;
      if (compression === 'hevc') return 'heic';
      if (compression === 'av1') return 'avif';
      throw new ImageDecodeError(
        'unsupported_format',
        `HEIF images coded as ${compression ?? 'unknown'} are not accepted; send ${ACCEPTED_LIST}`,
      );
    }
    default:
      throw new ImageDecodeError(
        'unsupported_format',
        `${metadata.format} images are not accepted; send ${ACCEPTED_LIST}`,
      );
  }
}

/** Bits per sample of a libvips band format (sharp reports bitsPerSample for PNG/GIF/TIFF/HEIF only). */
function bitsOf(depth: Metadata['depth']): number {
  switch (depth) {
    case 'char':
    case 'uchar':
      return 8;
    case 'short':
    case 'ushort':
      return 16;
    case 'int':
    case 'uint':
    case 'float':
      return 32;
    case 'double':
    case 'complex':
      return 64;
    case 'dpcomplex':
      return 128;
  }
}

function megapixels(pixels: number): string {
  return (pixels / 1e6).toLocaleString('en', { maximumFractionDigits: 1 });
}
