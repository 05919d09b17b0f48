import { isObject } from '@aperture/contracts';
import type { AnnotationPolicy, AnnotationTaskType } from '@aperture/policy';

/**
 * Labels in the project's coordinate convention: pixels of the cleared derivative, origin at the
 * top-left corner, x to the right, y down; a box is its top-left corner and its size.
 */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Point {
  x: number;
  y: number;
}
export interface Keypoint extends Point {
  name: string;
  visible: boolean;
}
export interface Label {
  className: string;
  box?: Box;
  polygon?: Point[];
  keypoints?: Keypoint[];
  /** Canonical text: "true"/"false", a decimal number, or the text/choice itself. */
  attributes: Record<string, string>;
  trackId?: string;
}
export interface Annotation {
  labels: Label[];
}

export interface Size {
  width: number;
  height: number;
}

export interface FieldError {
  field: string;
  message: string;
}

/** The parts of the policy a result is checked against. */
export type LabelSchema = Pick<AnnotationPolicy, 'classes' | 'attributes' | 'keypoints'> & {
  taskType: AnnotationTaskType;
};

const EPSILON = 1e-6;
const MAX_LABELS = 1000;
const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * Checks a submitted result (the JSON form: `{"labels": [{"class", "box"?, "polygon"?,
 * "keypoints"?, "attributes"?, "trackId"?}]}`) against the label schema and the image's size,
 * and returns it in canonical form, or every problem, each naming its field.
 */
export function validateResult(
  input: unknown,
  schema: LabelSchema,
  size: Size,
): { annotation: Annotation } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!isObject(input))
    return { errors: [{ field: 'result', message: 'must be an object {"labels": [...]}' }] };
  const unknownField = Object.keys(input).find((key) => key !== 'labels');
  if (unknownField !== undefined)
    errors.push({ field: unknownField, message: 'is not a field of a result (labels)' });
  const labels = input['labels'];
  if (!Array.isArray(labels) || labels.length > MAX_LABELS)
    return {
      errors: [...errors, { field: 'labels', message: `must be a list of at most ${MAX_LABELS} labels` }],
    };
  if (schema.taskType === 'classification' && labels.length === 0)
    errors.push({ field: 'labels', message: 'a classification needs at least one label' });

  const out: Label[] = [];
  const trackIds = new Set<string>();
  labels.forEach((raw, index) => {
    const label = validateLabel(raw, `labels[${index}]`, schema, size, errors);
    if (!label) return;
    if (label.trackId !== undefined) {
      if (trackIds.has(label.trackId))
        errors.push({
          field: `labels[${index}].trackId`,
          message: `"${label.trackId}" is used twice in one image`,
        });
      trackIds.add(label.trackId);
    }
    out.push(label);
  });
  if (schema.taskType === 'classification') {
    const classes = out.map((label) => label.className);
    if (new Set(classes).size !== classes.length)
      errors.push({ field: 'labels', message: 'a classification names each class at most once' });
  }
  return errors.length > 0 ? { errors } : { annotation: { labels: out } };
}

function validateLabel(
  raw: unknown,
  at: string,
  schema: LabelSchema,
  size: Size,
  errors: FieldError[],
): Label | undefined {
  if (!isObject(raw)) {
    errors.push({ field: at, message: 'must be an object' });
    return undefined;
  }
  const before = errors.length;
  const allowed = ['class', 'attributes', ...geometryFields(schema.taskType)];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key))
      errors.push({
        field: `${at}.${key}`,
        message: `is not a field of a ${schema.taskType} label (${allowed.join(', ')})`,
      });
  }
  const className = raw['class'];
  if (typeof className !== 'string' || !schema.classes.includes(className)) {
    errors.push({
      field: `${at}.class`,
      message: `${JSON.stringify(className)} is not a class of the project (${schema.classes.join(', ')})`,
    });
  }
  const label: Label = { className: String(className), attributes: {} };
  switch (schema.taskType) {
    case 'bbox':
    case 'tracking': {
      const box = checkBox(raw['box'], `${at}.box`, size, errors);
      if (box) label.box = box;
      if (schema.taskType === 'tracking') {
        const trackId = raw['trackId'];
        if (typeof trackId !== 'string' || !/^[\w.-]{1,64}$/.test(trackId))
          errors.push({
            field: `${at}.trackId`,
            message: 'must be an id (1..64 letters, digits, "_", "-", ".")',
          });
        else label.trackId = trackId;
      }
      break;
    }
    case 'polygon': {
      const polygon = checkPolygon(raw['polygon'], `${at}.polygon`, size, errors);
      if (polygon) label.polygon = polygon;
      break;
    }
    case 'keypoints': {
      const keypoints = checkKeypoints(raw['keypoints'], `${at}.keypoints`, schema.keypoints, size, errors);
      if (keypoints) label.keypoints = keypoints;
      break;
    }
    case 'classification':
      break;
  }
  label.attributes = checkAttributes(raw['attributes'], `${at}.attributes`, label.className, schema, errors);
  return errors.length === before ? label : undefined;
}

function geometryFields(taskType: AnnotationTaskType): string[] {
  switch (taskType) {
    case 'classification':
      return [];
    case 'bbox':
      return ['box'];
    case 'tracking':
      return ['box', 'trackId'];
    case 'polygon':
      return ['polygon'];
    case 'keypoints':
      return ['keypoints'];
  }
}

function inside(value: number, limit: number): boolean {
  return value >= -EPSILON && value <= limit + EPSILON;
}

function checkBox(raw: unknown, at: string, size: Size, errors: FieldError[]): Box | undefined {
  if (
    !isObject(raw) ||
    !finite(raw['x']) ||
    !finite(raw['y']) ||
    !finite(raw['width']) ||
    !finite(raw['height'])
  ) {
    errors.push({ field: at, message: 'must be {"x", "y", "width", "height"} in pixels' });
    return undefined;
  }
  const box = { x: raw['x'], y: raw['y'], width: raw['width'], height: raw['height'] };
  if (box.width <= 0 || box.height <= 0) {
    errors.push({ field: at, message: 'must have a positive width and height' });
    return undefined;
  }
  if (
    !inside(box.x, size.width) ||
    !inside(box.y, size.height) ||
    !inside(box.x + box.width, size.width) ||
    !inside(box.y + box.height, size.height)
  ) {
    errors.push({
      field: at,
      message: `must lie inside the image (${size.width}×${size.height}): it spans x ${box.x}..${box.x + box.width}, y ${box.y}..${box.y + box.height}`,
    });
    return undefined;
  }
  return box;
}

function toPoint(raw: unknown): Point | undefined {
  if (Array.isArray(raw) && raw.length === 2 && finite(raw[0]) && finite(raw[1]))
    return { x: raw[0], y: raw[1] };
  if (isObject(raw) && finite(raw['x']) && finite(raw['y'])) return { x: raw['x'], y: raw['y'] };
  return undefined;
}

function checkPolygon(raw: unknown, at: string, size: Size, errors: FieldError[]): Point[] | undefined {
  if (!Array.isArray(raw) || raw.length < 3 || raw.length > 10_000) {
    errors.push({ field: at, message: 'must be a list of 3..10000 points [x, y] or {"x", "y"}' });
    return undefined;
  }
  const points: Point[] = [];
  for (const [index, item] of raw.entries()) {
    const point = toPoint(item);
    if (!point) {
      errors.push({ field: `${at}[${index}]`, message: 'must be a point [x, y] or {"x", "y"}' });
      return undefined;
    }
    if (!inside(point.x, size.width) || !inside(point.y, size.height)) {
      errors.push({
        field: `${at}[${index}]`,
        message: `(${point.x}, ${point.y}) is outside the image (${size.width}×${size.height})`,
      });
      return undefined;
    }
    points.push(point);
  }
  return points;
}

function checkKeypoints(
  raw: unknown,
  at: string,
  names: readonly string[],
  size: Size,
  errors: FieldError[],
): Keypoint[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > names.length) {
    errors.push({
      field: at,
      message: `must be a list of 1..${names.length} keypoints {"name", "x", "y", "visible"?}`,
    });
    return undefined;
  }
  const seen = new Set<string>();
  const keypoints: Keypoint[] = [];
  for (const [index, item] of raw.entries()) {
    const point = toPoint(item);
    const name = isObject(item) ? item['name'] : undefined;
    const visible = isObject(item) ? (item['visible'] ?? true) : undefined;
    if (!point || typeof name !== 'string' || typeof visible !== 'boolean') {
      errors.push({ field: `${at}[${index}]`, message: 'must be {"name", "x", "y", "visible"?}' });
      return undefined;
    }
    if (!names.includes(name) || seen.has(name)) {
      errors.push({
        field: `${at}[${index}].name`,
        message: seen.has(name)
          ? `"${name}" is given twice`
          : `"${name}" is not a keypoint of the project (${names.join(', ')})`,
      });
      return undefined;
    }
    seen.add(name);
    if (visible && (!inside(point.x, size.width) || !inside(point.y, size.height))) {
      errors.push({
        field: `${at}[${index}]`,
        message: `a visible keypoint (${point.x}, ${point.y}) must lie inside the image (${size.width}×${size.height})`,
      });
      return undefined;
    }
    keypoints.push({ name, x: point.x, y: point.y, visible });
  }
  return keypoints;
}

function checkAttributes(
  raw: unknown,
  at: string,
  className: string,
  schema: LabelSchema,
  errors: FieldError[],
): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw !== undefined && !isObject(raw)) {
    errors.push({ field: at, message: 'must be an object of attribute values' });
    return out;
  }
  const given = raw ?? {};
  const applies = schema.attributes.filter(
    (attribute) => attribute.classes.length === 0 || attribute.classes.includes(className),
  );
  for (const [name, value] of Object.entries(given)) {
    const attribute = applies.find((candidate) => candidate.name === name);
    if (!attribute) {
      errors.push({ field: `${at}.${name}`, message: `is not an attribute of class "${className}"` });
      continue;
    }
    const text = attributeText(attribute.type, attribute.values, value);
    if (text === undefined)
      errors.push({
        field: `${at}.${name}`,
        message:
          attribute.type === 'choice'
            ? `must be one of ${attribute.values.join(', ')}`
            : attribute.type === 'boolean'
              ? 'must be true or false'
              : attribute.type === 'number'
                ? 'must be a number'
                : 'must be a text of at most 1000 characters',
      });
    else out[name] = text;
  }
  for (const attribute of applies) {
    if (attribute.required && !(attribute.name in given))
      errors.push({ field: `${at}.${attribute.name}`, message: `is required for class "${className}"` });
  }
  return out;
}

function attributeText(type: string, values: readonly string[], value: unknown): string | undefined {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean'
        ? String(value)
        : value === 'true' || value === 'false'
          ? value
          : undefined;
    case 'number': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return finite(number) ? String(number) : undefined;
    }
    case 'choice':
      return typeof value === 'string' && values.includes(value) ? value : undefined;
    default:
      return typeof value === 'string' && value.length <= 1000 ? value : undefined;
  }
}

/** The JSON form of an annotation (what annotators submit and what is stored). */
export function annotationToJson(annotation: Annotation): { labels: Array<Record<string, unknown>> } {
  return {
    labels: annotation.labels.map((label) => ({
      class: label.className,
      ...(label.box && { box: label.box }),
      ...(label.polygon && { polygon: label.polygon.map((point) => [point.x, point.y]) }),
      ...(label.keypoints && { keypoints: label.keypoints }),
      ...(Object.keys(label.attributes).length > 0 && { attributes: label.attributes }),
      ...(label.trackId !== undefined && { trackId: label.trackId }),
    })),
  };
}

/** An annotation from its stored JSON form (written by annotationToJson, so trusted). */
export function annotationFromJson(json: string): Annotation {
  const parsed = JSON.parse(json) as { labels: Array<Record<string, unknown>> };
  return {
    labels: parsed.labels.map((label) => ({
      className: String(label['class']),
      attributes: (label['attributes'] as Record<string, string> | undefined) ?? {},
      ...(label['box'] !== undefined && { box: label['box'] as Annotation['labels'][number]['box'] }),
      ...(label['polygon'] !== undefined && {
        polygon: (label['polygon'] as number[][]).map(([x = 0, y = 0]) => ({ x, y })),
      }),
      ...(label['keypoints'] !== undefined && {
        keypoints: label['keypoints'] as NonNullable<Annotation['labels'][number]['keypoints']>,
      }),
      ...(label['trackId'] !== undefined && { trackId: label['trackId'] as string }),
    })),
  };
}
