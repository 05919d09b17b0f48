import { blurMeasure } from './blur';

/**
 * Image quality metrics: pure functions over an analysis raster (the upright image, resized to fit
 * the size the project delivers, within MIN_ANALYSIS_SIZE..MAX_ANALYSIS_SIZE, 8-bit RGB). The
 * histogram scores do not depend on the size; the blur width is in pixels of the delivered image,
 * so a photo soft at 4000 px can be sharp at the 1024 px a project keeps (see analysis-raster.ts).
 */

/** Rasters are measured with their long side at least this (unless the image is smaller)... */
export const MIN_ANALYSIS_SIZE = 512;
/** ... and at most this: blur finer than a pixel at 1024 px is not judged (cost and noise). */
export const MAX_ANALYSIS_SIZE = 1024;

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
   * Blur of the sharpest region, in the blurriest direction, as the σ in pixels of the Gaussian
   * blur that would give it, at the judged size (blur.ts). A crisp photo measures about 0.6-1;
   * NaN when the picture has no structure at all (a blank frame).
   */
  blurWidth: number;
  /** The direction of that blur, degrees: 0 along rows, 90 along columns, 45 and 135 diagonals. */
  blurAngle: number;
  /** The same width across that direction (90° away): as wide for defocus, far less for motion blur. */
  blurWidthAcross: number;
  /**
   * How strong the sharpest edges are: the RMS luminance step per pixel of the sharpest tiles at
   * the judged size (blur.ts), levels: an entirely defocused frame about 1, real photos far more
   * (docs/calibration.md). NaN when the picture is too small to judge.
   */
  edgeStep: number;
  /** Luminance percentiles, 0..255: the darkest 1 % and 5 %, the median, the brightest 5 % and 1 %. */
  brightnessP1: number;
  brightnessP5: number;
  brightnessP50: number;
  brightnessP95: number;
  brightnessP99: number;
  /**
   * The black level: the darkest 1 % of the darkest of the picture's 3 × 3 regions, 0..255. A
   * washed-out picture has no true black anywhere; haze lifts the blacks of the distance only, and
   * the foreground keeps its shadows.
   */
  blackLevel: number;
  /** Fraction of pixels at 250 or more: blown-out highlights, 0..1. */
  clipped: number;
  /** Spread between the 5th and 95th luminance percentiles, 0..1. */
  contrast: number;
  /** Shannon entropy of the luminance histogram in bits, 0..8. */
  entropy: number;
  /** 99th percentile of per-pixel chroma (max − min of R, G, B), 0..255: near 0 for grey pictures. */
  colourfulness: number;
}

/**
 * What one pass over the pixels gives: the luminance raster (ITU-R BT.601 luma, in integer
 * arithmetic), the histograms of luminance and of chroma (max − min of R, G, B), and the luminance
 * histogram of each of the REGIONS × REGIONS parts of the picture (row-major, 256 bins each).
 */
export interface PixelScan {
  grey: GreyRaster;
  luminance: Uint32Array;
  chroma: Uint32Array;
  regions: Uint32Array;
}

/** The picture is cut into REGIONS × REGIONS parts for the black level (QualityMetrics.blackLevel). */
export const REGIONS = 3;

export function scanPixels(rgb: RgbRaster): PixelScan {
  const { width, height } = rgb;
  const grey = new Uint8Array(width * height);
  const luminance = new Uint32Array(256);
  const chroma = new Uint32Array(256);
  const regions = new Uint32Array(REGIONS * REGIONS * 256);
  // The columns where each region starts, and the end: each row is walked region by region.
  const columnStarts = Array.from({ length: REGIONS + 1 }, (_, region) =>
    Math.ceil((region * width) / REGIONS),
  );
  const src = rgb.data;
  for (let y = 0, i = 0, j = 0; y < height; y++) {
    const rowRegion = Math.floor((y * REGIONS) / height) * REGIONS;
    for (let column = 0; column < REGIONS; column++) {
      const base = (rowRegion + column) * 256;
      for (let x = columnStarts[column]!; x < columnStarts[column + 1]!; x++, i++, j += 3) {
        const r = src[j]!;
        const g = src[j + 1]!;
        const b = src[j + 2]!;
        const luma = ((299 * r + 587 * g + 114 * b + 500) / 1000) | 0;
        grey[i] = luma;
        luminance[luma]!++;
        regions[base + luma]!++;
        const max = r > g ? (r > b ? r : b) : g > b ? g : b;
        const min = r < g ? (r < b ? r : b) : g < b ? g : b;
        chroma[max - min]!++;
      }
    }
  }
  return { grey: { width, height, data: grey }, luminance, chroma, regions };
}

/**
 * `judgedScale`: the judged size over the raster's size, below 1 when the project delivers images
 * smaller than MIN_ANALYSIS_SIZE (a blur shrinks with the picture).
 */
export function measure({ grey, luminance, chroma, regions }: PixelScan, judgedScale = 1): QualityMetrics {
  const blur = blurMeasure(grey);
  const p5 = percentile(luminance, 0.05);
  const p95 = percentile(luminance, 0.95);
  return {
    blurWidth: blur.width * judgedScale,
    blurAngle: blur.angle,
    blurWidthAcross: blur.across * judgedScale,
    // A step per pixel grows as the picture shrinks (the same edge over fewer pixels).
    edgeStep: blur.edgeStep / judgedScale,
    brightnessP1: percentile(luminance, 0.01),
    blackLevel: blackLevel(regions),
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

/** The darkest of the regions' 1st luminance percentiles (a region without pixels does not count). */
function blackLevel(regions: Uint32Array): number {
  let darkest = 255;
  for (let region = 0; region < REGIONS * REGIONS; region++) {
    const bins = regions.subarray(region * 256, (region + 1) * 256);
    if (bins.some((count) => count > 0)) darkest = Math.min(darkest, percentile(bins, 0.01));
  }
  return darkest;
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
