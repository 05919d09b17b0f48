// The part of libheif-js (an Emscripten build of libheif, with embind bindings) that the WASM
// decoder uses. The package ships typings of the raw WASM exports only, not of these bindings.
declare module 'libheif-js/wasm-bundle' {
  // A namespace merged with the module's value, so that its types can be imported by name.
  namespace libheif {
    /** An embind enum value. */
    export interface EnumValue {
      value: number;
    }

    export interface HeifError {
      code: EnumValue;
      message: string;
    }

    /** Opaque embind handles. */
    export interface HeifContext {
      readonly __brand: 'heif_context';
    }
    export interface HeifImageHandle {
      readonly __brand: 'heif_image_handle';
    }
    export interface HeifImage {
      readonly __brand: 'heif_image';
      /** embind's record of the wrapped C pointer (the `heif_image*`), for the raw WASM exports. */
      readonly $$: { ptr: number };
    }

    export interface DecodedPlane {
      width: number;
      height: number;
      stride: number;
      bits_per_pixel: number;
      /** A view into the WASM heap: valid until the image is released. */
      data: Uint8Array;
    }

    export interface DecodedImage {
      image: HeifImage;
      width: number;
      height: number;
      channels: DecodedPlane[];
    }

    export interface Libheif {
      /** The WASM heap: it grows when libheif needs more memory and never shrinks. */
      HEAPU8: Uint8Array;
      heif_get_version(): string;
      heif_context_alloc(): HeifContext;
      heif_context_free(context: HeifContext): void;
      heif_context_read_from_memory(context: HeifContext, bytes: Uint8Array): HeifError;
      /** The handle, or an error object (with `code`) when there is no primary image. */
      heif_js_context_get_primary_image_handle(context: HeifContext): HeifImageHandle | HeifError;
      heif_image_handle_release(handle: HeifImageHandle): void;
      /** Decodes with libheif's default options: irot/imir/clap applied. Synchronous. */
      heif_js_decode_image2(
        handle: HeifImageHandle,
        colorspace: EnumValue,
        chroma: EnumValue,
      ): DecodedImage | HeifError;
      heif_image_release(image: HeifImage): void;
      /**
       * The raw WASM export (the embind wrapper of this function always answers 0): with
       * `maxOutput` 0, the number of parts (grid tiles) that failed to decode.
       */
      _heif_image_get_decoding_warnings(
        imagePointer: number,
        firstWarningIndex: number,
        outWarnings: number,
        maxOutput: number,
      ): number;
      heif_colorspace: { heif_colorspace_RGB: EnumValue };
      heif_chroma: { heif_chroma_interleaved_RGB: EnumValue; heif_chroma_interleaved_RGBA: EnumValue };
    }
  }

  const libheif: libheif.Libheif;
  export = libheif;
}
