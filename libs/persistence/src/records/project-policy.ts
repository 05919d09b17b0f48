/**
 * A project's policy: per-stage settings, validated on write, with documented defaults. Later
 * issues widen each section; unknown fields are refused so a typo is an error, not a no-op.
 */
export interface ProjectPolicy {
  quality: { minWidth: number; minHeight: number };
  standardize: { maxLongSide: number; format: 'jpeg' | 'webp' | 'png'; quality: number };
  compliance: { requireConsent: boolean };
  annotation: { required: boolean; taskType: string };
}

export const defaultPolicy: ProjectPolicy = {
  quality: { minWidth: 64, minHeight: 64 },
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
const bool: Rule = (value) => (typeof value === 'boolean' ? undefined : 'must be true or false');
const text: Rule = (value) =>
  typeof value === 'string' && /^[a-z][a-z0-9_]{0,39}$/.test(value) ? undefined : 'must be a lower-case word';

const rules: { [S in keyof ProjectPolicy]: { [F in keyof ProjectPolicy[S]]: Rule } } = {
  quality: { minWidth: intIn(1, 100_000), minHeight: intIn(1, 100_000) },
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
