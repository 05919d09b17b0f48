import type { InspectedImage } from '../header';
import { decodeHeicWithHeifConvert, heifConvertOnPath } from './native';
import { decodeHeicWithWasm } from './wasm';

export type HeicDecoderName = 'native' | 'wasm';

/** Decodes the primary image of a HEIC file, upright, into a PNG stored without compression. */
export type HeicDecoder = (bytes: Buffer, inspected: InspectedImage) => Promise<Buffer>;

export const heicDecoders: Record<HeicDecoderName, HeicDecoder> = {
  native: decodeHeicWithHeifConvert,
  wasm: decodeHeicWithWasm,
};

/**
 * The HEIC decoder this process uses: APERTURE_HEIC_DECODER (native or wasm) when set, otherwise
 * native when heif-convert is on PATH, else wasm. Read on every call, so it follows the environment.
 */
export function heicDecoderName(): HeicDecoderName {
  const forced = process.env['APERTURE_HEIC_DECODER'];
  if (forced === 'native' || forced === 'wasm') return forced;
  if (forced) throw new Error(`APERTURE_HEIC_DECODER must be "native" or "wasm", not "${forced}"`);
  return heifConvertOnPath() ? 'native' : 'wasm';
}
