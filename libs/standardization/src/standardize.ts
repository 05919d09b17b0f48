import { createHash } from 'node:crypto';
import type { standardizeV1 } from '@aperture/contracts';
import {
  asDecodeError,
  type DecodedImage,
  type DecodeRejectionCode,
  heicDecoderName,
  type ImageHeader,
  openImage,
  sharp,
} from '@aperture/imaging';
import type { StandardizeFormat, StandardizePolicy } from '@aperture/policy';
import type { Sharp } from 'sharp';
import { type GeometryPlan, planGeometry } from './geometry';
import { readSourceMetadata, xmpPacket } from './metadata';

export type StandardizeSpec = StandardizePolicy;

/** One step of the lineage: a name and its parameters, as strings (the contract's Operation). */
export type Operation = standardizeV1.Operation;

export interface Standardized {
  bytes: Buffer;
  contentType: string;
  /** File extension for the format, without the dot. */
  extension: string;
  /** The thumbnail (same format, 8-bit, no metadata), unless the spec's thumbnailSize is 0. */
  thumbnail?: { bytes: Buffer; width: number; height: number };
  /** What was done, without blob references (the caller stores the bytes). */
  result: Omit<standardizeV1.StandardizeResult, 'derivative' | 'thumbnail'>;
}

/** The image cannot be brought into the spec for a reason of its own (a rejection, not a retry). */
export class StandardizeRefused extends Error {
  constructor(
    readonly code: 'animated' | DecodeRejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'StandardizeRefused';
  }
}

export const encodings: Record<StandardizeFormat, { contentType: string; extension: string }> = {
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  webp: { contentType: 'image/webp', extension: 'webp' },
  png: { contentType: 'image/png', extension: 'png' },
  avif: { contentType: 'image/avif', extension: 'avif' },
};

/** Formats that can carry an alpha channel. */
const alphaFormats: ReadonlySet<StandardizeFormat> = new Set(['webp', 'png', 'avif']);

/**
 * Brings an image into the output spec, deterministically (the same bytes and spec always give the
 * same output bytes):
 *
 * - decoded once, first frame only (an animation is refused if the spec says so);
 * - EXIF orientation applied, so every orientation comes out upright and the tag is gone;
 * - colour converted to sRGB through the embedded ICC profile (CMYK without one through libvips'
 *   default CMYK profile; Lab, grey and 16-bit sources too); 16-bit sources are processed in
 *   16 bits and rounded to 8 (not truncated) unless the spec asks for a 16-bit PNG;
 * - cropped, resized (Lanczos 3) and padded per the spec's size and fit, never enlarged unless
 *   `upscale`; transparency kept where the format can and the spec wants it, else flattened;
 * - encoded with no metadata except the whitelisted fields, written fresh as a minimal XMP packet
 *   (no EXIF block, so no orientation tag, GPS, serial number or maker note);
 * - with a thumbnail made from the derivative's pixels.
 *
 * Returns the bytes, their SHA-256 and the list of operations applied with their parameters.
 */
export async function standardizeImage(bytes: Buffer, spec: StandardizeSpec): Promise<Standardized> {
  // The project's one decoder interface: header, limits, and a pipeline over the upright first
  // frame (HEIC/HEIF through libheif, everything else through sharp).
  let image: DecodedImage;
  try {
    image = await openImage(bytes);
  } catch (error) {
    throw decodeFailure(error);
  }
  const { header } = image;
  const frames = header.frames;
  const animated = frames > 1 && (header.format === 'gif' || header.format === 'webp');
  if (animated && spec.animated === 'reject')
    throw new StandardizeRefused(
      'animated',
      `the image is animated (${frames} frames) and the spec rejects animations`,
    );

  const source = await readSourceMetadata(bytes, spec.keepMetadata);
  const orientation = header.orientation;
  // The header's size is as displayed; the source's stored size is recorded before orientation.
  const upright = { width: header.width, height: header.height };
  const [sourceWidth, sourceHeight] =
    orientation >= 5 ? [header.height, header.width] : [header.width, header.height];
  const plan = planGeometry(upright, spec);
  const sourceBits = isSixteenBit(header) ? 16 : 8;
  const outputBits = spec.bitDepth === 16 && spec.format === 'png' ? 16 : 8;
  const workBits = Math.max(sourceBits, outputBits);
  const keepAlpha = header.hasAlpha && spec.alpha === 'keep' && alphaFormats.has(spec.format);

  const operations: Operation[] = [];
  const op = (name: string, params: Record<string, string | number | boolean> = {}) =>
    operations.push({
      name,
      params: Object.fromEntries(Object.entries(params).map(([key, value]) => [key, String(value)])),
    });
  op('decode', {
    format: header.format,
    width: sourceWidth,
    height: sourceHeight,
    frame: 1,
    frames,
    bitDepth: sourceBits,
    colourSpace: header.colourSpace,
    ...(header.format === 'heic' && { decoder: `libheif (${heicDecoderName()})` }),
  });

  // Upright already: the pipeline applies the EXIF orientation (libheif applies HEIF's irot/imir).
  let pipeline: Sharp = image.pipeline();
  if (orientation !== 1) op('auto-orient', { orientation });
  pipeline = applyColourTransform(pipeline, header, source.iccDescription, op);
  pipeline = applyGeometry(pipeline, plan, spec, keepAlpha, header.hasAlpha, op);
  pipeline = pipeline.toColourspace(workBits === 16 ? 'rgb16' : 'srgb');

  const kept = spec.keepMetadata.filter((field) => source.fields[field] !== undefined);
  const xmp = xmpPacket(source.fields);
  let encoded: Encoded;
  let thumbnail: Standardized['thumbnail'];
  if (workBits === 8 && spec.thumbnailSize === 0) {
    // One pass, decode to encode: nothing else needs the pixels.
    encoded = await withEncoder(pipeline, spec, xmp)
      .toBuffer({ resolveWithObject: true })
      .catch((error: unknown) => Promise.reject(decodeFailure(error)));
    op('strip-metadata', { kept: kept.join(',') });
    op('encode', { format: spec.format, ...encoderParams(spec), bitDepth: outputBits });
  } else {
    // The pixels once, in memory: rounded from 16 bits and/or shared with the thumbnail.
    let pixels: RawPixels;
    try {
      const { data, info } = await pipeline
        .raw({ depth: workBits === 16 ? 'ushort' : 'uchar' })
        .toBuffer({ resolveWithObject: true });
      pixels = { data, width: info.width, height: info.height, channels: info.channels, bits: workBits };
    } catch (error) {
      throw decodeFailure(error);
    }
    const eightBit = workBits === 16 ? roundTo8Bit(pixels) : pixels;
    if (workBits === 16 && outputBits === 8) op('round-to-8-bit', { from: 16, method: 'round-half-up' });
    op('strip-metadata', { kept: kept.join(',') });
    encoded = await encode(outputBits === 16 ? pixels : eightBit, spec, xmp);
    op('encode', { format: spec.format, ...encoderParams(spec), bitDepth: outputBits });
    if (spec.thumbnailSize > 0) {
      const { data, info } = await encode(eightBit, spec, undefined, spec.thumbnailSize);
      thumbnail = { bytes: data, width: info.width, height: info.height };
      op('thumbnail', { width: info.width, height: info.height, format: spec.format });
    }
  }

  return {
    bytes: encoded.data,
    ...encodings[spec.format],
    ...(thumbnail && { thumbnail }),
    result: {
      width: encoded.info.width,
      height: encoded.info.height,
      format: spec.format,
      appliedOrientation: orientation,
      sourceColorSpace: header.colourSpace,
      hadIccProfile: header.hasIccProfile,
      sha256: createHash('sha256').update(encoded.data).digest('hex'),
      sizeBytes: String(encoded.data.length),
      operations,
      spec: specMessage(spec),
      thumbnailWidth: thumbnail?.width ?? 0,
      thumbnailHeight: thumbnail?.height ?? 0,
      sourceFormat: header.format,
      sourceWidth,
      sourceHeight,
      sourceFrames: frames,
      sourceBitDepth: sourceBits,
      sourceIccDescription: source.iccDescription ?? '',
      keptMetadata: kept,
      bitDepth: outputBits,
      hasAlpha: encoded.info.channels === 2 || encoded.info.channels === 4,
    },
  };
}

/** The policy's spec as the contract's OutputSpec (every field set). */
export function specMessage(spec: StandardizeSpec): standardizeV1.OutputSpec {
  return {
    maxLongSide: spec.maxLongSide,
    format: spec.format,
    quality: spec.quality,
    width: spec.width,
    height: spec.height,
    fit: spec.fit,
    aspectRatio: spec.aspectRatio,
    upscale: spec.upscale,
    background: spec.background,
    alpha: spec.alpha,
    bitDepth: spec.bitDepth,
    animated: spec.animated,
    keepMetadata: { fields: [...spec.keepMetadata] },
    thumbnailSize: spec.thumbnailSize,
  };
}

interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bits: number;
}

type Op = (name: string, params?: Record<string, string | number | boolean>) => void;

function isSixteenBit(header: ImageHeader): boolean {
  return header.bitsPerSample > 8 || ['rgb16', 'grey16', 'labs'].includes(header.colourSpace);
}

/**
 * sharp converts to sRGB through the embedded profile (or, for CMYK without one, libvips' default
 * CMYK profile) as it decodes; this records that, and converts what has no profile (Lab, grey)
 * with toColourspace at the end of the pipeline.
 */
function applyColourTransform(pipeline: Sharp, header: ImageHeader, icc: string | undefined, op: Op): Sharp {
  const space = header.colourSpace;
  if (header.hasIccProfile && space !== 'grey16' && space !== 'labs') {
    op('icc-transform', { from: icc ?? 'embedded profile', to: 'sRGB', intent: 'perceptual' });
  } else if (space === 'cmyk') {
    op('icc-transform', { from: 'default CMYK profile (none embedded)', to: 'sRGB', intent: 'perceptual' });
  } else if (space !== 'srgb' && space !== 'rgb16') {
    op('colourspace', { from: space, to: 'sRGB' });
  }
  return pipeline;
}

function applyGeometry(
  pipeline: Sharp,
  plan: GeometryPlan,
  spec: StandardizeSpec,
  keepAlpha: boolean,
  hasAlpha: boolean,
  op: Op,
): Sharp {
  let out = pipeline;
  if (plan.crop) {
    out = out.extract(plan.crop);
    op('crop', { ...plan.crop });
  }
  if (plan.resize) {
    out = out.resize(plan.resize.width, plan.resize.height, { fit: 'fill', kernel: 'lanczos3' });
    op('resize', { ...plan.resize, kernel: 'lanczos3', fit: spec.fit });
  }
  if (hasAlpha && !keepAlpha) {
    out = out.flatten({ background: spec.background });
    op('flatten', { background: spec.background });
  }
  if (plan.pad) {
    const background = keepAlpha ? { ...hexColour(spec.background), alpha: 1 } : spec.background;
    out = out.extend({ ...plan.pad, background });
    op('pad', { ...plan.pad, background: spec.background });
  }
  return out;
}

/** 16-bit samples to 8 by rounding to the nearest level (v / 257), not by dropping the low byte. */
function roundTo8Bit(pixels: RawPixels): RawPixels {
  const wide = new Uint16Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.length / 2);
  const narrow = Buffer.allocUnsafe(wide.length);
  for (let i = 0; i < wide.length; i++) narrow[i] = ((wide[i]! + 128) / 257) | 0;
  return { ...pixels, data: narrow, bits: 8 };
}

type Encoded = { data: Buffer; info: { width: number; height: number; channels: number } };

/** Encodes raw pixels (16-bit ones as 16-bit PNG), optionally shrunk to a thumbnail. */
async function encode(
  pixels: RawPixels,
  spec: StandardizeSpec,
  xmp: string | undefined,
  thumbnailSize?: number,
): Promise<Encoded> {
  // sharp takes 16-bit raw samples as a Uint16Array (the array type tells it the depth).
  const samples =
    pixels.bits === 16
      ? new Uint16Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.length / 2)
      : pixels.data;
  let image = sharp(samples, {
    raw: { width: pixels.width, height: pixels.height, channels: pixels.channels },
  });
  if (thumbnailSize !== undefined) {
    image = image.resize(thumbnailSize, thumbnailSize, { fit: 'inside', withoutEnlargement: true });
  }
  if (pixels.bits === 16) image = image.toColourspace('rgb16');
  return withEncoder(image, spec, xmp).toBuffer({ resolveWithObject: true });
}

/** The spec's encoder, and the whitelisted metadata as XMP if there is any. */
function withEncoder(image: Sharp, spec: StandardizeSpec, xmp: string | undefined): Sharp {
  const out = xmp ? image.withXmp(xmp) : image;
  const { format, quality } = spec;
  return format === 'jpeg'
    ? out.jpeg({ quality })
    : format === 'webp'
      ? out.webp({ quality, effort: 4 })
      : format === 'avif'
        ? out.avif({ quality, effort: 2 })
        : out.png({ compressionLevel: 6 });
}

function encoderParams(spec: StandardizeSpec): Record<string, string | number> {
  switch (spec.format) {
    case 'jpeg':
      return { quality: spec.quality, chromaSubsampling: '4:2:0' };
    case 'webp':
      return { quality: spec.quality, effort: 4 };
    case 'avif':
      return { quality: spec.quality, effort: 2 };
    case 'png':
      return { compressionLevel: 6 };
  }
}

function hexColour(hex: string): { r: number; g: number; b: number } {
  const value = Number.parseInt(hex.slice(1), 16);
  return { r: (value >> 16) & 0xff, g: (value >> 8) & 0xff, b: value & 0xff };
}

/** The decoder's verdict (corrupt, unsupported_format, too_large) as the stage's refusal. */
function decodeFailure(error: unknown): StandardizeRefused {
  const { code, message } = asDecodeError(error);
  return new StandardizeRefused(code, message);
}
