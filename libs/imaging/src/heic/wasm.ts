// The module declaration travels with this file, so every project that compiles it (through the
// @aperture/imaging alias) sees the types; an import cannot pull in an ambient declaration file.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./libheif-js.d.ts" />
import type { DecodedImage, HeifError, HeifImageHandle, Libheif } from 'libheif-js/wasm-bundle';
import { ImageDecodeError } from '../errors';
import type { InspectedImage } from '../header';
import { sharp } from '../sharp';
import { withIccChunk } from './png-icc';

let libheif: Promise<Libheif> | undefined;

/**
 * libheif-js, loaded on first use: instantiating its WASM takes ~200 ms and ~20 MB, which a
 * process that decodes HEIC natively never needs to pay.
 */
function loadLibheif(): Promise<Libheif> {
  libheif ??= import('libheif-js/wasm-bundle').then((module) => module.default);
  return libheif;
}

/** The size of libheif-js's WASM heap, in bytes: what a leak inside libheif would grow. */
export async function wasmHeapBytes(): Promise<number> {
  return (await loadLibheif()).HEAPU8.length;
}

/** The libheif version inside libheif-js. */
export async function wasmLibheifVersion(): Promise<string> {
  return (await loadLibheif()).heif_get_version();
}

/**
 * Decodes the primary image of a HEIC file with libheif compiled to WASM (libheif-js), in this
 * process. libheif applies irot/imir/clap, so the pixels come out upright. Resolves to a PNG stored
 * without compression, carrying the file's ICC profile (read by libvips from the header).
 *
 * The decode is synchronous WASM: it blocks the event loop for its duration (1–5 s for a 12–16 MP
 * photo on the project's machine). Output is 8 bits per sample: libheif reduces 10/12-bit images.
 */
export async function decodeHeicWithWasm(
  bytes: Buffer,
  { header, metadata }: InspectedImage,
): Promise<Buffer> {
  const heif = await loadLibheif();
  const channels = header.hasAlpha ? 4 : 3;
  const pixels = withHeifContext(heif, bytes, (handle) => {
    const decoded = heif.heif_js_decode_image2(
      handle,
      heif.heif_colorspace.heif_colorspace_RGB,
      header.hasAlpha
        ? heif.heif_chroma.heif_chroma_interleaved_RGBA
        : heif.heif_chroma.heif_chroma_interleaved_RGB,
    );
    if (isHeifError(decoded)) throw corrupt(decoded.message);
    try {
      // libheif decodes leniently: a grid tile that fails (a truncated file) is a warning on the
      // image, not an error, and its area is left blank.
      const damaged = heif._heif_image_get_decoding_warnings(decoded.image.$$.ptr, 0, 0, 0);
      if (damaged > 0) throw corrupt(`${damaged} part(s) of the image are missing or damaged`);
      return copyInterleaved(decoded, channels);
    } finally {
      heif.heif_image_release(decoded.image);
    }
  });
  const png = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  return metadata.icc ? withIccChunk(png, metadata.icc) : png;
}

/** Runs `use` on the primary image handle of a fresh libheif context, freeing both afterwards. */
function withHeifContext<T>(heif: Libheif, bytes: Buffer, use: (handle: HeifImageHandle) => T): T {
  const context = heif.heif_context_alloc();
  try {
    const read = heif.heif_context_read_from_memory(context, bytes);
    if (read.code.value !== 0) throw corrupt(read.message);
    const handle = heif.heif_js_context_get_primary_image_handle(context);
    if (isHeifError(handle)) throw corrupt(handle.message);
    try {
      return use(handle);
    } finally {
      heif.heif_image_handle_release(handle);
    }
  } finally {
    heif.heif_context_free(context);
  }
}

/** The interleaved plane copied out of the WASM heap (which the next decode reuses), rows packed. */
function copyInterleaved(
  decoded: DecodedImage,
  channels: number,
): { data: Buffer; width: number; height: number } {
  const plane = decoded.channels[0];
  if (!plane || plane.bits_per_pixel !== 8) {
    throw new Error(`libheif returned an unexpected plane (${plane?.bits_per_pixel ?? 'none'} bits)`);
  }
  const rowBytes = plane.width * channels;
  const data = Buffer.allocUnsafe(rowBytes * plane.height);
  if (plane.stride === rowBytes) {
    data.set(plane.data.subarray(0, data.length));
  } else {
    for (let row = 0; row < plane.height; row++) {
      data.set(plane.data.subarray(row * plane.stride, row * plane.stride + rowBytes), row * rowBytes);
    }
  }
  return { data, width: plane.width, height: plane.height };
}

function isHeifError(value: object): value is HeifError {
  return 'code' in value && 'message' in value;
}

function corrupt(reason: string): ImageDecodeError {
  return new ImageDecodeError('corrupt', `the HEIC image does not decode: ${reason}`);
}
