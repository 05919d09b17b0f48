// Box maths for the face detector: the tile plan that lets a 512 px detector see small faces in
// big photos, the mapping of a tile's boxes back to the image, and the merge (NMS) of the boxes
// that overlapping tiles and pyramid levels find twice. Pure functions, no pixels.

/** An axis-aligned box in pixels of the upright image; x, y is the top-left corner. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ScoredBox extends Box {
  score: number;
}

/**
 * One detector pass: the region of the source image it looks at, shrunk by `step` (an integer
 * block average, cheap and alias-free) and then resized to `outWidth` x `outHeight`.
 */
export interface Tile extends Box {
  /** Block-average factor applied to the region before the final resize (1 = none). */
  step: number;
  outWidth: number;
  outHeight: number;
}

export interface TilePlanOptions {
  /** The detector's input side: SSD-MobileNet v1 resizes every input to 512 x 512. */
  tileSize?: number;
  /**
   * Scales of the tiled pyramid levels (1 = full resolution, 0.5 = half). A level whose tiles
   * would cover the whole image adds nothing to the whole-image pass and is skipped.
   */
  scales?: readonly number[];
  /** Overlap of neighbouring tiles, as a fraction of the tile: the largest face a level must see whole. */
  overlap?: number;
  /**
   * Longest side of the whole-image pass. SSD-MobileNet v1 resizes every input to 512 x 512
   * anyway, so more would only cost memory; the skip rule below relies on it being what the
   * detector really sees.
   */
  wholeImageSide?: number;
}

export const DEFAULT_TILE_PLAN: Required<TilePlanOptions> = {
  tileSize: 512,
  scales: [0.5, 1],
  overlap: 0.25,
  wholeImageSide: 512,
};

/**
 * The passes over a width x height image: one over the whole image (shrunk so its longest side is
 * at most wholeImageSide: a 1024 px image is seen at half resolution), then for each scale a grid of overlapping tiles of tileSize / scale
 * source pixels, each resized to at most tileSize. Tiles at the right and bottom edges are shifted
 * inwards rather than cut short, so every tile has the full size when the image allows it.
 */
export function planTiles(width: number, height: number, options: TilePlanOptions = {}): Tile[] {
  const { tileSize, scales, overlap, wholeImageSide } = { ...DEFAULT_TILE_PLAN, ...options };
  if (!(width > 0 && height > 0)) throw new RangeError(`image size must be positive, not ${width}x${height}`);
  const tiles: Tile[] = [wholeTile(width, height, wholeImageSide)];
  const wholeScale = Math.min(1, wholeImageSide / Math.max(width, height));
  for (const scale of scales) {
    // The whole-image pass already sees this image at (at least) this scale.
    if (wholeScale >= scale) continue;
    const span = Math.round(tileSize / scale);
    const stride = Math.max(1, Math.round(span * (1 - overlap)));
    const step = Math.max(1, Math.floor(1 / scale));
    for (const y of starts(height, span, stride)) {
      for (const x of starts(width, span, stride)) {
        const w = Math.min(span, width - x);
        const h = Math.min(span, height - y);
        tiles.push({
          x,
          y,
          width: w,
          height: h,
          step,
          outWidth: Math.max(1, Math.round(w * scale)),
          outHeight: Math.max(1, Math.round(h * scale)),
        });
      }
    }
  }
  return tiles;
}

function wholeTile(width: number, height: number, side: number): Tile {
  const scale = Math.min(1, side / Math.max(width, height));
  return {
    x: 0,
    y: 0,
    width,
    height,
    step: Math.max(1, Math.floor(1 / scale)),
    outWidth: Math.max(1, Math.round(width * scale)),
    outHeight: Math.max(1, Math.round(height * scale)),
  };
}

/** Start offsets of tiles of `span` along a side of `length`, `stride` apart, the last one flush with the end. */
export function starts(length: number, span: number, stride: number): number[] {
  if (length <= span) return [0];
  const result: number[] = [];
  for (let s = 0; s + span < length; s += stride) result.push(s);
  result.push(length - span);
  return result;
}

/** A box found in a tile's resized pixels, mapped back to the source image's pixels. */
export function mapFromTile(box: ScoredBox, tile: Tile): ScoredBox {
  const sx = tile.width / tile.outWidth;
  const sy = tile.height / tile.outHeight;
  return {
    x: tile.x + box.x * sx,
    y: tile.y + box.y * sy,
    width: box.width * sx,
    height: box.height * sy,
    score: box.score,
  };
}

/**
 * True when a box (in source pixels) touches a side of its tile that lies inside the image: the
 * face is probably cut there, and the overlap guarantees a neighbouring tile (or a coarser level)
 * sees it whole, so the partial box is dropped rather than merged.
 */
export function touchesInnerEdge(box: Box, tile: Tile, imageWidth: number, imageHeight: number): boolean {
  const slack = 2 * Math.max(tile.width / tile.outWidth, 1);
  const left = tile.x > 0 && box.x <= tile.x + slack;
  const top = tile.y > 0 && box.y <= tile.y + slack;
  const right = tile.x + tile.width < imageWidth && box.x + box.width >= tile.x + tile.width - slack;
  const bottom = tile.y + tile.height < imageHeight && box.y + box.height >= tile.y + tile.height - slack;
  return left || top || right || bottom;
}

export function area(box: Box): number {
  return Math.max(0, box.width) * Math.max(0, box.height);
}

export function intersection(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression, best score first. A box is a duplicate of a kept one when their
 * IoU exceeds `iouThreshold`, or when most of the smaller one lies inside the other: a face found
 * whole at one pyramid level and as a part (an eye and nose) at another has a low IoU but a high
 * containment. Then the kept box takes the larger one's extent (with the better score), so a
 * confident part never stands in for the whole face it belongs to — a redaction must cover it all.
 */
export function mergeBoxes<T extends ScoredBox>(
  boxes: readonly T[],
  iouThreshold = 0.3,
  containThreshold = 0.7,
): T[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const box of sorted) {
    const at = kept.findIndex((k) => {
      const inter = intersection(k, box);
      if (inter === 0) return false;
      const union = area(k) + area(box) - inter;
      return inter / union > iouThreshold || inter / Math.min(area(k), area(box)) > containThreshold;
    });
    if (at < 0) kept.push(box);
    else if (
      area(box) > area(kept[at]!) &&
      intersection(kept[at]!, box) / area(kept[at]!) > containThreshold
    ) {
      kept[at] = { ...box, score: kept[at]!.score };
    }
  }
  return kept;
}

/** The box grown by `ratio` of its size on every side, clipped to the image; integer pixel edges. */
export function expandBox(box: Box, ratio: number, imageWidth: number, imageHeight: number): Box {
  const dx = box.width * ratio;
  const dy = box.height * ratio;
  const x0 = Math.max(0, Math.floor(box.x - dx));
  const y0 = Math.max(0, Math.floor(box.y - dy));
  const x1 = Math.min(imageWidth, Math.ceil(box.x + box.width + dx));
  const y1 = Math.min(imageHeight, Math.ceil(box.y + box.height + dy));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** The box clipped to the image, with coordinates rounded to whole pixels (for reports). */
export function roundBox<T extends ScoredBox>(box: T, imageWidth: number, imageHeight: number): ScoredBox {
  const x0 = Math.max(0, Math.round(box.x));
  const y0 = Math.max(0, Math.round(box.y));
  const x1 = Math.min(imageWidth, Math.round(box.x + box.width));
  const y1 = Math.min(imageHeight, Math.round(box.y + box.height));
  return {
    x: x0,
    y: y0,
    width: Math.max(0, x1 - x0),
    height: Math.max(0, y1 - y0),
    score: Math.round(box.score * 1000) / 1000,
  };
}

/** A face's size for size buckets: the shorter side of its box. */
export function faceSize(box: Box): number {
  return Math.min(box.width, box.height);
}
