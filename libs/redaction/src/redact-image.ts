// Redaction of encoded images: decode upright (auto-oriented, sRGB) with @aperture/imaging,
// redact the pixels (redact.ts), encode again in the input's format at the same dimensions.
// Metadata is not carried over (sharp writes none unless asked): the output is upright, so its
// EXIF orientation would be wrong, and the rest is what the redaction is meant to remove.
import { sharp, type ImageFormat } from '@aperture/imaging';

import type { Box } from './boxes';
import {
  decodeUpright,
  type DetectionSettings,
  type PrivacyDetection,
  type PrivacyDetector,
} from './detector';
import { redactPixels, type RawPixels, type RedactionOptions } from './redact';

export interface EncodedImage {
  bytes: Buffer;
  /** The output's format: the input's, except HEIC (sharp cannot encode HEVC), written as JPEG. */
  format: Exclude<ImageFormat, 'heic'>;
  /** File extension for that format, without the dot. */
  extension: string;
  width: number;
  height: number;
}

const EXTENSIONS: Record<EncodedImage['format'], string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tiff',
  avif: 'avif',
};

/** Encodes upright raw pixels in `format` (HEIC falls back to JPEG). */
export async function encodePixels(pixels: RawPixels, format: ImageFormat): Promise<EncodedImage> {
  const out: EncodedImage['format'] = format === 'heic' ? 'jpeg' : format;
  const { width, height, channels } = pixels;
  const raw = sharp(Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength), {
    raw: { width, height, channels: channels as 1 | 2 | 3 | 4 },
  });
  const encoder = {
    jpeg: () => raw.jpeg({ quality: 90, mozjpeg: false }),
    png: () => raw.png(),
    webp: () => raw.webp({ quality: 90 }),
    gif: () => raw.gif(),
    tiff: () => raw.tiff({ compression: 'lzw' }),
    avif: () => raw.avif({ quality: 60 }),
  }[out];
  const bytes = await encoder().toBuffer();
  return { bytes, format: out, extension: EXTENSIONS[out], width, height };
}

/** Encoded bytes in, the same picture with `boxes` (upright pixel coordinates) redacted out. */
export async function redactEncoded(
  bytes: Buffer,
  boxes: readonly Box[],
  options: RedactionOptions = {},
): Promise<EncodedImage> {
  const pixels = await decodeUpright(bytes);
  return encodePixels({ ...pixels, data: redactPixels(pixels, boxes, options).data }, pixels.format);
}

/**
 * The one detection-and-redaction path of `aperture redact` and the compliance stage: faces and
 * (unless turned off) licence plates detected with the same defaults and pass plan
 * (DEFAULT_DETECTION), then every box redacted. The input pixels are not touched.
 */
export async function detectAndRedactPixels(
  pixels: RawPixels,
  detector: PrivacyDetector,
  settings: DetectionSettings = {},
  options: RedactionOptions = {},
): Promise<{ data: Uint8Array; detection: PrivacyDetection }> {
  const detection = await detector.detect(pixels, settings);
  const { data } = redactPixels(pixels, [...detection.faces, ...detection.plates], options);
  return { data, detection };
}

/** Detects the faces and plates of an encoded image and redacts them; one decode for both. */
export async function detectAndRedact(
  bytes: Buffer,
  detector: PrivacyDetector,
  settings: DetectionSettings = {},
  options: RedactionOptions = {},
): Promise<{ image: EncodedImage; detection: PrivacyDetection }> {
  const pixels = await decodeUpright(bytes);
  const { data, detection } = await detectAndRedactPixels(pixels, detector, settings, options);
  return { image: await encodePixels({ ...pixels, data }, pixels.format), detection };
}
