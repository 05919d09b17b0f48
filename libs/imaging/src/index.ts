export { asDecodeError, ImageDecodeError } from './errors';
export type { DecodeRejectionCode } from './errors';
export { heicDecoderName } from './heic/decoder';
export { readImageHeader } from './header';
export type { DecodeLimits, ImageFormat, ImageHeader } from './header';
export { openImage } from './open';
export type { DecodedImage } from './open';
export { DECODE_TIMEOUT_SECONDS, decodeOptions, MAX_INPUT_PIXELS, sharp } from './sharp';
