// Scoring of detections and redactions against labelled boxes: greedy one-to-one matching by IoU
// with don't-care regions, recall per size band, the share of each label's pixels the redaction
// really changed, and the false alarms. Pure.
import { iou, type Box, type ScoredBox } from '../boxes';
import type { LabelledBox } from './eval-set';

/**
 * A detection matches a label when their IoU is at least this. Lower than the 0.5 of object
 * detection benchmarks on purpose: hand labels and the model frame a face differently (hairline vs
 * forehead, ears or not), and redaction adds a margin around every box, so a box that overlaps a
 * face by 0.3 IoU still hides it; a box elsewhere does not match.
 */
export const MATCH_IOU = 0.3;

/** A label counts as redacted when at least this share of its pixels changed. */
export const CHANGED_SHARE = 0.9;

/** Size bands of the issue, by box width: < 16, 16-23, >= 24 px. */
export const BANDS = [
  { label: '< 16 px', min: 0, max: 16 },
  { label: '16-24 px', min: 16, max: 24 },
  { label: '>= 24 px', min: 24, max: Infinity },
] as const;

export interface PhotoResult {
  labels: readonly LabelledBox[];
  detections: readonly ScoredBox[];
  /** Share (0..1) of each label's pixels that differ between the input and the redacted output. */
  changed: readonly number[];
  /** Unmatched detections narrower than this are don't-care (unreadable background plates). */
  ignoreNarrowerThan?: number;
}

export interface PhotoScore {
  /** Per label: matched by a detection (ignored labels: false). */
  found: boolean[];
  /** Detections matching no label and no don't-care region. */
  falseAlarms: number;
}

/** Greedy matching, best score first; a detection on a don't-care label is neither hit nor false alarm. */
export function scorePhoto(result: PhotoResult): PhotoScore {
  const { labels, detections } = result;
  const taken = new Set<number>();
  const found = labels.map(() => false);
  let falseAlarms = 0;
  const order = detections.map((_, i) => i).sort((a, b) => detections[b]!.score - detections[a]!.score);
  for (const d of order) {
    const detection = detections[d]!;
    let best = -1;
    let bestIou = MATCH_IOU;
    labels.forEach((label, l) => {
      if (taken.has(l) || label.ignore) return;
      const overlap = iou(label, detection);
      if (overlap >= bestIou) {
        best = l;
        bestIou = overlap;
      }
    });
    if (best >= 0) {
      taken.add(best);
      found[best] = true;
      continue;
    }
    const onIgnored = labels.some((label) => label.ignore && iou(label, detection) >= MATCH_IOU);
    const tooNarrow = detection.width < (result.ignoreNarrowerThan ?? 0);
    if (!onIgnored && !tooNarrow) falseAlarms++;
  }
  return { found, falseAlarms };
}

export interface BandReport {
  label: string;
  labels: number;
  found: number;
  recall: number;
  /** Of the found labels, how many had at least CHANGED_SHARE of their pixels changed. */
  foundChanged: number;
  /** Of all labels, how many had at least CHANGED_SHARE of their pixels changed. */
  changed: number;
  /** Changed pixels over labelled pixels, all labels of the band. */
  pixelShare: number;
}

/** Faces of at least 16 px with one of WIDER's hard conditions: the profiles, low light, blur. */
export const WIDER_GROUPS: ReadonlyArray<{ label: string; keep: (box: LabelledBox) => boolean }> = [
  { label: 'heavy blur', keep: (b) => b.width >= 16 && b.wider?.blur === 2 },
  { label: 'extreme light', keep: (b) => b.width >= 16 && b.wider?.illumination === 1 },
  { label: 'atypical pose', keep: (b) => b.width >= 16 && b.wider?.pose === 1 },
  { label: 'heavy occlusion', keep: (b) => b.width >= 16 && b.wider?.occlusion === 2 },
];

export interface SetReport {
  photos: number;
  /** Photos without a valid label. */
  emptyPhotos: number;
  bands: BandReport[];
  /** WIDER_GROUPS (faces only). */
  groups: BandReport[];
  all: BandReport;
  /** False alarms on photos without labels, per such photo. */
  falseAlarmsPerEmptyPhoto: number;
  falseAlarmsOnEmpty: number;
  /** Unmatched detections on labelled photos (WIDER misses some faces in crowds: not all are wrong). */
  unmatchedOnLabelled: number;
}

export function evaluateSet(
  results: readonly PhotoResult[],
  bands: typeof BANDS | readonly [] = BANDS,
): SetReport {
  const tally = (label: string, keep: (box: LabelledBox) => boolean) => {
    let labels = 0;
    let found = 0;
    let foundChanged = 0;
    let changed = 0;
    let pixels = 0;
    let changedPixels = 0;
    for (const result of results) {
      const score = scorePhoto(result);
      result.labels.forEach((box, i) => {
        if (box.ignore || !keep(box)) return;
        const share = result.changed[i] ?? 0;
        labels++;
        pixels += box.width * box.height;
        changedPixels += share * box.width * box.height;
        if (share >= CHANGED_SHARE) changed++;
        if (score.found[i]) {
          found++;
          if (share >= CHANGED_SHARE) foundChanged++;
        }
      });
    }
    return {
      label,
      labels,
      found,
      recall: ratio(found, labels),
      foundChanged,
      changed,
      pixelShare: ratio(changedPixels, pixels),
    };
  };
  let emptyPhotos = 0;
  let falseAlarmsOnEmpty = 0;
  let unmatchedOnLabelled = 0;
  for (const result of results) {
    const { falseAlarms } = scorePhoto(result);
    if (result.labels.every((box) => box.ignore)) {
      emptyPhotos++;
      falseAlarmsOnEmpty += falseAlarms;
    } else unmatchedOnLabelled += falseAlarms;
  }
  return {
    photos: results.length,
    emptyPhotos,
    bands: bands.map((band) => tally(band.label, (box) => box.width >= band.min && box.width < band.max)),
    groups: bands.length > 0 ? WIDER_GROUPS.map((group) => tally(group.label, group.keep)) : [],
    all: tally('all', () => true),
    falseAlarmsPerEmptyPhoto: ratio(falseAlarmsOnEmpty, emptyPhotos),
    falseAlarmsOnEmpty,
    unmatchedOnLabelled,
  };
}

/** Share of the box's pixels (clipped to the image) where any channel differs between a and b. */
export function changedShare(
  a: Uint8Array,
  b: Uint8Array,
  width: number,
  height: number,
  channels: number,
  box: Box,
): number {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  let total = 0;
  let changed = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * width + x) * channels;
      total++;
      for (let c = 0; c < channels; c++) {
        if (a[i + c] !== b[i + c]) {
          changed++;
          break;
        }
      }
    }
  }
  return total === 0 ? 0 : changed / total;
}

/** n / d, or 1 when there is nothing to count. */
function ratio(n: number, d: number): number {
  return d === 0 ? 1 : n / d;
}
