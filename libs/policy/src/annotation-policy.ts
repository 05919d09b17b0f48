/**
 * A project's annotation policy and its dataset settings (split ratios, diversity targets), with
 * their validation rules. Documented in services/annotation-router/README.md.
 */
export const annotationTaskTypes = ['classification', 'bbox', 'polygon', 'keypoints', 'tracking'] as const;
export type AnnotationTaskType = (typeof annotationTaskTypes)[number];

export const attributeTypes = ['boolean', 'number', 'text', 'choice'] as const;
export type AttributeType = (typeof attributeTypes)[number];

/** An attribute of a label, for example `occluded` (boolean) or `colour` (choice of values). */
export interface LabelAttribute {
  name: string;
  type: AttributeType;
  /** The allowed values of a `choice` attribute. */
  values: string[];
  /** A label of a class it applies to must carry it. */
  required: boolean;
  /** The classes it applies to; empty = every class. */
  classes: string[];
}

/** Images declared from `region` go only to annotators of `pools`. */
export interface RoutingRule {
  region: string;
  pools: string[];
}

export interface AnnotationPolicy {
  /** false: a cleared image is curated at once, without labels. */
  required: boolean;
  taskType: AnnotationTaskType;
  /** The label schema: the class names an annotator may use. */
  classes: string[];
  attributes: LabelAttribute[];
  /** The named points of a `keypoints` task, in order (for example nose, left_eye, ...). */
  keypoints: string[];
  /** Independent annotations per image (1..10); more than one are merged by consensus. */
  overlap: number;
  /** Higher first (0..100) among the tasks of one queue. */
  priority: number;
  /** The annotator pools that may see this project's images (when no routing rule matches). */
  pools: string[];
  /** Region → the only pools allowed to see images declared from it. */
  routing: RoutingRule[];
  /** Agreement (0..1) below which a merged annotation goes to the review queue. */
  consensusThreshold: number;
  /** Two boxes (or polygons' bounds) of one object overlap by at least this IoU (0..1). */
  iouThreshold: number;
  /** Two keypoints agree within this fraction of the image diagonal. */
  keypointDistance: number;
  /** The fraction (0..0.5) of an annotator's leases that are gold tasks with known answers. */
  goldRatio: number;
  /** How long a lease lasts when the annotator does not ask for another length, seconds. */
  leaseSeconds: number;
}

/** Minimum diversity targets a dataset report flags when unmet (0 = no target). */
export interface DiversityTargets {
  /** Distinct camera models among the curated images. */
  minCameraModels: number;
  /** Smallest share (0..1) any class of the schema may have among the labels. */
  minClassShare: number;
  /** Distinct capture hours (0..24) among the curated images. */
  minCaptureHours: number;
  /** Portrait images' share must be at least this (0..1). */
  minPortraitShare: number;
  /** Mean agreement of consensus (0..1). */
  minMeanAgreement: number;
  /** The largest scene cluster's share of the images must be at most this (0..1; 0 = no target). */
  maxSceneClusterShare: number;
  /** A batch's mean novelty against the project's earlier images must be at least this (0..1). */
  minBatchNovelty: number;
}

export interface DatasetPolicy {
  /** Split ratios (each 0..1, summing to 1): an image's split follows from its id and these. */
  train: number;
  val: number;
  test: number;
  targets: DiversityTargets;
  /**
   * Minimum share (0..1) of the images in a content bucket, keyed "axis:bucket" (libs/diversity
   * BUCKETS), e.g. {"timeOfDay:night": 0.2, "viewpoint:profile": 0.1}.
   */
  minBucketShare: Record<string, number>;
}

export const defaultAnnotationPolicy: AnnotationPolicy = {
  required: false,
  taskType: 'classification',
  classes: [],
  attributes: [],
  keypoints: [],
  overlap: 1,
  priority: 0,
  pools: ['default'],
  routing: [],
  consensusThreshold: 0.7,
  iouThreshold: 0.5,
  keypointDistance: 0.05,
  goldRatio: 0,
  leaseSeconds: 300,
};

export const defaultDatasetPolicy: DatasetPolicy = {
  train: 0.8,
  val: 0.1,
  test: 0.1,
  targets: {
    minCameraModels: 0,
    minClassShare: 0,
    minCaptureHours: 0,
    minPortraitShare: 0,
    minMeanAgreement: 0,
    maxSceneClusterShare: 0,
    minBatchNovelty: 0,
  },
  minBucketShare: {},
};

/**
 * A validation rule: the problem with a value, or undefined when it is fine. A rule may carry the
 * JSON Schema of the values it accepts (`policyJsonSchema`, for API documents), when one says it
 * whole; a rule without one is documented as "checked by the server".
 */
export type Rule = ((value: unknown) => string | undefined) & { schema?: Record<string, unknown> };

/** `rule` with the JSON Schema of what it accepts. */
export const described = (schema: Record<string, unknown>, rule: Rule): Rule =>
  Object.assign(rule, { schema });

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/i;

export const names =
  (what: string, { min = 0, max = 1000 } = {}): Rule =>
  (value) => {
    if (!Array.isArray(value) || value.length < min || value.length > max)
      return `must be a list of ${min}..${max} ${what}`;
    const bad = value.findIndex((item) => typeof item !== 'string' || !NAME.test(item));
    if (bad >= 0) return `item ${bad} must be a name of letters, digits, "_", "-" or "." (1..64)`;
    if (new Set(value).size !== value.length) return `must not repeat ${what}`;
    return undefined;
  };

export function fieldsOf(value: unknown, known: readonly string[], where: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `${where} must be an object`;
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  return unknown === undefined
    ? undefined
    : `${where} has an unknown field "${unknown}" (${known.join(', ')})`;
}

export const attributesRule: Rule = (value) => {
  if (!Array.isArray(value) || value.length > 100) return 'must be a list of at most 100 attributes';
  const seen = new Set<string>();
  for (const [index, item] of value.entries()) {
    const where = `item ${index}`;
    const shape = fieldsOf(item, ['name', 'type', 'values', 'required', 'classes'], where);
    if (shape) return shape;
    const attribute = item as Record<string, unknown>;
    if (typeof attribute['name'] !== 'string' || !NAME.test(attribute['name']))
      return `${where}: name must be a name of letters, digits, "_", "-" or "." (1..64)`;
    if (seen.has(attribute['name'])) return `${where}: attribute "${attribute['name']}" is listed twice`;
    seen.add(attribute['name']);
    if (!attributeTypes.includes(attribute['type'] as AttributeType))
      return `${where}: type must be one of ${attributeTypes.join(', ')}`;
    if (attribute['required'] !== undefined && typeof attribute['required'] !== 'boolean')
      return `${where}: required must be true or false`;
    const values = attribute['values'] ?? [];
    const valuesProblem = names('values')(values);
    if (valuesProblem) return `${where}: values ${valuesProblem}`;
    if (attribute['type'] === 'choice' && (values as string[]).length < 2)
      return `${where}: a choice attribute needs at least two values`;
    if (attribute['type'] !== 'choice' && (values as string[]).length > 0)
      return `${where}: only a choice attribute has values`;
    const classesProblem = names('classes')(attribute['classes'] ?? []);
    if (classesProblem) return `${where}: classes ${classesProblem}`;
  }
  return undefined;
};

export const routingRule: Rule = (value) => {
  if (!Array.isArray(value) || value.length > 100) return 'must be a list of at most 100 rules';
  const regions = new Set<string>();
  for (const [index, item] of value.entries()) {
    const where = `item ${index}`;
    const shape = fieldsOf(item, ['region', 'pools'], where);
    if (shape) return shape;
    const rule = item as Record<string, unknown>;
    if (typeof rule['region'] !== 'string' || !/^[A-Za-z0-9-]{1,32}$/.test(rule['region']))
      return `${where}: region must be a region code such as "EU" or "US-IL"`;
    if (regions.has(rule['region'])) return `${where}: region "${rule['region']}" is listed twice`;
    regions.add(rule['region']);
    const pools = names('pools', { min: 1, max: 50 })(rule['pools']);
    if (pools) return `${where}: pools ${pools}`;
  }
  return undefined;
};

/** Cross-field rules of the annotation section (run once each field is valid on its own). */
export function annotationConflicts(policy: AnnotationPolicy): Array<{ field: string; message: string }> {
  const errors: Array<{ field: string; message: string }> = [];
  if (policy.required && policy.classes.length === 0)
    errors.push({
      field: 'annotation.classes',
      message: 'must list at least one class when annotation is required',
    });
  if (policy.taskType === 'keypoints' && policy.required && policy.keypoints.length === 0)
    errors.push({ field: 'annotation.keypoints', message: 'must name the keypoints of a keypoints task' });
  for (const [index, attribute] of policy.attributes.entries()) {
    const unknown = (attribute.classes ?? []).find((name) => !policy.classes.includes(name));
    if (unknown !== undefined)
      errors.push({
        field: `annotation.attributes`,
        message: `item ${index}: class "${unknown}" is not in annotation.classes`,
      });
  }
  return errors;
}

/** Fills in an attribute's optional fields. */
export function normaliseAttributes(attributes: readonly Partial<LabelAttribute>[]): LabelAttribute[] {
  return attributes.map((attribute) => ({
    name: attribute.name ?? '',
    type: attribute.type ?? 'text',
    values: attribute.values ?? [],
    required: attribute.required ?? false,
    classes: attribute.classes ?? [],
  }));
}

export function datasetConflicts(policy: DatasetPolicy): Array<{ field: string; message: string }> {
  const sum = policy.train + policy.val + policy.test;
  return sum > 0.999_999 && sum < 1.000_001
    ? []
    : [{ field: 'dataset.train', message: `train, val and test must sum to 1 (they sum to ${sum})` }];
}
