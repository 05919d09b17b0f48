/** The face size (detector pixels) from which SSD-MobileNet v1 finds faces reliably (libs/redaction's evaluation). */
const RELIABLE_FACE_PX = 24;
/** The side the detector sees: its whole-image pass shrinks the image to it. */
const DETECTOR_SIDE = 512;
/** The tile levels of libs/redaction's default plan: half and full resolution. */
const LEVELS = [0.5, 1] as const;

/**
 * The tile levels a detection needs so that faces of `minFaceSize` px of a width x height image
 * reach the detector at RELIABLE_FACE_PX: none when the whole-image pass already shows them that
 * big, else every level up to the first fine enough (coarser levels stay: they see whole the faces
 * too big for a fine tile). Fewer levels, fewer passes: 1 instead of 7 for a 1024 x 768 image when
 * faces under 48 px need not be found.
 */
export function tileScalesFor(minFaceSize: number, width: number, height: number): number[] {
  const needed = RELIABLE_FACE_PX / minFaceSize;
  // An unknown size (0) cannot rule the tiles out.
  if (width > 0 && height > 0 && needed <= DETECTOR_SIDE / Math.max(width, height)) return [];
  const finest = LEVELS.find((scale) => scale >= needed) ?? 1;
  return LEVELS.filter((scale) => scale <= finest);
}
