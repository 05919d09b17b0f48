import type { DiversityTargets } from '@aperture/policy';
import type { CoverageReport } from '../coverage.source';

/** What the report knows of one image (from its record and its raw file's EXIF). */
export interface ReportImage {
  imageId: string;
  batchId: string;
  status: string;
  receivedAt: Date;
  reasons: string[];
  width?: number;
  height?: number;
  brightness?: number;
  contrast?: number;
  colourfulness?: number;
  /** The EXIF orientation standardize applied (1 = none). */
  orientation?: number;
  duplicateOf?: string;
  cameraMake?: string;
  cameraModel?: string;
  /** 0..23, from EXIF DateTimeOriginal (the camera's local time). */
  captureHour?: number;
  classes: string[];
  agreement?: number;
}

export interface Bin {
  label: string;
  count: number;
}

export interface TargetCheck {
  target: keyof DiversityTargets;
  required: number;
  actual: number;
  met: boolean;
  message: string;
}

export interface DatasetReport {
  projectId: string;
  batchId: string | null;
  generatedAt: string;
  counts: {
    images: number;
    curated: number;
    rejected: number;
    pendingAnnotation: number;
    processing: number;
  };
  distributions: {
    brightness: Bin[];
    contrast: Bin[];
    colourfulness: Bin[];
    megapixels: Bin[];
    aspectRatio: Bin[];
    cameraModel: Bin[];
    orientation: Bin[];
    exifOrientation: Bin[];
    captureHour: Bin[];
    agreement: Bin[];
  };
  classBalance: Bin[];
  rejectionReasons: Bin[];
  /** Rejections per time bucket (an hour when the images span under two days, else a day), by reason. */
  rejectionsOverTime: { buckets: string[]; series: Array<{ reason: string; counts: number[] }> };
  nearDuplicateClusters: {
    clusters: number;
    largest: number;
    sizes: Bin[];
    top: Array<{ imageId: string; copies: number }>;
  };
  targets: TargetCheck[];
  /** What the images show, per descriptor axis, scenes and novelty (coverage.source.ts); absent in buildReport's own output. */
  coverage?: CoverageReport;
}

/** Counts of values in `edges.length - 1` bins [edges[i], edges[i + 1]) (the last one closed). */
export function histogram(values: readonly number[], edges: readonly number[], digits = 2): Bin[] {
  const bins = edges.slice(0, -1).map((edge, index) => ({
    label: `${edge.toFixed(digits)}–${edges[index + 1]!.toFixed(digits)}`,
    count: 0,
  }));
  const last = edges.length - 2;
  for (const value of values) {
    let index = 0;
    while (index < last && value >= edges[index + 1]!) index += 1;
    if (value >= edges[0]! && value <= edges[last + 1]!) bins[index]!.count += 1;
  }
  return bins;
}

/** The most frequent values first (ties by name), the tail beyond `limit` folded into "other". */
export function tally(values: readonly string[], limit = 12): Bin[] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const sorted = [...counts.entries()]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, count]) => ({ label, count }));
  if (sorted.length <= limit) return sorted;
  const other = sorted.slice(limit - 1).reduce((sum, bin) => sum + bin.count, 0);
  return [...sorted.slice(0, limit - 1), { label: 'other', count: other }];
}

const steps = (from: number, to: number, count: number) =>
  Array.from({ length: count + 1 }, (_, i) => from + ((to - from) * i) / count);

const orientationOf = (width: number, height: number) =>
  width === height ? 'square' : width > height ? 'landscape' : 'portrait';

/**
 * The dataset report of a project (or one batch): distributions of the accepted images' look and
 * provenance, rejections, near-duplicate clusters, class balance and agreement, and the policy's
 * diversity targets, each flagged met or not.
 */
export function buildReport(
  images: readonly ReportImage[],
  options: {
    projectId: string;
    batchId?: string;
    targets: DiversityTargets;
    classes: readonly string[];
    now?: Date;
  },
): DatasetReport {
  // The look of the data: every image that passed quality (curated or still on its way).
  const kept = images.filter((image) => image.status !== 'rejected');
  const curated = images.filter((image) => image.status === 'curated');
  const numbers = (pick: (image: ReportImage) => number | undefined) =>
    kept.map(pick).filter((value): value is number => value !== undefined && Number.isFinite(value));
  const sized = kept.filter((image) => image.width && image.height);

  const rejected = images.filter((image) => image.status === 'rejected');
  const times = images.map((image) => image.receivedAt.getTime());
  const span = times.length > 0 ? Math.max(...times) - Math.min(...times) : 0;
  const bucketOf = (date: Date) =>
    span < 2 * 86_400_000 ? `${date.toISOString().slice(0, 13)}:00Z` : date.toISOString().slice(0, 10);
  const buckets = [...new Set(rejected.map((image) => bucketOf(image.receivedAt)))].sort();
  const reasons = [...new Set(rejected.flatMap((image) => image.reasons))].sort();
  const series = reasons.map((reason) => ({
    reason,
    counts: buckets.map(
      (bucket) =>
        rejected.filter((image) => bucketOf(image.receivedAt) === bucket && image.reasons.includes(reason))
          .length,
    ),
  }));

  const copies = new Map<string, number>();
  for (const image of images)
    if (image.duplicateOf) copies.set(image.duplicateOf, (copies.get(image.duplicateOf) ?? 0) + 1);
  const clusterSizes = [...copies.values()].map((n) => n + 1);

  const labels = curated.flatMap((image) => image.classes);
  const classBalance = [
    ...options.classes.map((name) => ({
      label: name,
      count: labels.filter((label) => label === name).length,
    })),
  ];
  const agreements = curated
    .map((image) => image.agreement)
    .filter((value): value is number => value !== undefined);
  const models = kept
    .filter((image) => image.cameraMake || image.cameraModel)
    .map((image) => [image.cameraMake, image.cameraModel].filter(Boolean).join(' '));
  const hours = numbers((image) => image.captureHour);

  const distributions = {
    brightness: histogram(
      numbers((image) => image.brightness),
      steps(0, 255, 8),
      0,
    ),
    contrast: histogram(
      numbers((image) => image.contrast),
      steps(0, 1, 10),
    ),
    colourfulness: histogram(
      numbers((image) => image.colourfulness),
      steps(0, 150, 10),
      0,
    ),
    megapixels: histogram(
      sized.map((image) => (image.width! * image.height!) / 1e6),
      [0, 0.1, 0.3, 0.5, 1, 2, 4, 8, 16, 1000],
      1,
    ),
    aspectRatio: histogram(
      sized.map((image) => image.width! / image.height!),
      [0, 0.5, 0.67, 0.8, 0.95, 1.05, 1.25, 1.5, 1.85, 2.5, 100],
    ),
    cameraModel: tally(
      models.length < kept.length
        ? [...models, ...Array<string>(kept.length - models.length).fill('unknown')]
        : models,
    ),
    orientation: tally(sized.map((image) => orientationOf(image.width!, image.height!))),
    exifOrientation: tally(numbers((image) => image.orientation).map((o) => `EXIF ${o}`)),
    captureHour: Array.from({ length: 24 }, (_, hour) => ({
      label: String(hour).padStart(2, '0'),
      count: hours.filter((value) => value === hour).length,
    })),
    agreement: histogram(agreements, steps(0, 1, 10), 1),
  };

  const targets: TargetCheck[] = [];
  const check = (target: keyof DiversityTargets, actual: number, describe: (required: number) => string) => {
    const required = options.targets[target];
    if (required > 0) {
      const met = actual >= required;
      targets.push({ target, required, actual, met, message: describe(required) });
    }
  };
  const distinctModels = new Set(models).size;
  check(
    'minCameraModels',
    distinctModels,
    (n) => `${distinctModels} camera models; the policy asks for at least ${n}`,
  );
  const minShare =
    labels.length === 0 || options.classes.length === 0
      ? 0
      : Math.min(...classBalance.map((bin) => bin.count / labels.length));
  check(
    'minClassShare',
    round(minShare),
    (n) => `the rarest class has ${pct(minShare)} of the labels; at least ${pct(n)} asked`,
  );
  const distinctHours = new Set(hours).size;
  check(
    'minCaptureHours',
    distinctHours,
    (n) => `photos from ${distinctHours} distinct hours of the day; at least ${n} asked`,
  );
  const portrait =
    sized.length === 0 ? 0 : sized.filter((image) => image.height! > image.width!).length / sized.length;
  check(
    'minPortraitShare',
    round(portrait),
    (n) => `${pct(portrait)} portrait images; at least ${pct(n)} asked`,
  );
  const meanAgreement =
    agreements.length === 0 ? 0 : agreements.reduce((a, b) => a + b, 0) / agreements.length;
  check(
    'minMeanAgreement',
    round(meanAgreement),
    (n) => `mean agreement ${round(meanAgreement)}; at least ${n} asked`,
  );

  return {
    projectId: options.projectId,
    batchId: options.batchId ?? null,
    generatedAt: (options.now ?? new Date()).toISOString(),
    counts: {
      images: images.length,
      curated: curated.length,
      rejected: rejected.length,
      pendingAnnotation: images.filter((image) => image.status === 'pending_annotation').length,
      processing: images.filter((image) => image.status === 'processing').length,
    },
    distributions,
    classBalance,
    rejectionReasons: tally(
      rejected.flatMap((image) => image.reasons),
      20,
    ),
    rejectionsOverTime: { buckets, series },
    nearDuplicateClusters: {
      clusters: clusterSizes.length,
      largest: clusterSizes.length === 0 ? 0 : Math.max(...clusterSizes),
      sizes: tally(clusterSizes.map((size) => `${size} images`)),
      top: [...copies.entries()]
        .sort(([, a], [, b]) => b - a)
        .slice(0, 10)
        .map(([imageId, n]) => ({ imageId, copies: n })),
    },
    targets,
  };
}

const round = (value: number) => Math.round(value * 1000) / 1000;
const pct = (value: number) => `${Math.round(value * 1000) / 10} %`;
