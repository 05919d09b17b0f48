/** Why an image is refused. Each is a verdict on the bytes, final for the client. */
export type DecodeRejectionCode = 'corrupt' | 'unsupported_format' | 'too_large' | 'timeout';

/** An image that cannot be decoded; `message` is a sentence that can be shown to the client. */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';

  constructor(
    readonly code: DecodeRejectionCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The ImageDecodeError for an error thrown while decoding: itself when it already is one, too_large
 * for libvips' pixel limit, timeout for sharp's time limit (`timeout: N% complete`, see
 * DECODE_TIMEOUT_SECONDS), corrupt for anything else (truncated or invalid data). Note that a
 * failure that is not about the image (a missing decoder binary, a full disk) also comes out as
 * corrupt: callers that want to retry those check `instanceof ImageDecodeError` before mapping.
 */
export function asDecodeError(error: unknown): ImageDecodeError {
  if (error instanceof ImageDecodeError) return error;
  const detail = firstLine(error);
  if (/pixel limit/i.test(detail)) {
    return new ImageDecodeError('too_large', `the image has more pixels than allowed (${detail})`);
  }
  const timedOut = /^timeout: (\d+)% complete/.exec(detail);
  if (timedOut) {
    return new ImageDecodeError(
      'timeout',
      `the image did not decode within the time limit (${timedOut[1]}% done): a pathological file`,
    );
  }
  return new ImageDecodeError('corrupt', `the image data does not decode: ${detail}`);
}

/** The first line of an error's message: libvips appends its whole error stack on later lines. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() || 'unknown error';
}
