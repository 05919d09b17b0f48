// What the compliance stage found on an image (faces and licence plates, their scores, the models
// that found them), read from the record's stage results for the console's image page, which draws
// the boxes over the cleared image. Pure.

export interface OverlayBox {
  kind: 'face' | 'plate';
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  redacted: boolean;
}

export interface PrivacyOverlay {
  /** The pixel grid the boxes are in: the standardized derivative's (the cleared image's too). */
  width: number;
  height: number;
  boxes: OverlayBox[];
  /** "name@version" of each model; plates '' when the policy turned plate detection off. */
  faceModel: string;
  plateModel: string;
}

interface Region {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  score?: number;
  redacted?: boolean;
}

const boxesOf = (kind: OverlayBox['kind'], regions: unknown): OverlayBox[] =>
  Array.isArray(regions)
    ? (regions as Region[]).map((r) => ({
        kind,
        x: r.x ?? 0,
        y: r.y ?? 0,
        width: r.width ?? 0,
        height: r.height ?? 0,
        score: r.score ?? 0,
        redacted: r.redacted ?? false,
      }))
    : [];

/** The overlay of a record's stage results, or undefined before compliance ran (or without a size). */
export function privacyOverlay(stages: Record<string, unknown>): PrivacyOverlay | undefined {
  const compliance = stages['compliance'] as
    { faces?: unknown; plates?: unknown; detector?: string; plateDetector?: string } | undefined;
  const standardize = stages['standardize'] as { width?: number; height?: number } | undefined;
  if (!compliance || !standardize?.width || !standardize.height) return undefined;
  return {
    width: standardize.width,
    height: standardize.height,
    boxes: [...boxesOf('face', compliance.faces), ...boxesOf('plate', compliance.plates)],
    faceModel: compliance.detector ?? '',
    plateModel: compliance.plateDetector ?? '',
  };
}
