/**
 * A project's policy: per-stage settings, validated on write, with documented defaults. Later
 * issues widen each section; unknown fields are refused so a typo is an error, not a no-op.
 */
export interface ProjectPolicy {
  quality: QualityPolicy;
  standardize: { maxLongSide: number; format: 'jpeg' | 'webp' | 'png'; quality: number };
  compliance: { requireConsent: boolean };
  annotation: { required: boolean; taskType: string };
}

/**
 * The quality stage's thresholds, one per rejection reason. The defaults were calibrated on the
 * corpus' real photos and degraded copies of them (services/quality/docs/calibration.md).
 */
export interface QualityPolicy {
  /** too_small below either side (as displayed). */
  minWidth: number;
  minHeight: number;
  /** too_large above this many pixels (width × height), judged from the header before decoding. */
  maxPixels: number;
  /** odd_aspect_ratio above this long side / short side. */
  maxAspectRatio: number;
  /** blurry above this blur effect (0 sharp .. 1 featureless); 1 turns the check off. */
  maxBlur: number;
  /** underexposed when even the brightest 1 % of pixels is darker than this (0..255); 0 turns it off. */
  minBrightnessP99: number;
  /** overexposed when more than this fraction of pixels is blown out (and no deep shadows); 1 turns it off. */
  maxClipped: number;
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

export const defaultPolicy: ProjectPolicy = {
  quality: {
    minWidth: 64,
    minHeight: 64,
    maxPixels: 100_000_000,
    maxAspectRatio: 3,
    maxBlur: 0.5,
    minBrightnessP99: 100,
    maxClipped: 0.25,
    minContrast: 0.2,
    minEntropy: 2,
    rejectGreyscale: false,
    greyscaleMaxColourfulness: 12,
    rejectDuplicates: true,
    rejectNearDuplicates: true,
    nearDuplicateDistance: 8,
  },
  standardize: { maxLongSide: 1024, format: 'jpeg', quality: 85 },
  compliance: { requireConsent: false },
  annotation: { required: false, taskType: 'classification' },
};

export interface PolicyError {
  /** The field's path, for example "standardize.quality". */
  field: string;
  message: string;
}

type Rule = (value: unknown) => string | undefined;

const intIn =
  (min: number, max: number): Rule =>
  (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? undefined
      : `must be an integer from ${min} to ${max}`;
const oneOf =
  (...values: string[]): Rule =>
  (value) =>
    typeof value === 'string' && values.includes(value) ? undefined : `must be one of ${values.join(', ')}`;
const numberIn =
  (min: number, max: number): Rule =>
  (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? undefined
      : `must be a number from ${min} to ${max}`;
const bool: Rule = (value) => (typeof value === 'boolean' ? undefined : 'must be true or false');
const text: Rule = (value) =>
  typeof value === 'string' && /^[a-z][a-z0-9_]{0,39}$/.test(value) ? undefined : 'must be a lower-case word';

const rules: { [S in keyof ProjectPolicy]: { [F in keyof ProjectPolicy[S]]: Rule } } = {
  quality: {
    minWidth: intIn(1, 100_000),
    minHeight: intIn(1, 100_000),
    maxPixels: intIn(1, 100_000_000),
    maxAspectRatio: numberIn(1, 1000),
    maxBlur: numberIn(0, 1),
    minBrightnessP99: intIn(0, 255),
    maxClipped: numberIn(0, 1),
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
    format: oneOf('jpeg', 'webp', 'png'),
    quality: intIn(1, 100),
  },
  compliance: { requireConsent: bool },
  annotation: { required: bool, taskType: text },
};

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
    for (const [field, value] of Object.entries(sectionValue as Record<string, unknown>)) {
      const rule = sectionRules[field];
      if (!rule) {
        errors.push({ field: `${section}.${field}`, message: 'is not a known setting' });
        continue;
      }
      const problem = rule(value);
      if (problem) errors.push({ field: `${section}.${field}`, message: problem });
      else policy[section]![field] = value;
    }
  }
  return { policy: policy as unknown as ProjectPolicy, errors };
}
