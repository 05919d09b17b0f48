import type { Box, GreyRaster } from './grey-raster';

/**
 * A border line (row or column) counts as uniform when its pixels spread less than this (standard
 * deviation, grey levels) and its mean stays this close to the outermost line's. Letterbox bars
 * and padding are flat to within JPEG noise (about 1); natural flat areas such as a clear sky
 * drift by more than this over a few lines, so trimming stops soon inside them.
 */
const UNIFORM_LINE_MAX_DEVIATION = 3;
const UNIFORM_BAND_MAX_DRIFT = 3;

/** Trimming never leaves less than this fraction of a side (nor fewer than 16 pixels). */
const MIN_KEPT_FRACTION = 0.1;
const MIN_KEPT_PIXELS = 16;

type Side = 'top' | 'bottom' | 'left' | 'right';
const SIDES: Side[] = ['top', 'bottom', 'left', 'right'];

/**
 * The picture inside a raster once uniform bands along its edges are cut off: letterboxing,
 * pillarboxing and padding of any flat colour. Sides are trimmed in turn until none changes, so
 * a black bar followed by a flat sky ends where the same sky would end in the unpadded copy.
 */
export function trimUniformBorders(raster: GreyRaster): Box {
  const { width, height, data } = raster;
  const box = { x0: 0, y0: 0, x1: width, y1: height };
  const minWidth = Math.max(MIN_KEPT_PIXELS, Math.floor(width * MIN_KEPT_FRACTION));
  const minHeight = Math.max(MIN_KEPT_PIXELS, Math.floor(height * MIN_KEPT_FRACTION));

  // Mean and standard deviation of one row (horizontal) or column, within the current box.
  const lineStats = (horizontal: boolean, at: number): { mean: number; deviation: number } => {
    const [from, to] = horizontal ? [box.x0, box.x1] : [box.y0, box.y1];
    let sum = 0;
    let squares = 0;
    for (let i = from; i < to; i++) {
      const value = horizontal ? data[at * width + i]! : data[i * width + at]!;
      sum += value;
      squares += value * value;
    }
    const n = to - from;
    const mean = sum / n;
    return { mean, deviation: Math.sqrt(Math.max(0, squares / n - mean * mean)) };
  };

  const outermost = (side: Side): number =>
    side === 'top' ? box.y0 : side === 'bottom' ? box.y1 - 1 : side === 'left' ? box.x0 : box.x1 - 1;

  let changed = true;
  while (changed) {
    changed = false;
    for (const side of SIDES) {
      const horizontal = side === 'top' || side === 'bottom';
      const border = lineStats(horizontal, outermost(side));
      if (border.deviation > UNIFORM_LINE_MAX_DEVIATION) continue;
      for (;;) {
        const kept = horizontal ? box.y1 - box.y0 : box.x1 - box.x0;
        if (kept <= (horizontal ? minHeight : minWidth)) break;
        const line = lineStats(horizontal, outermost(side));
        if (
          line.deviation > UNIFORM_LINE_MAX_DEVIATION ||
          Math.abs(line.mean - border.mean) > UNIFORM_BAND_MAX_DRIFT
        ) {
          break;
        }
        if (side === 'top') box.y0++;
        else if (side === 'bottom') box.y1--;
        else if (side === 'left') box.x0++;
        else box.x1--;
        changed = true;
      }
    }
  }
  return box;
}
