import type { GreyRaster } from './metrics';

/**
 * How blurred the sharpest part of a picture is, as the width of the Gaussian blur that would make
 * a crisp edge look like it: a pure function over luminance.
 *
 * A blur of width σ turns an edge's first difference into a bump σ wide, so the energy of the
 * second difference relative to the first falls as 1/(2σ²) (for a Gaussian, exactly). That ratio
 * does not depend on the edge's contrast: a foggy, dim or low-contrast scene with crisp edges
 * scores as sharp as a bright one. It is measured along four directions (0°, 45°, 90°, 135°), and
 * the blurriest direction is reported, because motion blur smears along one direction only.
 *
 * Only the picture's most structured tiles count (the top STRUCTURED_SHARE of tiles by edge
 * energy, per direction): crisp edges carry far more first-difference energy than blurred ones,
 * so a sharp subject in front of a defocused background (shallow depth of field) is judged on
 * the subject, and flat areas (sky, snow, fog, night) whose differences are only noise do not
 * count (their differences, sensor noise and JPEG ringing, are estimated on the flattest tiles
 * and taken out).
 */
export interface BlurMeasure {
  /** Equivalent Gaussian σ in pixels of the measured raster, blurriest direction; NaN without structure. */
  width: number;
  /** That direction, degrees (0 along rows, 90 along columns). */
  angle: number;
  /** The width across it (90° away): about `width` for defocus, far less for motion blur. */
  across: number;
  /**
   * The root-mean-square luminance step per pixel (levels, noise taken out) of the sharpest tiles,
   * in their sharpest direction: how strong the strongest edges are. A picture blurred so far that
   * nothing is left but smooth gradients (an entirely defocused frame) has almost none, and its
   * width, measured on what remains (JPEG block edges, noise), says nothing. NaN when not judged.
   */
  edgeStep: number;
}

/** Tile side, pixels of the measured raster. */
const TILE = 32;
/** Share of tiles, by first-difference energy, that a direction's width is measured on. */
const STRUCTURED_SHARE = 0.1;
/**
 * A picture of fewer tiles (under about 130 × 100 pixels) is not judged: a handful of tiles is too
 * few to find its sharpest part, and a thumbnail's blur does not matter.
 */
const MIN_JUDGED_TILES = 12;
/** At least this many tiles, when the picture has them. */
const MIN_TILES = 4;

/** The noise estimate: this quantile of the tiles' second-difference energy (the flattest tiles). */
const NOISE_QUANTILE = 0.1;

/**
 * Noise variance per pixel, from the flattest tiles: a flat tile's second differences are all
 * noise (6v per pixel for white noise of variance v). In a picture without flat areas the
 * estimate is high, but then its structured tiles' energy dwarfs it.
 */
function noiseVariance(first: Float64Array, second: Float64Array, tiles: number): number {
  const perTile = new Float64Array(tiles);
  for (let t = 0; t < tiles; t++) {
    let least = Number.POSITIVE_INFINITY;
    for (let d = 0; d < DIRECTIONS.length; d++) least = Math.min(least, second[d * tiles + t]!);
    perTile[t] = least / (6 * TILE * TILE);
  }
  perTile.sort();
  return perTile[Math.floor((tiles - 1) * NOISE_QUANTILE)]!;
}

const DIRECTIONS: ReadonlyArray<{ dx: number; dy: number; angle: number }> = [
  { dx: 1, dy: 0, angle: 0 },
  { dx: 1, dy: 1, angle: 45 },
  { dx: 0, dy: 1, angle: 90 },
  { dx: -1, dy: 1, angle: 135 },
];

export function blurMeasure(grey: GreyRaster): BlurMeasure {
  const { width, height, data } = grey;
  const margin = 2;
  const tilesX = Math.floor((width - 2 * margin) / TILE);
  const tilesY = Math.floor((height - 2 * margin) / TILE);
  if (tilesX * tilesY < MIN_JUDGED_TILES)
    return { width: Number.NaN, angle: 0, across: Number.NaN, edgeStep: Number.NaN };
  const tiles = tilesX * tilesY;
  // first[d * tiles + t], second[...]: energy of the first and second differences per tile
  const first = new Float64Array(DIRECTIONS.length * tiles);
  const second = new Float64Array(DIRECTIONS.length * tiles);
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      const t = ty * tilesX + tx;
      const x0 = margin + tx * TILE;
      const y0 = margin + ty * TILE;
      for (let d = 0; d < DIRECTIONS.length; d++) {
        const { dx, dy } = DIRECTIONS[d]!;
        const step = dy * width + dx;
        let e1 = 0;
        let e2 = 0;
        for (let y = y0; y < y0 + TILE; y++) {
          let at = y * width + x0;
          for (let x = 0; x < TILE; x++, at++) {
            const centre = data[at]!;
            const ahead = data[at + step]!;
            const d1 = ahead - centre;
            const d2 = ahead - 2 * centre + data[at - step]!;
            e1 += d1 * d1;
            e2 += d2 * d2;
          }
        }
        first[d * tiles + t] = e1;
        second[d * tiles + t] = e2;
      }
    }
  }
  const noise = noiseVariance(first, second, tiles);
  const take = Math.max(MIN_TILES, Math.round(tiles * STRUCTURED_SHARE));
  const order = new Int32Array(tiles);
  const widths = new Float64Array(DIRECTIONS.length).fill(Number.NaN);
  let edgeStep = 0;
  for (let d = 0; d < DIRECTIONS.length; d++) {
    for (let t = 0; t < tiles; t++) order[t] = t;
    const base = d * tiles;
    order.sort((a, b) => first[base + b]! - first[base + a]!);
    let e1 = 0;
    let e2 = 0;
    let pixels = 0;
    for (let i = 0; i < take; i++) {
      const t = order[i]!;
      e1 += first[base + t]!;
      e2 += second[base + t]!;
      pixels += TILE * TILE;
    }
    // Noise adds 2v to every squared first difference and 6v to every squared second one: taken
    // out, a blurred edge under sensor noise or JPEG ringing is not mistaken for a crisp one.
    e1 -= 2 * noise * pixels;
    e2 -= 6 * noise * pixels;
    if (e1 <= 0) continue;
    edgeStep = Math.max(edgeStep, Math.sqrt(e1 / pixels));
    if (e2 < 1e-9 * e1) e2 = 1e-9 * e1;
    const { dx, dy } = DIRECTIONS[d]!;
    // A diagonal step is √2 pixels long: widths are in pixels whatever the direction.
    const stepLength = dx !== 0 && dy !== 0 ? Math.SQRT2 : 1;
    widths[d] = stepLength * Math.sqrt(e1 / (2 * e2));
  }
  let worst = -1;
  for (let d = 0; d < DIRECTIONS.length; d++)
    if (!(widths[d]! <= (worst < 0 ? -1 : widths[worst]!))) worst = d;
  if (worst < 0 || Number.isNaN(widths[worst]!))
    return { width: Number.NaN, angle: 0, across: Number.NaN, edgeStep };
  return {
    width: widths[worst]!,
    angle: DIRECTIONS[worst]!.angle,
    across: widths[(worst + 2) % DIRECTIONS.length]!,
    edgeStep,
  };
}
