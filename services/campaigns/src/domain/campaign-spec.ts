import { isObject } from '@aperture/contracts';
import { AXES, BUCKETS } from '@aperture/diversity';
import { type CellSpec, ORIENTATIONS, SETTINGS, TIMES_OF_DAY } from './cells';

/** What a client states when it opens a campaign (POST /v1/campaigns), validated. */
export interface CampaignSpec {
  projectId: string;
  name: string;
  instructions: string;
  deadline: Date;
  /** Curated images one collector may contribute (0: no cap): diversity of sources. */
  perCollectorCap: number;
  /** A collector whose acceptance rate falls below this (0..1) is flagged... */
  minAcceptance: number;
  /** ...once this many of their images are decided (curated or rejected). */
  minDecided: number;
  /** How long an assignment lasts. */
  assignmentMinutes: number;
  cells: CellSpec[];
}

/** A field that is not what it must be: the API answers 400 invalid_request naming `field`. */
export class SpecError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = 'SpecError';
  }
}

type Json = Record<string, unknown>;

function text(
  body: Json,
  field: string,
  path: string,
  options: { required?: boolean; max?: number } = {},
): string {
  const value = body[field];
  if (value === undefined || value === null || value === '') {
    if (options.required) throw new SpecError(path, 'is required');
    return '';
  }
  if (typeof value !== 'string') throw new SpecError(path, 'must be a string');
  if (value.length > (options.max ?? 200))
    throw new SpecError(path, `must be at most ${options.max ?? 200} characters`);
  return value.trim();
}

function whole(body: Json, field: string, path: string, fallback: number, min: number, max: number): number {
  const value = body[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new SpecError(path, `must be a whole number from ${min} to ${max}`);
  return value;
}

function oneOf<T extends string>(body: Json, field: string, path: string, allowed: readonly T[]): T | '' {
  const value = text(body, field, path);
  if (value === '') return '';
  const lower = value.toLowerCase() as T;
  if (!allowed.includes(lower)) throw new SpecError(path, `must be one of ${allowed.join(', ')}`);
  return lower;
}

/** Tags: lower case, 1..40 characters of letters, digits, '-', '_' or ':'. */
export function parseTags(value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list)) throw new SpecError(path, 'must be a list of tags');
  const tags = list.map((tag) => {
    if (typeof tag !== 'string') throw new SpecError(path, 'must be a list of strings');
    return tag.trim().toLowerCase();
  });
  for (const tag of tags.filter((tag) => tag !== '')) {
    if (!/^[a-z0-9_:-]{1,40}$/.test(tag))
      throw new SpecError(path, `has ${JSON.stringify(tag)}: a tag is 1..40 of a-z, 0-9, "-", "_", ":"`);
  }
  return [...new Set(tags.filter((tag) => tag !== ''))].slice(0, 20);
}

/** "indoor" / "outdoor" / "" (undeclared); anything else names the field. */
export function parseSetting(value: unknown, path: string): 'indoor' | 'outdoor' | '' {
  return oneOf({ setting: value }, 'setting', path, SETTINGS);
}

/** Content buckets a cell asks for: each a bucket of libs/diversity (any axis), at most 7. */
export function parseContent(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > AXES.length || !value.every((v) => typeof v === 'string'))
    throw new SpecError(path, `must be a list of at most ${AXES.length} content buckets`);
  const known = new Set(AXES.flatMap((axis) => BUCKETS[axis]));
  const unknown = value.find((bucket) => !known.has(bucket));
  if (unknown !== undefined)
    throw new SpecError(
      path,
      `has an unknown content bucket ${JSON.stringify(unknown)} (${[...known].join(', ')})`,
    );
  return [...new Set(value)];
}

function parseCell(value: unknown, index: number): CellSpec {
  const path = `cells[${index}]`;
  if (!isObject(value)) throw new SpecError(path, 'must be an object');
  const target = whole(value, 'target', `${path}.target`, Number.NaN, 1, 1_000_000);
  const cap = whole(value, 'cap', `${path}.cap`, 0, 0, 1_000_000);
  if (cap !== 0 && cap < target)
    throw new SpecError(`${path}.cap`, `must be 0 (none) or at least the target (${target})`);
  return {
    cellId: `c${index + 1}`,
    category: text(value, 'category', `${path}.category`),
    region: text(value, 'region', `${path}.region`, { max: 40 }),
    timeOfDay: oneOf(value, 'timeOfDay', `${path}.timeOfDay`, TIMES_OF_DAY),
    setting: oneOf(value, 'setting', `${path}.setting`, SETTINGS),
    device: text(value, 'device', `${path}.device`, { max: 120 }),
    orientation: oneOf(value, 'orientation', `${path}.orientation`, ORIENTATIONS),
    tags: parseTags(value['tags'], `${path}.tags`),
    content: parseContent(value['content'], `${path}.content`),
    target,
    cap,
    instructions: text(value, 'instructions', `${path}.instructions`, { max: 2000 }),
  };
}

/**
 * Validates a campaign as posted. `classes` is the project's label schema: a cell's category must
 * be one of them when the schema names any. `now` decides whether the deadline is in the future.
 */
export function parseCampaignSpec(body: unknown, classes: readonly string[], now: Date): CampaignSpec {
  if (!isObject(body)) throw new SpecError('body', 'must be a JSON object');
  const known = new Set([
    'projectId',
    'name',
    'instructions',
    'deadline',
    'perCollectorCap',
    'minAcceptance',
    'minDecided',
    'assignmentMinutes',
    'cells',
  ]);
  for (const key of Object.keys(body))
    if (!known.has(key)) throw new SpecError(key, 'is not a campaign field');
  const deadlineText = text(body, 'deadline', 'deadline', { required: true });
  const deadline = new Date(deadlineText);
  if (Number.isNaN(deadline.getTime()) || !/^\d{4}-\d\d-\d\dT/.test(deadlineText))
    throw new SpecError('deadline', 'must be an RFC 3339 date and time, e.g. 2027-01-31T23:59:59Z');
  if (deadline.getTime() <= now.getTime()) throw new SpecError('deadline', 'must be in the future');
  const minAcceptance = body['minAcceptance'] ?? 0.5;
  if (typeof minAcceptance !== 'number' || !(minAcceptance >= 0 && minAcceptance <= 1))
    throw new SpecError('minAcceptance', 'must be a number from 0 to 1');
  const cells = body['cells'];
  if (!Array.isArray(cells) || cells.length === 0 || cells.length > 500)
    throw new SpecError('cells', 'must be a list of 1 to 500 cells');
  const parsed = cells.map(parseCell);
  if (classes.length > 0) {
    parsed.forEach((cell, index) => {
      if (cell.category !== '' && !classes.includes(cell.category))
        throw new SpecError(
          `cells[${index}].category`,
          `must be a class of the project's label schema (${classes.join(', ')})`,
        );
    });
  }
  return {
    projectId: text(body, 'projectId', 'projectId', { required: true }),
    name: text(body, 'name', 'name', { required: true }),
    instructions: text(body, 'instructions', 'instructions', { max: 2000 }),
    deadline,
    perCollectorCap: whole(body, 'perCollectorCap', 'perCollectorCap', 0, 0, 1_000_000),
    minAcceptance,
    minDecided: whole(body, 'minDecided', 'minDecided', 5, 1, 1_000_000),
    assignmentMinutes: whole(body, 'assignmentMinutes', 'assignmentMinutes', 60, 1, 7 * 24 * 60),
    cells: parsed,
  };
}
