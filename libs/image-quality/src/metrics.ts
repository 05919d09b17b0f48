/**
 * Image quality metrics: pure functions over an analysis raster (the upright image, resized to fit
 * inside ANALYSIS_SIZE × ANALYSIS_SIZE, 8-bit RGB). Because every image is measured at the same
 * size, a threshold means the same for a 0.3 MP and a 48 MP photo.
 */

/** The long side, in pixels, images are measured at (never enlarged). */
export const ANALYSIS_SIZE = 512;

/** An upright 8-bit RGB image, 3 bytes per pixel, row-major. */
export interface RgbRaster {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Luminance, 1 byte per pixel, row-major. */
export interface GreyRaster {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface QualityMetrics {
  /**
   * Blur effect (Crété-Roffet et al., 2007): 0 for a perfectly sharp image, 1 for one with no
   * detail left to lose. Sums over edges, so large smooth areas (sky, snow, studio backdrops) do
   * not make a sharp photo look blurred. NaN when the image has no edges at all.
   */
  blur: number;
  /** Luminance percentiles, 0..255: the darkest 1 % and 5 %, the median, the brightest 5 % and 1 %. */
  brightnessP1: number;
  brightnessP5: number;
  brightnessP50: number;
  brightnessP95: number;
  brightnessP99: number;
  /** Fraction of pixels at 250 or more: blown-out highlights, 0..1. */
  clipped: number;
  /** Spread between the 5th and 95th luminance percentiles, 0..1. */
  contrast: number;
  /** Shannon entropy of the luminance histogram in bits, 0..8. */
  entropy: number;
  /** 99th percentile of per-pixel chroma (max − min of R, G, B), 0..255: near 0 for grey pictures. */
  colourfulness: number;
}

/** ITU-R BT.601 luma, in integer arithmetic. */
export function toGrey(rgb: RgbRaster): GreyRaster {
  const pixels = rgb.width * rgb.height;
  const grey = new Uint8Array(pixels);
  const src = rgb.data;
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    grey[i] = (299 * src[j]! + 587 * src[j + 1]! + 114 * src[j + 2]! + 500) / 1000;
  }
  return { width: rgb.width, height: rgb.height, data: grey };
}

export function measure(rgb: RgbRaster, grey: GreyRaster = toGrey(rgb)): QualityMetrics {
  const luminance = histogram(grey.data);
  const chroma = chromaHistogram(rgb);
  const p5 = percentile(luminance, 0.05);
  const p95 = percentile(luminance, 0.95);
  return {
    blur: blurEffect(grey),
    brightnessP1: percentile(luminance, 0.01),
    brightnessP5: p5,
    brightnessP50: percentile(luminance, 0.5),
    brightnessP95: p95,
    brightnessP99: percentile(luminance, 0.99),
    clipped: fractionAtLeast(luminance, 250),
    contrast: (p95 - p5) / 255,
    entropy: entropy(luminance),
    colourfulness: percentile(chroma, 0.99),
  };
}

function histogram(values: Uint8Array): Uint32Array {
  const bins = new Uint32Array(256);
  for (let i = 0; i < values.length; i++) bins[values[i]!]!++;
  return bins;
}

function chromaHistogram(rgb: RgbRaster): Uint32Array {
  const bins = new Uint32Array(256);
  const src = rgb.data;
  for (let j = 0; j < src.length; j += 3) {
    const r = src[j]!;
    const g = src[j + 1]!;
    const b = src[j + 2]!;
    const max = r > g ? (r > b ? r : b) : g > b ? g : b;
    const min = r < g ? (r < b ? r : b) : g < b ? g : b;
    bins[max - min]!++;
  }
  return bins;
}

/** The smallest value v such that at least `fraction` of the samples are ≤ v. */
export function percentile(bins: Uint32Array, fraction: number): number {
  let total = 0;
  for (const count of bins) total += count;
  const target = Math.max(1, Math.ceil(total * fraction));
  let seen = 0;
  for (let v = 0; v < bins.length; v++) {
    seen += bins[v]!;
    if (seen >= target) return v;
  }
  return bins.length - 1;
}

function fractionAtLeast(bins: Uint32Array, value: number): number {
  let total = 0;
  let above = 0;
  for (let v = 0; v < bins.length; v++) {
    total += bins[v]!;
    if (v >= value) above += bins[v]!;
  }
  return total === 0 ? 0 : above / total;
}

function entropy(bins: Uint32Array): number {
  let total = 0;
  for (const count of bins) total += count;
  let bits = 0;
  for (const count of bins) {
    if (count === 0) continue;
    const p = count / total;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Width of the box filter that re-blurs the image (the reference implementation's 11). */
const REBLUR_WIDTH = 11;

/**
 * Blur effect: re-blur the image with a box filter and see how much of its neighbour-to-neighbour
 * variation that removes. A sharp image loses much of it; an already blurred one loses little.
 * Computed along rows and along columns; the blurrier direction is reported (motion blur is
 * one-directional). Same definition as scikit-image's `measure.blur_effect`.
 */
export function blurEffect(grey: GreyRaster): number {
  const { width, height, data } = grey;
  if (width < REBLUR_WIDTH + 2 || height < REBLUR_WIDTH + 2) return Number.NaN;
  const half = REBLUR_WIDTH >> 1;
  // Integer arithmetic throughout: box sums stand in for box means, so every difference of the
  // sharp image is scaled by REBLUR_WIDTH to compare with a difference of box sums.
  let rowVariation = 0;
  let rowLost = 0;
  const boxSums = new Int32Array(width);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let sum = 0;
    for (let k = -half; k <= half; k++) sum += data[row + clamp(k, width)]!;
    for (let x = 0; x < width; x++) {
      boxSums[x] = sum;
      sum += data[row + clamp(x + half + 1, width)]! - data[row + clamp(x - half, width)]!;
    }
    // Border pixels are skipped where the box filter saw replicated pixels.
    for (let x = half + 1; x < width - half; x++) {
      const sharpDiff = abs(data[row + x]! - data[row + x - 1]!) * REBLUR_WIDTH;
      const blurDiff = abs(boxSums[x]! - boxSums[x - 1]!);
      rowVariation += sharpDiff;
      if (sharpDiff > blurDiff) rowLost += sharpDiff - blurDiff;
    }
  }

  // Columns, walked row by row (cache-friendly): columnSums holds each column's box sum centred on
  // the current row, previousSums the one centred on the row above.
  let columnVariation = 0;
  let columnLost = 0;
  const columnSums = new Int32Array(width);
  const previousSums = new Int32Array(width);
  for (let k = -half; k <= half; k++) {
    const row = clamp(k, height) * width;
    for (let x = 0; x < width; x++) columnSums[x]! += data[row + x]!;
  }
  for (let y = 0; y < height; y++) {
    if (y > half && y < height - half) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const sharpDiff = abs(data[row + x]! - data[row - width + x]!) * REBLUR_WIDTH;
        const blurDiff = abs(columnSums[x]! - previousSums[x]!);
        columnVariation += sharpDiff;
        if (sharpDiff > blurDiff) columnLost += sharpDiff - blurDiff;
      }
    }
    previousSums.set(columnSums);
    const entering = clamp(y + half + 1, height) * width;
    const leaving = clamp(y - half, height) * width;
    for (let x = 0; x < width; x++) columnSums[x]! += data[entering + x]! - data[leaving + x]!;
  }

  if (rowVariation === 0 || columnVariation === 0) return Number.NaN;
  return Math.max((rowVariation - rowLost) / rowVariation, (columnVariation - columnLost) / columnVariation);
}

// Not Math.abs: under Jest's sandboxed globals every Math call in a hot loop costs ~40× more.
const abs = (value: number): number => (value < 0 ? -value : value);

function clamp(index: number, length: number): number {
  return index < 0 ? 0 : index >= length ? length - 1 : index;
}
