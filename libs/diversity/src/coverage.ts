// Coverage of a set of images (a batch, a project, a campaign) along every descriptor axis, from
// counters that add up: per axis the images in each bucket, per scene cluster its images, and the
// novelty sums. Counters of batches merge into a project's without reading any image again.
// Pure functions.
import { AXES, type Axis, bucketsOf, type ContentDescriptors } from './describe';

/** Added up image by image (and batch by batch): every field is a sum. */
export interface CoverageCounts {
  images: number;
  buckets: Record<Axis, Record<string, number>>;
  clusters: Record<string, number>;
  /** Sum of the images' novelty (distance to the nearest earlier image of the project, 0..1). */
  noveltySum: number;
  /** Images whose scene cluster was new to the project (novelty 1). */
  newScenes: number;
}

export function emptyCounts(): CoverageCounts {
  return {
    images: 0,
    buckets: Object.fromEntries(AXES.map((axis) => [axis, {}])) as CoverageCounts['buckets'],
    clusters: {},
    noveltySum: 0,
    newScenes: 0,
  };
}

/** What one image adds: its bucket on each axis, its cluster, its novelty. */
export interface CoverageContribution {
  buckets: Record<Axis, string>;
  cluster: string;
  novelty: number;
}

export function contributionOf(descriptors: ContentDescriptors, novelty: number): CoverageContribution {
  return { buckets: bucketsOf(descriptors), cluster: descriptors.scene.cluster, novelty };
}

export function addContribution(counts: CoverageCounts, image: CoverageContribution): CoverageCounts {
  const merged = mergeCounts(counts, emptyCounts());
  merged.images += 1;
  for (const axis of AXES) {
    const bucket = image.buckets[axis];
    merged.buckets[axis][bucket] = (merged.buckets[axis][bucket] ?? 0) + 1;
  }
  merged.clusters[image.cluster] = (merged.clusters[image.cluster] ?? 0) + 1;
  merged.noveltySum += image.novelty;
  if (image.novelty >= 1) merged.newScenes += 1;
  return merged;
}

export function mergeCounts(a: CoverageCounts, b: CoverageCounts): CoverageCounts {
  const add = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [key, value] of Object.entries(y)) out[key] = (out[key] ?? 0) + value;
    return out;
  };
  return {
    images: a.images + b.images,
    buckets: Object.fromEntries(
      AXES.map((axis) => [axis, add(a.buckets[axis] ?? {}, b.buckets[axis] ?? {})]),
    ) as CoverageCounts['buckets'],
    clusters: add(a.clusters, b.clusters),
    noveltySum: a.noveltySum + b.noveltySum,
    newScenes: a.newScenes + b.newScenes,
  };
}

/** One bucket of an axis; `label` as the report's other bins name theirs (one chart code for all). */
export interface BucketShare {
  label: string;
  count: number;
  share: number;
}

export interface Coverage {
  images: number;
  /** Per axis, its buckets, most frequent first. */
  axes: Record<Axis, BucketShare[]>;
  scenes: {
    clusters: number;
    /** exp(Shannon entropy) of the cluster shares: the number of equally used clusters that would be as varied. */
    effective: number;
    largestShare: number;
  };
  /** Mean distance to the nearest earlier image of the project (0..1); 0 without images. */
  meanNovelty: number;
  /** Share of the images whose scene cluster was new to the project. */
  newSceneShare: number;
}

export function coverageOf(counts: CoverageCounts): Coverage {
  const shares = (values: Record<string, number>): BucketShare[] => {
    const total = Object.values(values).reduce((a, b) => a + b, 0);
    return Object.entries(values)
      .filter(([, count]) => count > 0)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
      .map(([label, count]) => ({ label, count, share: total > 0 ? round(count / total) : 0 }));
  };
  const clusterCounts = Object.values(counts.clusters).filter((n) => n > 0);
  const total = clusterCounts.reduce((a, b) => a + b, 0);
  const entropy = clusterCounts.reduce((h, n) => h - (n / total) * Math.log(n / total), 0);
  return {
    images: counts.images,
    axes: Object.fromEntries(
      AXES.map((axis) => [axis, shares(counts.buckets[axis] ?? {})]),
    ) as Coverage['axes'],
    scenes: {
      clusters: clusterCounts.length,
      effective: total > 0 ? round(Math.exp(entropy), 2) : 0,
      largestShare: total > 0 ? round(Math.max(...clusterCounts) / total) : 0,
    },
    meanNovelty: counts.images > 0 ? round(counts.noveltySum / counts.images) : 0,
    newSceneShare: counts.images > 0 ? round(counts.newScenes / counts.images) : 0,
  };
}

/**
 * Per-axis goals of a project's policy (`dataset.targets.content`): a minimum share per bucket
 * ("timeOfDay:night": 0.2), a maximum share of the largest scene cluster, a minimum mean novelty
 * of a batch. Absent: no goal.
 */
export interface CoverageTargets {
  minBucketShare?: Record<string, number>;
  maxSceneClusterShare?: number;
  minBatchNovelty?: number;
}

export interface CoverageCheck {
  target: string;
  required: number;
  actual: number;
  met: boolean;
  message: string;
}

/** Each goal against the coverage; `batch` says whether the novelty goal applies (a batch's report). */
export function checkCoverage(coverage: Coverage, targets: CoverageTargets, batch: boolean): CoverageCheck[] {
  const checks: CoverageCheck[] = [];
  for (const [key, required] of Object.entries(targets.minBucketShare ?? {})) {
    const [axis, bucket] = key.split(':') as [Axis, string];
    const actual = coverage.axes[axis]?.find((b) => b.label === bucket)?.share ?? 0;
    checks.push({
      target: `minBucketShare ${key}`,
      required,
      actual,
      met: actual >= required,
      message: `${pct(actual)} of the images are ${bucket} (${axis}); at least ${pct(required)} asked`,
    });
  }
  if (targets.maxSceneClusterShare !== undefined && coverage.images > 0) {
    const actual = coverage.scenes.largestShare;
    checks.push({
      target: 'maxSceneClusterShare',
      required: targets.maxSceneClusterShare,
      actual,
      met: actual <= targets.maxSceneClusterShare,
      message: `the largest scene cluster holds ${pct(actual)} of the images; at most ${pct(targets.maxSceneClusterShare)} asked`,
    });
  }
  if (batch && targets.minBatchNovelty !== undefined && coverage.images > 0) {
    const actual = coverage.meanNovelty;
    checks.push({
      target: 'minBatchNovelty',
      required: targets.minBatchNovelty,
      actual,
      met: actual >= targets.minBatchNovelty,
      message: `the batch's mean novelty is ${actual}; at least ${targets.minBatchNovelty} asked`,
    });
  }
  return checks;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
const pct = (value: number) => `${Math.round(value * 1000) / 10} %`;
