// Licence plates as text of a plate's shape: the passes of the text detector (PP-OCRv4) and the
// rule that keeps, of the text lines it finds, those shaped like a plate. Pure, no pixels. No
// permissively licensed plate detector ships in a registry package (libs/redaction/README.md);
// a plate is a short line of large characters, which the text detector finds on any vehicle.
import { evenTiles, type ScoredBox, type Tile } from './boxes';

export interface PlatePlanOptions {
  /** Longest side of the whole-image text pass (PaddleOCR's default limit is 960). */
  textSide?: number;
  /** Side of the full-resolution tiles run over images larger than twice textSide (0: none). */
  fineTileSide?: number;
  /** Mean text probability from which a region counts (PaddleOCR's box threshold is 0.6). */
  minTextScore?: number;
  /** Width over height of a plate's box, after the detector's margin: single-line plates. */
  minAspect?: number;
  maxAspect?: number;
  /** Smallest plate box height (source px): below it nothing is readable. */
  minHeight?: number;
}

export const DEFAULT_PLATE_PLAN: Required<PlatePlanOptions> = {
  textSide: 960,
  fineTileSide: 0,
  minTextScore: 0.6,
  minAspect: 1.2,
  maxAspect: 8,
  minHeight: 8,
};

/** The text passes: the whole image at textSide, and full-resolution tiles when asked. */
export function planTextTiles(width: number, height: number, options: PlatePlanOptions = {}): Tile[] {
  const plan = { ...DEFAULT_PLATE_PLAN, ...options };
  const scale = Math.min(1, plan.textSide / Math.max(width, height));
  const tiles: Tile[] = [
    {
      x: 0,
      y: 0,
      width,
      height,
      outWidth: Math.max(1, Math.round(width * scale)),
      outHeight: Math.max(1, Math.round(height * scale)),
      turn: 'none',
    },
  ];
  if (plan.fineTileSide > 0 && scale < 0.5) {
    // A plate is short: an eighth of a tile of overlap sees every readable one whole.
    const columns = evenTiles(width, plan.fineTileSide, plan.fineTileSide >> 3);
    const rows = evenTiles(height, plan.fineTileSide, plan.fineTileSide >> 3);
    for (const y of rows.starts) {
      for (const x of columns.starts) {
        const [w, h] = [columns.span, rows.span];
        tiles.push({ x, y, width: w, height: h, outWidth: w, outHeight: h, turn: 'none' });
      }
    }
  }
  return tiles;
}

/** The text boxes shaped like a single-line licence plate. */
export function plateBoxes<T extends ScoredBox>(texts: readonly T[], options: PlatePlanOptions = {}): T[] {
  const plan = { ...DEFAULT_PLATE_PLAN, ...options };
  return texts.filter((box) => {
    const aspect = box.width / box.height;
    return box.height >= plan.minHeight && aspect >= plan.minAspect && aspect <= plan.maxAspect;
  });
}
