/**
 * Quota cells: which images a cell takes, when it is full, and what an upload may still fill.
 * Pure functions over plain data, so every rule is unit-tested without Kafka or a database.
 */

export type TimeOfDay = 'day' | 'night';
export type Setting = 'indoor' | 'outdoor';
export type Orientation = 'landscape' | 'portrait' | 'square';

export const SETTINGS: readonly Setting[] = ['indoor', 'outdoor'];
export const TIMES_OF_DAY: readonly TimeOfDay[] = ['day', 'night'];
export const ORIENTATIONS: readonly Orientation[] = ['landscape', 'portrait', 'square'];

/** A cell as the client states it: an empty dimension matches any image. */
export interface CellSpec {
  cellId: string;
  category: string;
  region: string;
  timeOfDay: TimeOfDay | '';
  setting: Setting | '';
  /** Camera make and model, as EXIF says ("Apple iPhone 12"); compared without case or spacing. */
  device: string;
  orientation: Orientation | '';
  /** Every one of them must be among the image's tags. */
  tags: string[];
  /**
   * Content buckets (libs/diversity BUCKETS: "night", "rear view", "partly occluded") the image must
   * all be in, as the compliance stage measured them; absent on cells made before they existed.
   */
  content?: string[];
  target: number;
  /** 0: none, the cell is full at its target. */
  cap: number;
  instructions: string;
}

/**
 * What is known of an image. At upload only the declared facts are (category, region, setting,
 * tags): the measured ones are `undefined` there, and a cell that needs them may still match.
 * Once curated, every fact the image has is known; a measured fact it lacks (no EXIF camera) is
 * `''` and matches only cells that leave that dimension open.
 */
export interface ImageFacts {
  category: string;
  region: string;
  setting: string;
  tags: string[];
  timeOfDay?: TimeOfDay | '';
  device?: string;
  orientation?: Orientation | '';
  /** The image's content buckets, one per descriptor axis (unknown at upload). */
  content?: string[];
}

/** Night from 20:00 to 05:59 by the camera's clock. */
const NIGHT_FROM_HOUR = 20;
const NIGHT_UNTIL_HOUR = 6;
/**
 * Median luminance (0..255, measured by the quality stage) below which a picture is a night shot
 * when its capture time is unknown, and below which a "daytime" shot is taken as night anyway
 * (a camera clock left on another time zone, or a shot in the dark).
 */
export const NIGHT_MEDIAN_BRIGHTNESS = 60;
export const DARK_MEDIAN_BRIGHTNESS = 25;

/**
 * Day or night from the EXIF capture hour and the measured median brightness: the hour decides
 * (a lit room at night is still night); a very dark picture is night whatever the clock says; with
 * neither, the image has no time of day ('').
 */
export function timeOfDayOf(
  captureHour: number | undefined,
  medianBrightness: number | undefined,
): TimeOfDay | '' {
  if (medianBrightness !== undefined && medianBrightness < DARK_MEDIAN_BRIGHTNESS) return 'night';
  if (captureHour !== undefined) {
    return captureHour >= NIGHT_FROM_HOUR || captureHour < NIGHT_UNTIL_HOUR ? 'night' : 'day';
  }
  if (medianBrightness !== undefined) return medianBrightness < NIGHT_MEDIAN_BRIGHTNESS ? 'night' : 'day';
  return '';
}

/** Square when the sides differ by less than 5 % of the long side (a 4:3 shot is landscape). */
export function orientationOf(width: number, height: number): Orientation | '' {
  if (width <= 0 || height <= 0) return '';
  if (Math.abs(width - height) < 0.05 * Math.max(width, height)) return 'square';
  return width > height ? 'landscape' : 'portrait';
}

/** "Apple" + "iPhone 12" → "Apple iPhone 12"; a model that already starts with the make keeps it once. */
export function deviceOf(make: string | undefined, model: string | undefined): string {
  const cleanMake = (make ?? '').trim();
  const cleanModel = (model ?? '').trim();
  if (cleanModel.toLowerCase().startsWith(cleanMake.toLowerCase())) return cleanModel;
  return `${cleanMake} ${cleanModel}`.trim();
}

const norm = (value: string) => value.toLowerCase().replace(/\s+/g, ' ').trim();

function dimensionMatches(wanted: string, actual: string | undefined): boolean {
  if (wanted === '') return true;
  if (actual === undefined) return true; // not known yet: the cell may still take it
  return norm(wanted) === norm(actual);
}

/** Does the cell take an image with these facts (an unknown fact does not exclude it)? */
export function cellMatches(cell: CellSpec, facts: ImageFacts): boolean {
  const tags = new Set(facts.tags.map(norm));
  return (
    dimensionMatches(cell.category, facts.category) &&
    dimensionMatches(cell.region, facts.region) &&
    dimensionMatches(cell.setting, facts.setting) &&
    dimensionMatches(cell.timeOfDay, facts.timeOfDay) &&
    dimensionMatches(cell.device, facts.device) &&
    dimensionMatches(cell.orientation, facts.orientation) &&
    cell.tags.every((tag) => tags.has(norm(tag))) &&
    (facts.content === undefined || (cell.content ?? []).every((bucket) => facts.content!.includes(bucket)))
  );
}

/** The count at which a cell takes no more uploads: its cap, or its target when it has none. */
export function cellLimit(cell: Pick<CellSpec, 'target' | 'cap'>): number {
  return cell.cap > 0 ? cell.cap : cell.target;
}

export function cellFull(cell: Pick<CellSpec, 'target' | 'cap'>, curated: number): boolean {
  return curated >= cellLimit(cell);
}

/**
 * The cells a curated image counts in: every matching cell that still has room (quotas are
 * marginal, so a night shelf photo counts for both a "night" cell and a "shelf" cell). None: the
 * image is surplus (it matched only full cells, or none).
 */
export function cellsToCount(
  cells: CellSpec[],
  counts: ReadonlyMap<string, number>,
  facts: ImageFacts,
): string[] {
  return cells
    .filter((cell) => cellMatches(cell, facts) && !cellFull(cell, counts.get(cell.cellId) ?? 0))
    .map((cell) => cell.cellId);
}

export type UploadRefusal =
  { code: 'campaign_no_cell'; message: string } | { code: 'campaign_cell_full'; message: string };

/**
 * Whether an upload with these declared facts may still fill some cell: refused when no cell
 * takes them (surplus by declaration) or when every cell that could take them is full.
 */
export function uploadRefusal(
  cells: CellSpec[],
  counts: ReadonlyMap<string, number>,
  declared: ImageFacts,
): UploadRefusal | null {
  const candidates = cells.filter((cell) => cellMatches(cell, declared));
  const described = describeFacts(declared);
  if (candidates.length === 0) {
    return { code: 'campaign_no_cell', message: `no cell of this campaign takes ${described}` };
  }
  if (candidates.every((cell) => cellFull(cell, counts.get(cell.cellId) ?? 0))) {
    const names = candidates.map((cell) => cell.cellId).join(', ');
    return {
      code: 'campaign_cell_full',
      message: `every cell that takes ${described} is full (${names}): no more images are needed there`,
    };
  }
  return null;
}

function describeFacts(facts: ImageFacts): string {
  const parts = [
    facts.category && `category ${JSON.stringify(facts.category)}`,
    facts.region && `region ${JSON.stringify(facts.region)}`,
    facts.setting && `setting ${JSON.stringify(facts.setting)}`,
    facts.tags.length > 0 && `tags ${JSON.stringify(facts.tags)}`,
  ].filter(Boolean);
  return parts.length > 0 ? `an image with ${parts.join(', ')}` : 'an image with no declared attributes';
}

/** A short human name of a cell, for the CLI and instructions: "shelf · EU · night · portrait". */
export function cellLabel(
  // Structural, so a cell of the gRPC contract (plain strings) names itself the same way.
  cell: Record<'category' | 'region' | 'timeOfDay' | 'setting' | 'device' | 'orientation', string> & {
    tags: string[];
    content?: string[];
  },
): string {
  const parts = [
    cell.category,
    cell.region,
    cell.timeOfDay,
    cell.setting,
    cell.device,
    cell.orientation,
    ...cell.tags.map((tag) => `#${tag}`),
    ...(cell.content ?? []),
  ].filter((part) => part !== '');
  return parts.length > 0 ? parts.join(' · ') : 'any image';
}
