/** Luminance, 1 byte per pixel, row-major, upright. */
export interface GreyRaster {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The smallest side a fingerprint is computed for. */
export const MIN_RASTER_SIDE = 16;

export function assertGreyRaster(raster: GreyRaster): void {
  const { width, height, data } = raster;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < MIN_RASTER_SIDE ||
    height < MIN_RASTER_SIDE
  ) {
    throw new RangeError(
      `a ${width}×${height} raster is too small: both sides must be at least ${MIN_RASTER_SIDE}`,
    );
  }
  if (data.length !== width * height) {
    throw new RangeError(
      `a ${width}×${height} grey raster needs ${width * height} bytes, not ${data.length}`,
    );
  }
}

/** A rectangle in raster pixel coordinates: x0 ≤ x < x1, y0 ≤ y < y1 (fractional edges allowed). */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Pixel values of any numeric type, row-major. */
export interface Plane {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/**
 * The pixels of a box averaged over factor × factor blocks (a remainder of less than a block at
 * the right and bottom is dropped). Hashing works on pictures about 128 pixels across: finer
 * detail does not reach the low frequencies hashed, and a smaller plane costs less to sample.
 */
export function binnedPlane(raster: GreyRaster, box: Box, factor: number): Plane {
  const width = Math.floor((box.x1 - box.x0) / factor);
  const height = Math.floor((box.y1 - box.y0) / factor);
  const data = new Float32Array(width * height);
  const source = raster.data;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let dy = 0; dy < factor; dy++) {
      let at = (box.y0 + y * factor + dy) * raster.width + box.x0;
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let dx = 0; dx < factor; dx++) sum += source[at++]!;
        data[row + x]! += sum;
      }
    }
  }
  const blockArea = factor * factor;
  for (let i = 0; i < data.length; i++) data[i]! /= blockArea;
  return { width, height, data };
}

/**
 * The summed-area table of a plane, so the mean of any rectangle, with fractional edges, costs
 * four reads. Every window a fingerprint hashes (about 40 per picture) is resampled from it, so
 * none of them re-reads the pixels.
 */
export class SummedArea {
  /** sums[y * (width + 1) + x] = the sum of the pixels above and left of (x, y). */
  private readonly sums: Float64Array;
  private readonly stride: number;

  constructor(readonly plane: Plane) {
    const { width, height, data } = plane;
    const stride = width + 1;
    const sums = new Float64Array(stride * (height + 1));
    for (let y = 0; y < height; y++) {
      let row = 0;
      const above = y * stride + 1;
      const here = above + stride;
      const pixels = y * width;
      for (let x = 0; x < width; x++) {
        row += data[pixels + x]!;
        sums[here + x] = sums[above + x]! + row;
      }
    }
    this.sums = sums;
    this.stride = stride;
  }

  /**
   * Resamples a box into columns × rows cells, each the mean of the pixels it covers (area
   * averaging, so shrinking never aliases). The box must lie inside the plane.
   */
  sample(box: Box, columns: number, rows: number, out = new Float64Array(columns * rows)): Float64Array {
    const { width, height } = this.plane;
    // Where each cell edge falls in the table: an index and a fraction towards the next entry.
    const edges = (from: number, to: number, cells: number, limit: number) => {
      const index = new Int32Array(cells + 1);
      const fraction = new Float64Array(cells + 1);
      for (let i = 0; i <= cells; i++) {
        const position = Math.min(limit, Math.max(0, from + ((to - from) * i) / cells));
        const whole = Math.min(limit - 1, Math.floor(position));
        index[i] = whole;
        fraction[i] = position - whole;
      }
      return { index, fraction };
    };
    const xs = edges(box.x0, box.x1, columns, width);
    const ys = edges(box.y0, box.y1, rows, height);
    const sums = this.sums;
    const corners = new Float64Array((columns + 1) * (rows + 1));
    for (let j = 0; j <= rows; j++) {
      const top = ys.index[j]! * this.stride;
      const bottom = top + this.stride;
      const fy = ys.fraction[j]!;
      for (let i = 0; i <= columns; i++) {
        const x = xs.index[i]!;
        const fx = xs.fraction[i]!;
        const upper = sums[top + x]! + (sums[top + x + 1]! - sums[top + x]!) * fx;
        const lower = sums[bottom + x]! + (sums[bottom + x + 1]! - sums[bottom + x]!) * fx;
        corners[j * (columns + 1) + i] = upper + (lower - upper) * fy;
      }
    }
    const cellArea = ((box.x1 - box.x0) / columns) * ((box.y1 - box.y0) / rows);
    for (let j = 0; j < rows; j++) {
      const top = j * (columns + 1);
      const bottom = top + columns + 1;
      for (let i = 0; i < columns; i++) {
        out[j * columns + i] =
          (corners[bottom + i + 1]! - corners[bottom + i]! - corners[top + i + 1]! + corners[top + i]!) /
          cellArea;
      }
    }
    return out;
  }
}
