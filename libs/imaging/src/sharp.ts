import sharp, { type SharpOptions } from 'sharp';

/** Decoding more pixels than this is refused ("too_large"): a guard against decompression bombs. */
export const MAX_INPUT_PIXELS = 100_000_000;

// libvips settings for a process that shares 2 cores: one worker thread per image, no operation
// cache (every image is seen once). Applied once, when this module is first loaded.
sharp.concurrency(1);
sharp.cache(false);

/**
 * The longest one image's pixels may take to decode and process through one pipeline (sharp's
 * `timeout`, checked by libvips as the pixels flow; a header read is not timed, it reads no
 * pixels). The corpus's largest photos take well under 2 s on the project's 2-core machine under
 * load; a file that needs more than this is hostile or broken, and is refused as `timeout`.
 */
export const DECODE_TIMEOUT_SECONDS = 30;

/** Options for every decode: fail on a decoding error (truncated data), bounded pixel count. */
export const decodeOptions: SharpOptions = { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS };

/** decodeOptions with another pixel limit. */
export function decodeOptionsWithin(maxPixels: number): SharpOptions {
  return { ...decodeOptions, limitInputPixels: maxPixels };
}

/** sharp, configured for this process. */
export { sharp };
