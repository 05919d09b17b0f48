import { type OutboxEntry } from '@aperture/persistence';
import { MOTION_BLUR_MIN_WIDTH, type QualityPolicy } from '@aperture/policy';

/** One quality score beside the policy threshold it was judged against. */
export interface ThresholdCheck {
  /** The reason code this check decides. */
  reason: string;
  metric: string;
  value: number | null;
  /** The policy field, e.g. "quality.maxBlurWidth", and its value. */
  setting: string;
  threshold: number;
  /** "max": the value may be at most the threshold; "min": at least. */
  bound: 'min' | 'max';
  passed: boolean | null;
}

/** The parts of stages.quality (a QualityResult, camelCase as ts-proto writes it) read here. */
interface QualityStage {
  width?: number;
  height?: number;
  metrics?: Partial<
    Record<
      | 'blurWidth'
      | 'blurWidthAcross'
      | 'brightnessP1'
      | 'blackLevel'
      | 'brightnessP50'
      | 'brightnessP99'
      | 'clipped'
      | 'contrast'
      | 'entropy'
      | 'colourfulness'
      | 'aspectRatio',
      number
    >
  >;
  duplicateOf?: string;
  duplicateDistance?: number;
}

const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/**
 * The quality scores of an image next to the thresholds of its project's policy, in the order the
 * reasons are documented. A check the policy switches off (its "off" value) is left out, so what is
 * shown is what could have decided.
 */
export function thresholdChecks(qualityStage: unknown, policy: QualityPolicy): ThresholdCheck[] {
  const stage = (qualityStage ?? {}) as QualityStage;
  const metrics = stage.metrics ?? {};
  const check = (
    reason: string,
    metric: string,
    value: number | null,
    setting: keyof QualityPolicy,
    bound: 'min' | 'max',
  ): ThresholdCheck => {
    const threshold = policy[setting] as number;
    const passed = value === null ? null : bound === 'min' ? value >= threshold : value <= threshold;
    return { reason, metric, value, setting: `quality.${setting}`, threshold, bound, passed };
  };
  const checks = [
    check('too_small', 'width', num(stage.width), 'minWidth', 'min'),
    check('too_small', 'height', num(stage.height), 'minHeight', 'min'),
    check('odd_aspect_ratio', 'aspectRatio', num(metrics.aspectRatio), 'maxAspectRatio', 'max'),
  ];
  if (policy.maxBlurWidth < 100)
    checks.push(check('blurry', 'blurWidth', num(metrics.blurWidth), 'maxBlurWidth', 'max'));
  const width = num(metrics.blurWidth);
  const across = num(metrics.blurWidthAcross);
  // Motion blur is judged only where the blurriest direction is at least MOTION_BLUR_MIN_WIDTH wide.
  if (policy.maxBlurAnisotropy < 100 && width !== null && width >= MOTION_BLUR_MIN_WIDTH && across)
    checks.push(check('blurry', 'blurAnisotropy', width / across, 'maxBlurAnisotropy', 'max'));
  if (policy.minBrightnessP99 > 0)
    checks.push(
      check('underexposed', 'brightnessP99', num(metrics.brightnessP99), 'minBrightnessP99', 'min'),
    );
  if (policy.maxClipped < 1)
    checks.push(check('overexposed', 'clipped', num(metrics.clipped), 'maxClipped', 'max'));
  // Washed out needs a bright median too: the black level is shown where the median is bright.
  const median = num(metrics.brightnessP50);
  if (policy.maxBlackLevel < 255 && median !== null && median >= policy.washedOutMinMedian)
    checks.push(check('overexposed', 'blackLevel', num(metrics.blackLevel), 'maxBlackLevel', 'max'));
  if (policy.minContrast > 0)
    checks.push(check('low_contrast', 'contrast', num(metrics.contrast), 'minContrast', 'min'));
  if (policy.minEntropy > 0)
    checks.push(check('low_information', 'entropy', num(metrics.entropy), 'minEntropy', 'min'));
  if (policy.rejectGreyscale)
    checks.push(
      check('greyscale', 'colourfulness', num(metrics.colourfulness), 'greyscaleMaxColourfulness', 'min'),
    );
  if (policy.rejectNearDuplicates && stage.duplicateOf)
    checks.push(
      check(
        'near_duplicate',
        'duplicateDistance',
        num(stage.duplicateDistance),
        'nearDuplicateDistance',
        'min',
      ),
    );
  return checks;
}

/**
 * The trace of an image: the W3C traceparent its first event was written with (ingest stores it
 * in the outbox entry's headers), so the upload's trace, which every later hop continues.
 */
export function traceIdOf(outbox: Pick<OutboxEntry, 'headers'>[] | undefined): string | null {
  const traceparent = outbox?.[0]?.headers?.['traceparent'];
  const match = typeof traceparent === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent) : null;
  return match && !/^0+$/.test(match[1]!) ? match[1]! : null;
}

/** CONSOLE_TRACE_URL_TEMPLATE with {traceId} filled in; null when either is missing. */
export function traceUrl(template: string, traceId: string | null): string | null {
  return template && traceId ? template.split('{traceId}').join(traceId) : null;
}

interface BlobRefLike {
  key?: string;
  contentType?: string;
}

/** The blobs of an image, from the upload to what annotators see. */
export interface Lineage {
  raw: string;
  derivative: string | null;
  thumbnail: string | null;
  /** The compliance stage's copy (metadata cleared; redacted where the policy says). */
  cleared: string | null;
  /** Its thumbnail, redacted the same way. */
  clearedThumbnail: string | null;
}

export function lineageOf(rawKey: string, stages: Record<string, unknown>): Lineage {
  const standardize = (stages['standardize'] ?? {}) as { derivative?: BlobRefLike; thumbnail?: BlobRefLike };
  const compliance = (stages['compliance'] ?? {}) as {
    cleared?: BlobRefLike;
    clearedThumbnail?: BlobRefLike;
  };
  return {
    raw: rawKey,
    derivative: standardize.derivative?.key ?? null,
    thumbnail: standardize.thumbnail?.key ?? null,
    cleared: compliance.cleared?.key ?? null,
    clearedThumbnail: compliance.clearedThumbnail?.key ?? null,
  };
}

/**
 * The blob a role may see as "after" (or as a thumbnail): the compliance stage's copy once it ran,
 * whose faces are redacted where the policy says. Before that (or for an image compliance
 * refused), only a client, who may see the raw upload anyway, gets the standardized copy: an
 * annotator never sees a face that was not through compliance.
 */
export const afterKey = (lineage: Lineage, role: 'client' | 'annotator' = 'client') =>
  lineage.cleared ?? (role === 'client' ? lineage.derivative : null);
export const thumbnailKey = (lineage: Lineage, role: 'client' | 'annotator' = 'client') =>
  lineage.clearedThumbnail ?? (role === 'client' ? lineage.thumbnail : null);
