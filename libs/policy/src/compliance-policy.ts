/**
 * A project's compliance policy: what happens, per region, to an image that shows people; how
 * faces are redacted; which metadata may survive; how long raw uploads are kept. Validated on
 * write with errors naming the field. Documented in services/compliance/README.md.
 */
import { fieldsOf, type Rule } from './annotation-policy';

export const peopleRules = ['allow', 'redact', 'reject'] as const;
/**
 * allow: faces stay visible when the image declares a valid consent covering faces in its region,
 * otherwise `withoutConsent` applies; redact: faces are always redacted; reject: an image with a
 * detected face is refused (`faces_not_allowed`).
 */
export type PeopleRule = (typeof peopleRules)[number];
export const redactionMethods = ['pixelate', 'blur', 'fill'] as const;
export type RedactionMethod = (typeof redactionMethods)[number];
export const compliancePresets = ['none', 'gdpr', 'bipa'] as const;
export type CompliancePreset = (typeof compliancePresets)[number];
/** The metadata fields a derivative may carry (the standardize stage's whitelist). */
export const survivingMetadataFields = ['copyright', 'artist', 'description'] as const;
export type SurvivingMetadataField = (typeof survivingMetadataFields)[number];

export interface RegionRule {
  people: PeopleRule;
  /** What `allow` falls back to when no valid consent covers the image. */
  withoutConsent: 'redact' | 'reject';
  /** Metadata fields the cleared derivative keeps (a subset of what standardize kept). */
  keepMetadata: SurvivingMetadataField[];
}

export interface RedactionPolicy {
  /** pixelate (blocks scaled to the face, then blurred), blur (scaled to the face) or solid fill. */
  method: RedactionMethod;
  /** Margin added around each detected box, as a fraction of its size (0..1). */
  marginRatio: number;
  /** Detector score (0.2..0.99) from which a detection counts as a face. */
  minScore: number;
  /**
   * The smallest face (px of the standardized image, 16..4096) the detector must find. 16 (the
   * default) runs the face model at full resolution; larger values run it on a smaller image.
   */
  minFaceSize: number;
  /** Detect and redact licence plates too (whatever the region's rule for faces). */
  plates: boolean;
}

export interface CompliancePolicy {
  /** Refuse an image that declares no consent at all (consent_missing). */
  requireConsent: boolean;
  /** The preset the regions started from (documented); explicit regions override its entries. */
  preset: CompliancePreset;
  /** Region code ("EU", "US-IL", "default") → rule; an image's region falls back to its country, then "default". */
  regions: Record<string, RegionRule>;
  redaction: RedactionPolicy;
  /** Artist/owner names allowed to remain in a derivative's metadata (the metadata_leak check). */
  allowedNames: string[];
  /** Raw uploads are deleted this many days after the image reached a terminal state (0 = kept). */
  rawRetentionDays: number;
}

const EU_MEMBERS = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
];

/** Region codes that name a group of countries: a rule or a consent for the group covers its members. */
export const regionGroups: Readonly<Record<string, readonly string[]>> = {
  EU: EU_MEMBERS,
  EEA: [...EU_MEMBERS, 'IS', 'LI', 'NO'],
};

/** The region itself, its country ("US" for "US-IL"), then the groups the country belongs to. */
export function regionLineage(region: string): string[] {
  const code = region.trim().toUpperCase();
  const country = code.split('-')[0] ?? '';
  const groups = Object.keys(regionGroups).filter((group) => regionGroups[group]!.includes(country));
  return [...new Set([code, country, ...groups])].filter((entry) => entry !== '');
}

const GDPR_REGIONS = ['EU', 'EEA', 'GB', 'CH', ...EU_MEMBERS, 'IS', 'LI', 'NO'];

const rule = (people: PeopleRule, withoutConsent: 'redact' | 'reject', keep: SurvivingMetadataField[]) => ({
  people,
  withoutConsent,
  keepMetadata: keep,
});

/**
 * The presets' regions. gdpr: in the EU/EEA (and the UK and Switzerland) a face stays visible only
 * with an explicit consent, otherwise it is redacted, and no author metadata survives; elsewhere
 * faces are redacted. bipa: in Illinois (and Texas and Washington, with similar biometric laws) a
 * face needs a written consent or the image is refused; elsewhere faces are redacted.
 */
export const presetRegions: Record<CompliancePreset, Record<string, RegionRule>> = {
  none: { default: rule('redact', 'redact', ['copyright']) },
  gdpr: {
    default: rule('redact', 'redact', ['copyright']),
    ...Object.fromEntries(GDPR_REGIONS.map((code) => [code, rule('allow', 'redact', [])])),
  },
  bipa: {
    default: rule('redact', 'redact', ['copyright']),
    'US-IL': rule('allow', 'reject', ['copyright']),
    'US-TX': rule('allow', 'reject', ['copyright']),
    'US-WA': rule('allow', 'reject', ['copyright']),
  },
};

export const defaultCompliancePolicy: CompliancePolicy = {
  requireConsent: false,
  preset: 'none',
  regions: presetRegions.none,
  redaction: { method: 'pixelate', marginRatio: 0.25, minScore: 0.5, minFaceSize: 16, plates: true },
  allowedNames: [],
  rawRetentionDays: 0,
};

const REGION = /^(default|[A-Z]{2,3}(-[A-Z0-9]{1,3})?)$/;

export const regionsRule: Rule = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must be an object of region code → rule';
  const entries = Object.entries(value);
  if (entries.length > 300) return 'must list at most 300 regions';
  for (const [region, item] of entries) {
    if (!REGION.test(region)) return `"${region}" is not a region code such as "EU", "US-IL" or "default"`;
    const shape = fieldsOf(item, ['people', 'withoutConsent', 'keepMetadata'], region);
    if (shape) return shape;
    const entry = item as Record<string, unknown>;
    if (!peopleRules.includes(entry['people'] as PeopleRule))
      return `${region}.people must be one of ${peopleRules.join(', ')}`;
    if (
      entry['withoutConsent'] !== undefined &&
      !['redact', 'reject'].includes(entry['withoutConsent'] as string)
    )
      return `${region}.withoutConsent must be redact or reject`;
    const keep = entry['keepMetadata'];
    if (
      keep !== undefined &&
      (!Array.isArray(keep) ||
        keep.some((field) => !survivingMetadataFields.includes(field as SurvivingMetadataField)) ||
        new Set(keep).size !== keep.length)
    )
      return `${region}.keepMetadata must be a list of distinct names from ${survivingMetadataFields.join(', ')}`;
  }
  return undefined;
};

export const redactionRule: Rule = (value) => {
  const shape = fieldsOf(value, ['method', 'marginRatio', 'minScore', 'minFaceSize', 'plates'], 'redaction');
  if (shape) return shape;
  const entry = value as Record<string, unknown>;
  if (entry['method'] !== undefined && !redactionMethods.includes(entry['method'] as RedactionMethod))
    return `method must be one of ${redactionMethods.join(', ')}`;
  for (const [field, min, max] of [
    ['marginRatio', 0, 1],
    ['minScore', 0.2, 0.99],
  ] as const) {
    const number = entry[field];
    if (number !== undefined && (typeof number !== 'number' || !(number >= min && number <= max)))
      return `${field} must be a number from ${min} to ${max}`;
  }
  const size = entry['minFaceSize'];
  if (size !== undefined && (typeof size !== 'number' || !Number.isInteger(size) || size < 16 || size > 4096))
    return 'minFaceSize must be an integer from 16 to 4096 (pixels)';
  if (entry['plates'] !== undefined && typeof entry['plates'] !== 'boolean')
    return 'plates must be true or false';
  return undefined;
};

export const allowedNamesRule: Rule = (value) =>
  Array.isArray(value) &&
  value.length <= 1000 &&
  value.every((name) => typeof name === 'string' && name.trim() !== '' && name.length <= 200)
    ? undefined
    : 'must be a list of at most 1000 names (1..200 characters)';

/**
 * Fills a validated compliance section: the preset's regions under the explicit ones, each region
 * rule and the redaction settings completed with their defaults.
 */
export function completeCompliance(section: CompliancePolicy, explicitRegions: boolean): CompliancePolicy {
  const base = presetRegions[section.preset];
  const given = explicitRegions ? section.regions : {};
  const regions: Record<string, RegionRule> = {};
  for (const [region, entry] of Object.entries({ ...base, ...given })) {
    regions[region] = {
      people: entry.people,
      withoutConsent: entry.withoutConsent ?? 'redact',
      keepMetadata: entry.keepMetadata ?? [],
    };
  }
  regions['default'] ??= base['default']!;
  return {
    ...section,
    regions,
    redaction: { ...defaultCompliancePolicy.redaction, ...section.redaction },
  };
}

/**
 * The rule for an image declared from `region`: the region itself, then its country ("US" for
 * "US-IL"), then a group it belongs to ("EU" for "DE"), then "default".
 */
export function regionRuleFor(
  policy: Pick<CompliancePolicy, 'regions'>,
  region: string,
): { region: string; rule: RegionRule } {
  for (const candidate of regionLineage(region)) {
    const found = policy.regions[candidate];
    if (found) return { region: candidate, rule: found };
  }
  return { region: 'default', rule: policy.regions['default'] ?? presetRegions.none['default']! };
}
