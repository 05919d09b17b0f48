// Box maths for the detectors: the pass plan that lets the face detector see small faces in big
// photos at a bounded cost, the mapping of a tile's boxes back to the image, and the merge (NMS) of the boxes
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
  /**
   * A face's five landmarks as x0, y0, ..., x4, y4 (the model's eyes, nose tip, mouth corners, each
   * pair in the face's own order, kept when a pass was mirrored); absent for other boxes.
   */
  landmarks?: number[];
}

/** How a pass's pixels are turned before the detector sees them (undone on its boxes). */
export type PassTurn = 'none' | 'flip' | 'rotate180';

/**
 * One detector pass: the region of the source image it looks at, resized to `outWidth` x
 * `outHeight` and turned by `turn`.
 */
export interface Tile extends Box {
  outWidth: number;
  outHeight: number;
  turn: PassTurn;
}

export interface TilePlanOptions {
  /**
   * The smallest face (source px) to find. The fine level's scale brings it to `reliableFacePx`
   * at the detector, at most `maxScale`.
   */
  minFaceSize?: number;
  /** The face size (detector px) from which CenterFace finds faces reliably (measured: eval-faces). */
  reliableFacePx?: number;
  /** Upper bound of the fine level's scale (above 1 the image is enlarged). */
  maxScale?: number;
  /**
   * Longest side of the coarse whole-image pass that finds the faces too big for a fine tile; run
   * only when the fine level is tiled (a single fine pass sees big faces itself).
   */
  coarseSide?: number;
  /** Longest side of one fine tile at the detector; larger images are tiled. */
  tileSide?: number;
  /**
   * Overlap of neighbouring fine tiles, in detector px: the largest face a tile must see whole
   * (bigger ones reach the coarse pass at reliableFacePx or more).
   */
  overlapPx?: number;
  /**
   * Longest side of a whole-image pass run upside down (heads upside down, cameras held upside
   * down); 0 for none.
   */
  rotate180Side?: number;
  /** Also run the fine level mirrored (the model is not symmetric: profiles it misses one way). */
  flip?: boolean;
}

export const DEFAULT_TILE_PLAN: Required<TilePlanOptions> = {
  minFaceSize: 16,
  reliableFacePx: 16,
  maxScale: 1,
  coarseSide: 1024,
  tileSide: 1600,
  overlapPx: 96,
  rotate180Side: 640,
  flip: false,
};

/**
 * The passes over a width x height image: the fine level at the scale that shows minFaceSize faces
 * at reliableFacePx (at most maxScale), as one pass when it fits tileSide, else as tiles
 * overlapping by overlapPx plus a coarse whole-image pass (coarseSide) for the faces too big for a
 * tile; and a small whole-image pass upside down. Tiles at the right and bottom edges are shifted
 * inwards rather than cut short.
 */
export function planTiles(width: number, height: number, options: TilePlanOptions = {}): Tile[] {
  const plan = { ...DEFAULT_TILE_PLAN, ...options };
  if (!(width > 0 && height > 0)) throw new RangeError(`image size must be positive, not ${width}x${height}`);
  const long = Math.max(width, height);
  const fineScale = Math.min(plan.maxScale, plan.reliableFacePx / plan.minFaceSize);
  const turns: PassTurn[] = plan.flip ? ['none', 'flip'] : ['none'];
  const tiles: Tile[] = [];
  if (long * fineScale <= plan.tileSide) {
    for (const turn of turns) tiles.push(scaledTile(0, 0, width, height, fineScale, turn));
  } else {
    const coarseScale = Math.min(fineScale, plan.coarseSide / long);
    tiles.push(scaledTile(0, 0, width, height, coarseScale, 'none'));
    const maxSpan = Math.round(plan.tileSide / fineScale);
    const overlap = Math.round(plan.overlapPx / fineScale);
    const columns = evenTiles(width, maxSpan, overlap);
    const rows = evenTiles(height, maxSpan, overlap);
    for (const y of rows.starts) {
      for (const x of columns.starts) {
        for (const turn of turns) tiles.push(scaledTile(x, y, columns.span, rows.span, fineScale, turn));
      }
    }
  }
  if (plan.rotate180Side > 0) {
    tiles.push(scaledTile(0, 0, width, height, Math.min(1, plan.rotate180Side / long), 'rotate180'));
  }
  return tiles;
}

function scaledTile(
  x: number,
  y: number,
  width: number,
  height: number,
  scale: number,
  turn: PassTurn,
): Tile {
  return {
    x,
    y,
    width,
    height,
    outWidth: Math.max(1, Math.round(width * scale)),
    outHeight: Math.max(1, Math.round(height * scale)),
    turn,
  };
}

/**
 * The fewest tiles of at most maxSpan that cover a side of `length` with neighbours overlapping by
 * at least `overlap`, all of one span (as small as that allows: no pixel is run more often than
 * needed) and evenly spaced, the last one flush with the end.
 */
export function evenTiles(
  length: number,
  maxSpan: number,
  overlap: number,
): { span: number; starts: number[] } {
  if (length <= maxSpan) return { span: length, starts: [0] };
  const count = Math.ceil((length - overlap) / (maxSpan - overlap));
  const span = Math.min(maxSpan, Math.ceil((length + (count - 1) * overlap) / count));
  const stride = (length - span) / (count - 1);
  return { span, starts: Array.from({ length: count }, (_, i) => Math.round(i * stride)) };
}

/** A box found in a tile's turned, resized pixels, mapped back to the source image's pixels. */
export function mapFromTile(box: ScoredBox, tile: Tile): ScoredBox {
  let { x, y } = box;
  if (tile.turn === 'flip' || tile.turn === 'rotate180') x = tile.outWidth - box.x - box.width;
  if (tile.turn === 'rotate180') y = tile.outHeight - box.y - box.height;
  const sx = tile.width / tile.outWidth;
  const sy = tile.height / tile.outHeight;
  const mapped: ScoredBox = {
    x: tile.x + x * sx,
    y: tile.y + y * sy,
    width: box.width * sx,
    height: box.height * sy,
    score: box.score,
  };
  if (box.landmarks) mapped.landmarks = mapLandmarks(box.landmarks, tile, sx, sy);
  return mapped;
}

/**
 * Landmarks of a pass mapped back like its boxes. A mirrored pass saw the face mirrored: its "left
 * eye" is the face's right one, so the pairs (eyes, mouth corners) are swapped back; a pass turned
 * by 180° saw the face the right way round, so its order stands.
 */
function mapLandmarks(points: readonly number[], tile: Tile, sx: number, sy: number): number[] {
  const mirrored = tile.turn === 'flip' || tile.turn === 'rotate180';
  const mapped = points.map((value, i) =>
    i % 2 === 0
      ? tile.x + (mirrored ? tile.outWidth - value : value) * sx
      : tile.y + (tile.turn === 'rotate180' ? tile.outHeight - value : value) * sy,
  );
  if (tile.turn !== 'flip' || mapped.length !== 10) return mapped;
  const point = (i: number) => mapped.slice(i * 2, i * 2 + 2);
  return [...point(1), ...point(0), ...point(2), ...point(4), ...point(3)];
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
    ...(box.landmarks && { landmarks: box.landmarks.map((value) => Math.round(value * 10) / 10) }),
  };
}

/** A face's size for size buckets: the shorter side of its box. */
export function faceSize(box: Box): number {
  return Math.min(box.width, box.height);
}
