import type { Sharp } from 'sharp';
import { heicDecoderName, heicDecoders, type HeicDecoderName } from './heic/decoder';
import { inspectImage, type DecodeLimits, type ImageHeader } from './header';
import { DECODE_TIMEOUT_SECONDS, decodeOptionsWithin, sharp } from './sharp';

export interface DecodedImage {
  header: ImageHeader;
  /**
   * A fresh sharp pipeline over the upright first frame: orientation applied, the source's ICC
   * profile attached (so sharp's default output conversion to sRGB uses it; keepIccProfile()
   * keeps it instead), decoding with failOn 'error' and the pixel limit. Call once per output;
   * cheap to call again: HEIC pixels are decoded once and kept, and for the formats sharp decodes
   * itself the pipeline starts from the encoded bytes, so a resize benefits from shrink-on-load.
   * Time-limited (limits.timeoutSeconds, default DECODE_TIMEOUT_SECONDS): an output that takes
   * longer fails, and asDecodeError names that failure `timeout`.
   */
  pipeline(): Sharp;
}

/**
 * readImageHeader plus a decoder for the pixels. The pixels of the formats sharp decodes are not
 * decoded here but by the caller, through pipeline(): a truncated file then fails there, with an
 * error that asDecodeError maps to corrupt. HEIC is decoded here, with heicDecoderName()'s decoder.
 * Throws ImageDecodeError as readImageHeader does, and corrupt when HEIC pixels do not decode.
 */
export async function openImage(bytes: Buffer, limits?: DecodeLimits): Promise<DecodedImage> {
  return openImageWith(bytes, limits, heicDecoderName);
}

/** openImage with the choice of HEIC decoder made by `chooseHeicDecoder` (tests, benchmark). */
export async function openImageWith(
  bytes: Buffer,
  limits: DecodeLimits | undefined,
  chooseHeicDecoder: () => HeicDecoderName,
): Promise<DecodedImage> {
  const inspected = await inspectImage(bytes, limits);
  const { header } = inspected;
  const options = decodeOptionsWithin(inspected.maxPixels);
  const timeout = { seconds: timeoutSeconds(limits) };
  if (header.format !== 'heic') {
    return { header, pipeline: () => sharp(bytes, { ...options, autoOrient: true }).timeout(timeout) };
  }
  const decoded = await heicDecoders[chooseHeicDecoder()](bytes, inspected);
  return { header, pipeline: () => sharp(decoded, options).timeout(timeout) };
}

function timeoutSeconds(limits: DecodeLimits | undefined): number {
  const seconds = limits?.timeoutSeconds ?? DECODE_TIMEOUT_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new RangeError(`timeoutSeconds must be a positive integer, not ${seconds}`);
  }
  return seconds;
}
