// The small picture the descriptors look at, and per-pixel helpers shared by them.

/** RGB bytes, row-major, 3 per pixel: a small copy of the upright image (DESCRIPTOR_SIDE). */
export interface SmallImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** The longest side the descriptors are computed at: enough for layout, colour and long edges. */
export const DESCRIPTOR_SIDE = 96;

/** Rec. 601 luma of each pixel, 0..255. */
export function lumaOf(image: SmallImage): Float32Array {
  const { data, width, height } = image;
  if (data.length !== width * height * 3)
    throw new RangeError(`${data.length} bytes do not fit ${width}x${height} RGB`);
  const luma = new Float32Array(width * height);
  for (let i = 0, p = 0; i < luma.length; i++, p += 3)
    luma[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  return luma;
}

/**
 * Sobel gradients of the luma (borders left at 0): magnitude and direction of the gradient
 * (radians, -π..π).
 */
export function gradients(luma: Float32Array, width: number, height: number) {
  const magnitude = new Float32Array(width * height);
  const direction = new Float32Array(width * height);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const gx =
        luma[i - width + 1]! +
        2 * luma[i + 1]! +
        luma[i + width + 1]! -
        luma[i - width - 1]! -
        2 * luma[i - 1]! -
        luma[i + width - 1]!;
      const gy =
        luma[i + width - 1]! +
        2 * luma[i + width]! +
        luma[i + width + 1]! -
        luma[i - width - 1]! -
        2 * luma[i - width]! -
        luma[i - width + 1]!;
      magnitude[i] = Math.hypot(gx, gy);
      direction[i] = Math.atan2(gy, gx);
    }
  }
  return { magnitude, direction };
}

/** Mean of `values` over the pixels of a box given in fractions of the image (0..1). */
export function meanIn(
  values: Float32Array,
  width: number,
  height: number,
  box: { x: number; y: number; width: number; height: number },
): number | undefined {
  const x0 = Math.max(0, Math.floor(box.x * width));
  const y0 = Math.max(0, Math.floor(box.y * height));
  const x1 = Math.min(width, Math.ceil((box.x + box.width) * width));
  const y1 = Math.min(height, Math.ceil((box.y + box.height) * height));
  let sum = 0;
  let count = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      sum += values[y * width + x]!;
      count++;
    }
  return count > 0 ? sum / count : undefined;
}
