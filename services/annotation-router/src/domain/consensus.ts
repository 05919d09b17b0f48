import type { AnnotationTaskType } from '@aperture/policy';
import type { Annotation, Box, Keypoint, Label, Point, Size } from './labels';

/** One annotator's result for an image. */
export interface Submitted {
  annotatorId: string;
  annotation: Annotation;
}

export interface ConsensusSettings {
  taskType: AnnotationTaskType;
  /** Boxes (and polygons' bounds) of one object overlap at least this much (IoU). */
  iouThreshold: number;
  /** Keypoints agree within this fraction of the image diagonal. */
  keypointDistance: number;
}

export interface Consensus {
  merged: Annotation;
  /** 0..1: 1 when every annotator gave the same labels. */
  agreement: number;
}

// Local helpers: Math.* in hot loops is slow under Jest's instrumentation.
const min = (a: number, b: number) => (a < b ? a : b);
const max = (a: number, b: number) => (a > b ? a : b);

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const width = min(a.x + a.width, b.x + b.width) - max(a.x, b.x);
  const height = min(a.y + a.height, b.y + b.height) - max(a.y, b.y);
  if (width <= 0 || height <= 0) return 0;
  const intersection = width * height;
  const union = a.width * a.height + b.width * b.height - intersection;
  return union > 0 ? intersection / union : 0;
}

/** The smallest box around some points. */
export function boundsOf(points: readonly Point[]): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const point of points) {
    x0 = min(x0, point.x);
    y0 = min(y0, point.y);
    x1 = max(x1, point.x);
    y1 = max(y1, point.y);
  }
  return points.length === 0
    ? { x: 0, y: 0, width: 0, height: 0 }
    : { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * How much two keypoint labels agree: the share of the schema's named points (those either gives)
 * that both mark visible within `radius` pixels of each other, or both mark invisible.
 */
export function keypointSimilarity(a: readonly Keypoint[], b: readonly Keypoint[], radius: number): number {
  const names = new Set([...a.map((point) => point.name), ...b.map((point) => point.name)]);
  if (names.size === 0) return 1;
  let agreeing = 0;
  for (const name of names) {
    const p = a.find((point) => point.name === name);
    const q = b.find((point) => point.name === name);
    const pv = p?.visible ?? false;
    const qv = q?.visible ?? false;
    if (!pv && !qv) agreeing += 1;
    else if (pv && qv && p && q) {
      const dx = p.x - q.x;
      const dy = p.y - q.y;
      if (dx * dx + dy * dy <= radius * radius) agreeing += 1;
    }
  }
  return agreeing / names.size;
}

/**
 * Merges independent annotations of one image.
 * - classification: majority vote per class (a class is kept when more than half name it);
 *   agreement = share of annotators whose set of classes equals the merged one.
 * - bbox, tracking, polygon, keypoints: labels are clustered greedily (each annotator adds each
 *   label to the most similar cluster without a label of theirs: box IoU, polygon bounds IoU, or
 *   keypoint similarity, at least the threshold); a cluster holding more than half of the
 *   annotators is an object: its class by majority vote, its box the mean of the members', its
 *   polygon the member closest to the mean bounds, its keypoints the mean of the visible ones.
 *   Each object scores (members / annotators) × (mean similarity of the members to the merged
 *   geometry) × (share of members with the majority class); agreement = the sum of the scores
 *   over the number of clusters (so labels only a minority gave lower it).
 * Attributes of a merged label: majority vote among its members. No labels from anyone is full
 * agreement on "nothing here".
 */
export function mergeAnnotations(
  results: readonly Submitted[],
  settings: ConsensusSettings,
  size: Size,
): Consensus {
  const n = results.length;
  if (n === 0) return { merged: { labels: [] }, agreement: 0 };
  if (settings.taskType === 'classification') return mergeClasses(results);
  const radius = settings.keypointDistance * Math.sqrt(size.width * size.width + size.height * size.height);
  const similarity = similarityFor(settings.taskType, radius);
  const threshold = settings.taskType === 'keypoints' ? 0.5 : settings.iouThreshold;

  const clusters: Array<{ members: Array<{ annotator: number; label: Label }> }> = [];
  results.forEach((result, annotator) => {
    for (const label of result.annotation.labels) {
      let best: (typeof clusters)[number] | undefined;
      let bestScore = threshold;
      for (const cluster of clusters) {
        if (cluster.members.some((member) => member.annotator === annotator)) continue;
        const score = meanOf(cluster.members.map((member) => similarity(member.label, label)));
        if (score >= bestScore) {
          best = cluster;
          bestScore = score;
        }
      }
      if (best) best.members.push({ annotator, label });
      else clusters.push({ members: [{ annotator, label }] });
    }
  });
  if (clusters.length === 0) return { merged: { labels: [] }, agreement: 1 };

  const labels: Label[] = [];
  let total = 0;
  for (const cluster of clusters) {
    const m = cluster.members.length;
    if (m * 2 <= n) continue;
    const members = cluster.members.map((member) => member.label);
    const { value: className, share } = majority(members.map((label) => label.className));
    const merged: Label = {
      className,
      attributes: mergeAttributes(members.filter((label) => label.className === className)),
    };
    if (settings.taskType === 'bbox' || settings.taskType === 'tracking') {
      merged.box = meanBox(members.map((label) => label.box!));
      if (settings.taskType === 'tracking') merged.trackId = members[0]!.trackId ?? '';
    } else if (settings.taskType === 'polygon') {
      const mean = meanBox(members.map((label) => boundsOf(label.polygon!)));
      let closest = members[0]!;
      for (const label of members)
        if (iou(boundsOf(label.polygon!), mean) > iou(boundsOf(closest.polygon!), mean)) closest = label;
      merged.polygon = closest.polygon!;
    } else {
      merged.keypoints = meanKeypoints(members.map((label) => label.keypoints!));
    }
    const fit = meanOf(members.map((label) => similarity(label, merged)));
    total += (m / n) * fit * share;
    labels.push(merged);
  }
  return { merged: { labels }, agreement: total / clusters.length };
}

function similarityFor(taskType: AnnotationTaskType, radius: number): (a: Label, b: Label) => number {
  switch (taskType) {
    case 'polygon':
      return (a, b) => iou(boundsOf(a.polygon ?? []), boundsOf(b.polygon ?? []));
    case 'keypoints':
      return (a, b) => keypointSimilarity(a.keypoints ?? [], b.keypoints ?? [], radius);
    default:
      return (a, b) => (a.box && b.box ? iou(a.box, b.box) : 0);
  }
}

function mergeClasses(results: readonly Submitted[]): Consensus {
  const n = results.length;
  const votes = new Map<string, Label[]>();
  for (const result of results)
    for (const label of result.annotation.labels)
      votes.set(label.className, [...(votes.get(label.className) ?? []), label]);
  const labels: Label[] = [];
  for (const [className, given] of [...votes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (given.length * 2 > n) labels.push({ className, attributes: mergeAttributes(given) });
  }
  const key = (classes: string[]) => [...classes].sort().join('\u0000');
  const mergedKey = key(labels.map((label) => label.className));
  const agreeing = results.filter(
    (result) => key(result.annotation.labels.map((label) => label.className)) === mergedKey,
  );
  return { merged: { labels }, agreement: agreeing.length / n };
}

/** The most frequent value (ties: the first given) and its share. */
function majority(values: readonly string[]): { value: string; share: number } {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best = values[0] ?? '';
  for (const [value, count] of counts) if (count > (counts.get(best) ?? 0)) best = value;
  return { value: best, share: values.length === 0 ? 0 : (counts.get(best) ?? 0) / values.length };
}

function mergeAttributes(labels: readonly Label[]): Record<string, string> {
  const names = new Set(labels.flatMap((label) => Object.keys(label.attributes)));
  const out: Record<string, string> = {};
  for (const name of [...names].sort()) {
    const values = labels
      .map((label) => label.attributes[name])
      .filter((value): value is string => value !== undefined);
    out[name] = majority(values).value;
  }
  return out;
}

function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return values.length === 0 ? 0 : sum / values.length;
}

function meanBox(boxes: readonly Box[]): Box {
  return {
    x: meanOf(boxes.map((box) => box.x)),
    y: meanOf(boxes.map((box) => box.y)),
    width: meanOf(boxes.map((box) => box.width)),
    height: meanOf(boxes.map((box) => box.height)),
  };
}

function meanKeypoints(sets: readonly Keypoint[][]): Keypoint[] {
  const names = [...new Set(sets.flatMap((set) => set.map((point) => point.name)))];
  return names.map((name) => {
    const given = sets.map((set) => set.find((point) => point.name === name));
    const visible = given.filter((point): point is Keypoint => point?.visible === true);
    if (visible.length * 2 <= sets.length) return { name, x: 0, y: 0, visible: false };
    return { name, x: meanOf(visible.map((p) => p.x)), y: meanOf(visible.map((p) => p.y)), visible: true };
  });
}

/** A gold result's score: the agreement of the annotator's labels with the known answer (0..1). */
export function goldScore(
  answer: Annotation,
  result: Annotation,
  settings: ConsensusSettings,
  size: Size,
): number {
  return mergeAnnotations(
    [
      { annotatorId: 'gold', annotation: answer },
      { annotatorId: 'annotator', annotation: result },
    ],
    settings,
    size,
  ).agreement;
}
