import type { Box, SummedArea } from './grey-raster';

/** A blob centre in raster pixel coordinates, with the strength it was ranked by. */
export interface Blob {
  x: number;
  y: number;
  strength: number;
}

export interface BlobOptions {
  /** At most this many blobs, strongest first. */
  count: number;
  /** Each blob must leave room for a square of this side around it inside the box (raster pixels). */
  clearance: number;
}

/**
 * The detector works on the picture resampled so that √(width × height) is this many cells: blob
 * sizes then scale with the picture, so a resized copy finds the same blobs, and a crop (which
 * changes the picture's size by at most ~12 %) finds them at nearly the same scale.
 */
const GRID_CELLS = 48;
/** Difference of Gaussians: σ in cells, and the ratio of the wider Gaussian (Lowe's 1.6). */
const BLOB_SIGMA = 2;
const SIGMA_RATIO = 1.6;
/** Blobs closer than this (fraction of GRID_CELLS) to a stronger one are dropped: their regions would overlap too much to add anything. */
const MIN_SEPARATION = 0.1;
/** A response weaker than this (grey levels) is texture noise, not a blob. */
const MIN_STRENGTH = 1;

/**
 * The strongest blobs of the picture inside `box`: local extrema of a difference of Gaussians
 * (bright or dark spots about a tenth of the picture across), refined to sub-cell precision. They
 * are anchored to the content, not to the frame, so the same blobs are found after a crop,
 * padding, resizing or a change of brightness, which is what makes the region hashes built on
 * them survive those edits.
 */
export function findBlobs(area: SummedArea, box: Box, options: BlobOptions): Blob[] {
  const boxWidth = box.x1 - box.x0;
  const boxHeight = box.y1 - box.y0;
  const cellSize = Math.sqrt(boxWidth * boxHeight) / GRID_CELLS;
  const columns = Math.max(8, Math.round(boxWidth / cellSize));
  const rows = Math.max(8, Math.round(boxHeight / cellSize));
  const cellWidth = boxWidth / columns;
  const cellHeight = boxHeight / rows;

  const grid = area.sample(box, columns, rows);
  const narrow = gaussianBlur(grid, columns, rows, BLOB_SIGMA);
  const wide = gaussianBlur(grid, columns, rows, BLOB_SIGMA * SIGMA_RATIO);
  const response = narrow.map((value, i) => value - wide[i]!);

  const candidates: Blob[] = [];
  const at = (x: number, y: number): number => response[y * columns + x]!;
  for (let y = 1; y < rows - 1; y++) {
    for (let x = 1; x < columns - 1; x++) {
      const value = at(x, y);
      if (Math.abs(value) < MIN_STRENGTH) continue;
      let isMax = true;
      let isMin = true;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          const neighbour = at(x + dx, y + dy);
          if (neighbour >= value) isMax = false;
          if (neighbour <= value) isMin = false;
        }
      }
      if (!isMax && !isMin) continue;
      // Sub-cell position: the vertex of a parabola through the extremum and its two neighbours, per axis.
      const offsetX = parabolaVertex(at(x - 1, y), value, at(x + 1, y));
      const offsetY = parabolaVertex(at(x, y - 1), value, at(x, y + 1));
      candidates.push({
        x: box.x0 + (x + 0.5 + offsetX) * cellWidth,
        y: box.y0 + (y + 0.5 + offsetY) * cellHeight,
        strength: Math.abs(value),
      });
    }
  }
  candidates.sort((a, b) => b.strength - a.strength);

  const half = options.clearance / 2;
  const minSeparation = MIN_SEPARATION * GRID_CELLS * cellSize;
  const blobs: Blob[] = [];
  for (const candidate of candidates) {
    if (blobs.length >= options.count) break;
    const fits =
      candidate.x - half >= box.x0 - 0.5 &&
      candidate.x + half <= box.x1 + 0.5 &&
      candidate.y - half >= box.y0 - 0.5 &&
      candidate.y + half <= box.y1 + 0.5;
    if (!fits) continue;
    if (blobs.some((blob) => Math.hypot(blob.x - candidate.x, blob.y - candidate.y) < minSeparation))
      continue;
    blobs.push(candidate);
  }
  return blobs;
}

function parabolaVertex(before: number, at: number, after: number): number {
  const curvature = before - 2 * at + after;
  if (curvature === 0) return 0;
  const offset = (before - after) / (2 * curvature);
  return Math.max(-0.5, Math.min(0.5, offset));
}

/** Separable Gaussian blur; near the edges the kernel is renormalised over the cells that exist. */
function gaussianBlur(values: Float64Array, columns: number, rows: number, sigma: number): Float64Array {
  const radius = Math.ceil(sigma * 3);
  const kernel = new Float64Array(2 * radius + 1);
  for (let i = -radius; i <= radius; i++) kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  // 1 / (sum of the kernel weights that fall inside), per position along an axis of a given length.
  const normalisers = (length: number): Float64Array =>
    Float64Array.from({ length }, (_, position) => {
      let weight = 0;
      for (let i = Math.max(-radius, -position); i <= Math.min(radius, length - 1 - position); i++) {
        weight += kernel[i + radius]!;
      }
      return 1 / weight;
    });

  const across = new Float64Array(values.length);
  const acrossNorm = normalisers(columns);
  for (let y = 0; y < rows; y++) {
    const row = y * columns;
    for (let x = 0; x < columns; x++) {
      const from = Math.max(-radius, -x);
      const to = Math.min(radius, columns - 1 - x);
      let sum = 0;
      for (let i = from; i <= to; i++) sum += kernel[i + radius]! * values[row + x + i]!;
      across[row + x] = sum * acrossNorm[x]!;
    }
  }
  const blurred = new Float64Array(values.length);
  const downNorm = normalisers(rows);
  for (let y = 0; y < rows; y++) {
    const from = Math.max(-radius, -y);
    const to = Math.min(radius, rows - 1 - y);
    const norm = downNorm[y]!;
    const row = y * columns;
    for (let i = from; i <= to; i++) {
      const k = kernel[i + radius]! * norm;
      const source = (y + i) * columns;
      for (let x = 0; x < columns; x++) blurred[row + x]! += k * across[source + x]!;
    }
  }
  return blurred;
}
