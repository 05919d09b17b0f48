// Scoring of a face detector against labelled boxes: greedy one-to-one matching by IoU, then
// recall and precision overall, for faces of at least 24 px, and per size bucket. Pure.
import { faceSize, iou, type Box, type ScoredBox } from '../boxes';

/**
 * A detection matches a label when their IoU is at least this. Lower than the 0.5 of object
 * detection benchmarks on purpose: hand labels and the model frame a face differently (hairline vs
 * forehead, ears or not), and redaction adds a margin around every box, so a box that overlaps a
 * face by 0.3 IoU still hides it; a box elsewhere does not match.
 */
export const MATCH_IOU = 0.3;

/** Upper bounds (exclusive) of the size buckets, in px of a face's shorter side. */
export const SIZE_BUCKETS = [24, 48, 96, 192, Infinity] as const;

export interface ImageResult {
  labels: readonly Box[];
  detections: readonly ScoredBox[];
}

export interface Counts {
  labels: number;
  found: number;
  recall: number;
}

export interface EvaluationReport {
  images: number;
  labels: number;
  detections: number;
  truePositives: number;
  recall: number;
  precision: number;
  /** Faces of at least 24 px: the target. */
  atLeast24: Counts;
  /** Detections whose matched label (if any) is at least 24 px, or unmatched ones of at least 24 px. */
  precisionAtLeast24: number;
  buckets: Array<{ label: string } & Counts>;
}

/** Label index matched by each detection (or -1), best score first. */
export function matchDetections(labels: readonly Box[], detections: readonly ScoredBox[]): number[] {
  const taken = new Set<number>();
  const order = detections.map((_, i) => i).sort((a, b) => detections[b]!.score - detections[a]!.score);
  const matched = new Array<number>(detections.length).fill(-1);
  for (const d of order) {
    let best = -1;
    let bestIou = MATCH_IOU;
    labels.forEach((label, l) => {
      if (taken.has(l)) return;
      const overlap = iou(label, detections[d]!);
      if (overlap >= bestIou) {
        best = l;
        bestIou = overlap;
      }
    });
    if (best >= 0) {
      taken.add(best);
      matched[d] = best;
    }
  }
  return matched;
}

export function evaluate(results: readonly ImageResult[]): EvaluationReport {
  let labels = 0;
  let detections = 0;
  let truePositives = 0;
  let big = { labels: 0, found: 0 };
  let bigDetections = 0;
  let bigTrue = 0;
  const buckets = SIZE_BUCKETS.map(() => ({ labels: 0, found: 0 }));
  const bucketOf = (box: Box) => SIZE_BUCKETS.findIndex((limit) => faceSize(box) < limit);

  for (const result of results) {
    const matched = matchDetections(result.labels, result.detections);
    const found = new Set(matched.filter((m) => m >= 0));
    labels += result.labels.length;
    detections += result.detections.length;
    truePositives += found.size;
    result.labels.forEach((label, l) => {
      const bucket = buckets[bucketOf(label)]!;
      bucket.labels++;
      if (found.has(l)) bucket.found++;
      if (faceSize(label) >= 24) {
        big = { labels: big.labels + 1, found: big.found + (found.has(l) ? 1 : 0) };
      }
    });
    result.detections.forEach((d, i) => {
      const label = matched[i]! >= 0 ? result.labels[matched[i]!]! : d;
      if (faceSize(label) < 24) return;
      bigDetections++;
      if (matched[i]! >= 0) bigTrue++;
    });
  }
  let lower = 0;
  return {
    images: results.length,
    labels,
    detections,
    truePositives,
    recall: ratio(truePositives, labels),
    precision: ratio(truePositives, detections),
    atLeast24: { ...big, recall: ratio(big.found, big.labels) },
    precisionAtLeast24: ratio(bigTrue, bigDetections),
    buckets: SIZE_BUCKETS.map((limit, i) => {
      const label = limit === Infinity ? `>= ${lower} px` : `${lower}-${limit - 1} px`;
      lower = limit;
      return { label, ...buckets[i]!, recall: ratio(buckets[i]!.found, buckets[i]!.labels) };
    }),
  };
}

/** n / d, or 1 when there is nothing to count (no labels: nothing missed; no detections: none wrong). */
function ratio(n: number, d: number): number {
  return d === 0 ? 1 : n / d;
}
