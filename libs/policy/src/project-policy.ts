import { AXES, type Axis, BUCKETS } from '@aperture/diversity';
import {
  type AnnotationPolicy,
  annotationConflicts,
  annotationTaskTypes,
  attributesRule,
  type DatasetPolicy,
  datasetConflicts,
  defaultAnnotationPolicy,
  defaultDatasetPolicy,
  described,
  names,
  normaliseAttributes,
  routingRule,
  type Rule,
} from './annotation-policy';
import {
  allowedNamesRule,
  type CompliancePolicy,
  completeCompliance,
  compliancePresets,
  defaultCompliancePolicy,
  redactionRule,
  regionsRule,
} from './compliance-policy';

/**
 * A project's policy: per-stage settings, validated on write, with documented defaults. Later
 * issues widen each section; unknown fields are refused so a typo is an error, not a no-op.
 */
export interface ProjectPolicy {
  quality: QualityPolicy;
  standardize: StandardizePolicy;
  compliance: CompliancePolicy;
  annotation: AnnotationPolicy;
  dataset: DatasetPolicy;
}

/**
 * The quality stage's thresholds, one per rejection reason. The defaults were calibrated on the
 * corpus' real photos and degraded copies of them (libs/image-quality/docs/calibration.md).
 */
export interface QualityPolicy {
  /** too_small below either side (as displayed). */
  minWidth: number;
  minHeight: number;
  /** too_large above this many pixels (width × height), judged from the header before decoding. */
  maxPixels: number;
  /** odd_aspect_ratio above this long side / short side. */
  maxAspectRatio: number;
  /**
   * blurry when the sharpest region's edges are blurred wider than this: the σ, in pixels of the
   * delivered image (standardize's long side, judged at up to 1024 px), of the equivalent Gaussian
   * blur, in the blurriest direction (motion blur counts). 100 turns the check off.
   */
  maxBlurWidth: number;
  /**
   * blurry as motion blur when the blurriest direction is more than this many times as blurred as
   * the direction across it (defocus blurs every direction alike); 100 turns it off.
   */
  maxBlurAnisotropy: number;
  /** underexposed when even the brightest 1 % of pixels is darker than this (0..255); 0 turns it off. */
  minBrightnessP99: number;
  /** overexposed when more than this fraction of pixels is blown out (and no deep shadows); 1 turns it off. */
  maxClipped: number;
  /**
   * overexposed as washed out: the black level (the darkest 1 % of the darkest of 3 × 3 regions)
   * above maxBlackLevel (no true black anywhere) and the median at least washedOutMinMedian (a
   * bright picture); 255 turns it off.
   */
  maxBlackLevel: number;
  washedOutMinMedian: number;
  /** low_contrast below this spread of the 5th..95th luminance percentiles (0..1); 0 turns it off. */
  minContrast: number;
  /** low_information below this luminance entropy in bits (0..8); 0 turns it off. */
  minEntropy: number;
  /** greyscale: off unless a project asks; then judged from the pixels' colourfulness (0..255). */
  rejectGreyscale: boolean;
  greyscaleMaxColourfulness: number;
  /** duplicate: pixel-identical to an earlier accepted image of the project. */
  rejectDuplicates: boolean;
  /** near_duplicate: fingerprint distance at most nearDuplicateDistance from an earlier accepted image. */
  rejectNearDuplicates: boolean;
  nearDuplicateDistance: number;
}

/**
 * Motion blur (maxBlurAnisotropy) is judged only where the blurriest direction is at least this
 * wide, in pixels at the delivered size: a direction sharper than that is crisp whatever the
 * other one does.
 */
export const MOTION_BLUR_MIN_WIDTH = 0.9;

/** The output spec of the standardize stage (documented in services/README.md). */
export interface StandardizePolicy {
  /** Long side of the derivative when no exact width × height is asked for. */
  maxLongSide: number;
  /** Exact output box (both or neither; 0 = unset): the derivative is fitted to width × height. */
  width: number;
  height: number;
  /** How the image meets its box: inside it, filling it (cropped), inside it padded, or stretched. */
  fit: StandardizeFit;
  /** Target aspect ratio "W:H" for a maxLongSide box ('' = the image's own). */
  aspectRatio: string;
  /** Whether an image smaller than its box may be enlarged. */
  upscale: boolean;
  /** Colour of the padding and of what transparent pixels are flattened onto, "#rrggbb". */
  background: string;
  /** Keep transparency where the format can, or flatten onto `background`. */
  alpha: 'keep' | 'flatten';
  format: StandardizeFormat;
  /** Encoder quality 1..100 (lossy formats). */
  quality: number;
  /** 8 (always, unless) 16: 16-bit PNG. */
  bitDepth: 8 | 16;
  /** An animated image: standardize its first frame, or reject it. */
  animated: 'first-frame' | 'reject';
  /** Metadata fields carried over; everything else (GPS, serials, maker notes, XMP, ...) is dropped. */
  keepMetadata: StandardizeMetadataField[];
  /** Long side of the thumbnail (0 = no thumbnail). */
  thumbnailSize: number;
}

export type StandardizeFit = 'contain' | 'cover' | 'pad' | 'exact';
export type StandardizeFormat = 'jpeg' | 'webp' | 'png' | 'avif';
export const standardizeMetadataFields = ['copyright', 'artist', 'description'] as const;
export type StandardizeMetadataField = (typeof standardizeMetadataFields)[number];

export const defaultPolicy: ProjectPolicy = {
  quality: {
    minWidth: 64,
    minHeight: 64,
    maxPixels: 100_000_000,
    maxAspectRatio: 3,
    maxBlurWidth: 1.4,
    maxBlurAnisotropy: 1.4,
    minBrightnessP99: 100,
    maxClipped: 0.25,
    maxBlackLevel: 59,
    washedOutMinMedian: 100,
    minContrast: 0.2,
    minEntropy: 2,
    rejectGreyscale: false,
    greyscaleMaxColourfulness: 12,
    rejectDuplicates: true,
    rejectNearDuplicates: true,
    nearDuplicateDistance: 8,
  },
  standardize: {
    maxLongSide: 1024,
    width: 0,
    height: 0,
    fit: 'contain',
    aspectRatio: '',
    upscale: false,
    background: '#ffffff',
    alpha: 'keep',
    format: 'jpeg',
    quality: 85,
    bitDepth: 8,
    animated: 'first-frame',
    keepMetadata: ['copyright'],
    thumbnailSize: 256,
  },
  compliance: defaultCompliancePolicy,
  annotation: defaultAnnotationPolicy,
  dataset: defaultDatasetPolicy,
};

export interface PolicyError {
  /** The field's path, for example "standardize.quality". */
  field: string;
  message: string;
}

const intIn = (min: number, max: number): Rule =>
  described({ type: 'integer', minimum: min, maximum: max }, (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? undefined
      : `must be an integer from ${min} to ${max}`,
  );
const oneOf = (...values: string[]): Rule =>
  described({ type: 'string', enum: values }, (value) =>
    typeof value === 'string' && values.includes(value) ? undefined : `must be one of ${values.join(', ')}`,
  );
const numberIn = (min: number, max: number): Rule =>
  described({ type: 'number', minimum: min, maximum: max }, (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? undefined
      : `must be a number from ${min} to ${max}`,
  );
const bool: Rule = described({ type: 'boolean' }, (value) =>
  typeof value === 'boolean' ? undefined : 'must be true or false',
);
const targetsRule: Rule = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object';
  for (const [name, target] of Object.entries(value)) {
    if (!(name in defaultDatasetPolicy.targets))
      return `has an unknown target "${name}" (${Object.keys(defaultDatasetPolicy.targets).join(', ')})`;
    const limit = name === 'minCameraModels' ? 1000 : name === 'minCaptureHours' ? 24 : 1;
    const problem = numberIn(0, limit)(target);
    if (problem) return `${name} ${problem}`;
  }
  return undefined;
};

const bucketSharesRule: Rule = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object';
  for (const [key, share] of Object.entries(value)) {
    const [axis, bucket] = key.split(':');
    const buckets = BUCKETS[axis as Axis] as readonly string[] | undefined;
    if (!buckets || !bucket || !buckets.includes(bucket))
      return `has an unknown bucket "${key}" (axis:bucket, e.g. ${AXES.map((a) => `${a}:${BUCKETS[a][0]}`).join(', ')})`;
    const problem = numberIn(0, 1)(share);
    if (problem) return `${key} ${problem}`;
  }
  return undefined;
};

const pattern = (regex: RegExp, expected: string): Rule =>
  described({ type: 'string', pattern: regex.source }, (value) =>
    typeof value === 'string' && regex.test(value) ? undefined : `must be ${expected}`,
  );
const either = (...allowed: number[]): Rule =>
  described({ type: 'integer', enum: allowed }, (value) =>
    typeof value === 'number' && allowed.includes(value) ? undefined : `must be ${allowed.join(' or ')}`,
  );
const listOf = (...values: string[]): Rule =>
  described({ type: 'array', items: { type: 'string', enum: values }, uniqueItems: true }, (value) =>
    Array.isArray(value) &&
    value.every((item) => typeof item === 'string' && values.includes(item)) &&
    new Set(value).size === value.length
      ? undefined
      : `must be a list of distinct names from ${values.join(', ')}`,
  );

const rules: { [S in keyof ProjectPolicy]: { [F in keyof ProjectPolicy[S]]: Rule } } = {
  quality: {
    minWidth: intIn(1, 100_000),
    minHeight: intIn(1, 100_000),
    maxPixels: intIn(1, 100_000_000),
    maxAspectRatio: numberIn(1, 1000),
    maxBlurWidth: numberIn(0.1, 100),
    maxBlurAnisotropy: numberIn(1, 100),
    minBrightnessP99: intIn(0, 255),
    maxClipped: numberIn(0, 1),
    maxBlackLevel: intIn(0, 255),
    washedOutMinMedian: intIn(0, 255),
    minContrast: numberIn(0, 1),
    minEntropy: numberIn(0, 8),
    rejectGreyscale: bool,
    greyscaleMaxColourfulness: intIn(0, 255),
    rejectDuplicates: bool,
    rejectNearDuplicates: bool,
    nearDuplicateDistance: intIn(0, 64),
  },
  standardize: {
    maxLongSide: intIn(16, 16_384),
    width: intIn(0, 16_384),
    height: intIn(0, 16_384),
    fit: oneOf('contain', 'cover', 'pad', 'exact'),
    aspectRatio: pattern(/^$|^[1-9]\d{0,4}:[1-9]\d{0,4}$/, 'empty or a ratio "W:H" such as "4:3"'),
    upscale: bool,
    background: pattern(/^#[0-9a-f]{6}$/i, 'a colour "#rrggbb"'),
    alpha: oneOf('keep', 'flatten'),
    format: oneOf('jpeg', 'webp', 'png', 'avif'),
    quality: intIn(1, 100),
    bitDepth: either(8, 16),
    animated: oneOf('first-frame', 'reject'),
    keepMetadata: listOf(...standardizeMetadataFields),
    thumbnailSize: intIn(0, 4096),
  },
  compliance: {
    requireConsent: bool,
    preset: oneOf(...compliancePresets),
    regions: regionsRule,
    redaction: redactionRule,
    allowedNames: allowedNamesRule,
    rawRetentionDays: intIn(0, 36_500),
  },
  annotation: {
    required: bool,
    taskType: oneOf(...annotationTaskTypes),
    classes: names('classes', { max: 1000 }),
    attributes: attributesRule,
    keypoints: names('keypoints', { max: 100 }),
    overlap: intIn(1, 10),
    priority: intIn(0, 100),
    pools: names('pools', { min: 1, max: 50 }),
    routing: routingRule,
    consensusThreshold: numberIn(0, 1),
    iouThreshold: numberIn(0.05, 1),
    keypointDistance: numberIn(0.001, 1),
    goldRatio: numberIn(0, 0.5),
    leaseSeconds: intIn(10, 3600),
  },
  dataset: {
    train: numberIn(0, 1),
    val: numberIn(0, 1),
    test: numberIn(0, 1),
    targets: targetsRule,
    minBucketShare: bucketSharesRule,
  },
};

/**
 * The JSON Schema of a policy document (for API documents): its sections and their settings, no
 * other property; each setting's type and range where its rule has one schema (the others, lists
 * and maps of their own, say "checked by the server"). Rules between settings (width with height,
 * 16 bits with PNG, ...) are the server's alone: a document valid by this schema may still be a
 * 400 naming the field.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const section = (fields: Record<string, Rule>) => ({
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      Object.entries(fields).map(([field, rule]) => [
        field,
        rule.schema ?? { description: 'checked by the server (services/README.md)' },
      ]),
    ),
  });
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      Object.entries(rules).map(([name, fields]) => [name, section(fields as Record<string, Rule>)]),
    ),
  };
}

/**
 * A quality section written before issue 22 may carry `maxBlur`, the old blur effect (0 sharp .. 1
 * featureless; 1 turned the check off). It measured something the edge-width rule does not, so no
 * value of it maps onto maxBlurWidth: a project that had turned blur off (maxBlur 1) keeps it off
 * (maxBlurWidth and maxBlurAnisotropy 100), any other value takes today's defaults. Settings given
 * alongside it win.
 */
export function upgradeQualitySection(quality: Record<string, unknown>): Record<string, unknown> {
  if (!('maxBlur' in quality)) return quality;
  const { maxBlur, ...rest } = quality;
  return typeof maxBlur === 'number' && maxBlur >= 1
    ? { maxBlurWidth: 100, maxBlurAnisotropy: 100, ...rest }
    : rest;
}

const legacyMaxBlur = numberIn(0, 1);

/**
 * Checks a (partial) policy document and fills in the defaults. Returns every problem at once,
 * each naming its field.
 */
export function resolvePolicy(input: unknown): { policy: ProjectPolicy; errors: PolicyError[] } {
  const errors: PolicyError[] = [];
  const policy = structuredClone(defaultPolicy) as unknown as Record<string, Record<string, unknown>>;
  if (input === undefined || input === null) return { policy: policy as unknown as ProjectPolicy, errors };
  if (typeof input !== 'object' || Array.isArray(input)) {
    return { policy: defaultPolicy, errors: [{ field: 'policy', message: 'must be an object' }] };
  }
  for (const [section, sectionValue] of Object.entries(input)) {
    const sectionRules = (rules as Record<string, Record<string, Rule> | undefined>)[section];
    if (!sectionRules) {
      errors.push({ field: section, message: `is not a policy section (${Object.keys(rules).join(', ')})` });
      continue;
    }
    if (typeof sectionValue !== 'object' || sectionValue === null || Array.isArray(sectionValue)) {
      errors.push({ field: section, message: 'must be an object' });
      continue;
    }
    let fields = sectionValue as Record<string, unknown>;
    if (section === 'quality' && 'maxBlur' in fields) {
      // An old document (read back from a project stored before issue 22) still validates.
      const problem = legacyMaxBlur(fields['maxBlur']);
      if (problem) errors.push({ field: 'quality.maxBlur', message: problem });
      fields = upgradeQualitySection(fields);
    }
    for (const [field, value] of Object.entries(fields)) {
      const rule = sectionRules[field];
      if (!rule) {
        errors.push({ field: `${section}.${field}`, message: 'is not a known setting' });
        continue;
      }
      const problem = rule(value);
      if (problem) errors.push({ field: `${section}.${field}`, message: problem });
      else if (section === 'dataset' && field === 'targets')
        policy[section]![field] = { ...defaultDatasetPolicy.targets, ...(value as object) };
      else policy[section]![field] = value;
    }
  }
  const resolved = policy as unknown as ProjectPolicy;
  const complianceInput = (input as Record<string, unknown>)['compliance'];
  if (!errors.some((error) => error.field.startsWith('compliance')))
    resolved.compliance = completeCompliance(
      resolved.compliance,
      typeof complianceInput === 'object' && complianceInput !== null && 'regions' in complianceInput,
    );
  resolved.annotation.attributes = normaliseAttributes(resolved.annotation.attributes);
  if (!errors.some((error) => error.field.startsWith('standardize')))
    errors.push(...standardizeConflicts(resolved.standardize));
  if (!errors.some((error) => error.field.startsWith('annotation')))
    errors.push(...annotationConflicts(resolved.annotation));
  if (!errors.some((error) => error.field.startsWith('dataset')))
    errors.push(...datasetConflicts(resolved.dataset));
  return { policy: resolved, errors };
}

/** Rules that span fields of the standardize section. */
function standardizeConflicts(spec: StandardizePolicy): PolicyError[] {
  const errors: PolicyError[] = [];
  if ((spec.width === 0) !== (spec.height === 0))
    errors.push({ field: 'standardize.width', message: 'width and height must be set together (or both 0)' });
  if (spec.width > 0 && spec.aspectRatio !== '')
    errors.push({
      field: 'standardize.aspectRatio',
      message: 'must be empty when width and height are set (they fix the ratio)',
    });
  if (spec.bitDepth === 16 && spec.format !== 'png')
    errors.push({ field: 'standardize.bitDepth', message: '16 needs format png' });
  return errors;
}

/**
 * A policy as stored, completed: sections and settings added since it was written take their
 * defaults, and settings since replaced are mapped (upgradeQualitySection).
 */
export function storedPolicy(stored: Partial<ProjectPolicy>): ProjectPolicy {
  return {
    quality: {
      ...defaultPolicy.quality,
      ...(upgradeQualitySection({ ...stored.quality }) as Partial<ProjectPolicy['quality']>),
    },
    standardize: { ...defaultPolicy.standardize, ...stored.standardize },
    compliance: {
      ...defaultPolicy.compliance,
      ...stored.compliance,
      redaction: { ...defaultPolicy.compliance.redaction, ...stored.compliance?.redaction },
    },
    annotation: { ...defaultPolicy.annotation, ...stored.annotation },
    dataset: {
      ...defaultPolicy.dataset,
      ...stored.dataset,
      targets: { ...defaultPolicy.dataset.targets, ...stored.dataset?.targets },
    },
  };
}
