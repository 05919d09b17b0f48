// scripts/eval-faces runs this (compiled): the privacy detector and the redaction, exactly as
// `aperture redact` runs them (detectAndRedactPixels, DEFAULT_DETECTION), over the labelled photos of
// ../shared/eval. Per face-size band: recall at IoU >= 0.3, the faces whose pixels really changed,
// false alarms per face-free photo, CPU per photo; the same for plates.
//   --set faces|plates|all   (default all)      --part all|tune|held-out   (default all)
//   --turn none|rotate90|rotate180              each photo turned first (boxes turned with it)
//   --min-score S --min-face-size N --tiles JSON --plate-plan JSON   (tuning)
//   --json                                      one JSON object per set on stdout
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';

import type { Box, TilePlanOptions } from '../boxes';
import { createPrivacyDetector, decodeUpright, DEFAULT_DETECTION, type PrivacyDetector } from '../detector';
import type { PlatePlanOptions } from '../plates';
import { detectAndRedactPixels } from '../redact-image';
import { evalDir, evalPhotos, HELD_OUT, type EvalPhoto, type LabelledBox } from './eval-set';
import { changedShare, evaluateSet, MATCH_IOU, type PhotoResult, type SetReport } from './evaluation';

type Turn = 'none' | 'rotate90' | 'rotate180';

interface Args {
  sets: Array<'faces' | 'plates'>;
  part: 'all' | 'tune' | 'held-out';
  turn: Turn;
  minScore: number;
  minFaceSize: number;
  tiles?: TilePlanOptions;
  platePlan?: PlatePlanOptions;
  json: boolean;
}

function parse(argv: string[]): Args {
  const value = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const set = value('--set') ?? 'all';
  const tiles = value('--tiles');
  const platePlan = value('--plate-plan');
  return {
    sets: set === 'all' ? ['faces', 'plates'] : [set as 'faces' | 'plates'],
    part: (value('--part') ?? 'all') as Args['part'],
    turn: (value('--turn') ?? 'none') as Turn,
    minScore: Number(value('--min-score') ?? DEFAULT_DETECTION.minScore),
    minFaceSize: Number(value('--min-face-size') ?? DEFAULT_DETECTION.minFaceSize),
    ...(tiles && { tiles: JSON.parse(tiles) as TilePlanOptions }),
    ...(platePlan && { platePlan: JSON.parse(platePlan) as PlatePlanOptions }),
    json: argv.includes('--json'),
  };
}

/** The photo's pixels turned clockwise, and its boxes with them. */
function turned(
  pixels: { data: Uint8Array; width: number; height: number; channels: number },
  boxes: LabelledBox[],
  turn: Turn,
) {
  if (turn === 'none') return { pixels, boxes };
  const { width, height, channels, data } = pixels;
  const quarter = turn === 'rotate90';
  const w = quarter ? height : width;
  const h = quarter ? width : height;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [nx, ny] = quarter ? [height - 1 - y, x] : [width - 1 - x, height - 1 - y];
      out.set(
        data.subarray((y * width + x) * channels, (y * width + x + 1) * channels),
        (ny * w + nx) * channels,
      );
    }
  }
  const turnBox = (b: LabelledBox): LabelledBox =>
    quarter
      ? { ...b, x: height - b.y - b.height, y: b.x, width: b.height, height: b.width }
      : { ...b, x: width - b.x - b.width, y: height - b.y - b.height };
  return { pixels: { data: out, width: w, height: h, channels }, boxes: boxes.map(turnBox) };
}

interface SetRun {
  set: 'faces' | 'plates';
  report: SetReport;
  cpuMsPerPhoto: number;
  wallMsPerPhoto: number;
  perPhoto: Array<{
    name: string;
    labels: number;
    found: number;
    detections: number;
    falseAlarms: number;
    cpuMs: number;
  }>;
}

async function runSet(
  detector: PrivacyDetector,
  photos: EvalPhoto[],
  set: 'faces' | 'plates',
  args: Args,
): Promise<SetRun> {
  const results: PhotoResult[] = [];
  const perPhoto: SetRun['perPhoto'] = [];
  let cpuTotal = 0;
  let wallTotal = 0;
  for (const photo of photos) {
    const decoded = await decodeUpright(await readFile(photo.path));
    const { pixels, boxes } = turned(decoded, photo.boxes, args.turn);
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const { data, detection } = await detectAndRedactPixels(pixels, detector, {
      minScore: args.minScore,
      minFaceSize: args.minFaceSize,
      plates: true,
    });
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    cpuTotal += cpuMs;
    wallTotal += performance.now() - t0;
    const detections = set === 'faces' ? detection.faces : detection.plates;
    const changed = boxes.map((box: Box) =>
      changedShare(pixels.data, data, pixels.width, pixels.height, pixels.channels, box),
    );
    const result: PhotoResult = {
      labels: boxes,
      detections,
      changed,
      ...(set === 'plates' && { ignoreNarrowerThan: 25 }),
    };
    results.push(result);
    const one = evaluateSet([result]);
    perPhoto.push({
      name: photo.name,
      labels: one.all.labels,
      found: one.all.found,
      detections: detections.length,
      falseAlarms: one.falseAlarmsOnEmpty + one.unmatchedOnLabelled,
      cpuMs: Math.round(cpuMs),
    });
    if (!args.json)
      process.stderr.write(
        `${photo.name}: ${one.all.found}/${one.all.labels} found, ${detections.length} boxes, ${one.falseAlarmsOnEmpty + one.unmatchedOnLabelled} unmatched, ${Math.round(cpuMs)} ms CPU\n`,
      );
  }
  return {
    set,
    report: evaluateSet(results, set === 'faces' ? undefined : []),
    cpuMsPerPhoto: Math.round(cpuTotal / photos.length),
    wallMsPerPhoto: Math.round(wallTotal / photos.length),
    perPhoto,
  };
}

function print(run: SetRun, args: Args): string {
  const r = run.report;
  const f = (x: number) => x.toFixed(3);
  const band = (b: SetReport['all']) =>
    `  ${b.label.padEnd(9)} recall ${f(b.recall)} (${b.found}/${b.labels})  found and changed ${b.foundChanged}/${b.found}  labelled pixels changed ${f(b.pixelShare)}`;
  const noun = run.set === 'faces' ? 'face' : 'plate';
  return [
    `${run.set}: ${r.photos} photos (${args.part}, turn ${args.turn}), ${r.emptyPhotos} without a ${noun}; match IoU >= ${MATCH_IOU}`,
    ...r.bands.map(band),
    band(r.all),
    ...(r.groups.length > 0 ? ['  WIDER conditions, faces >= 16 px:', ...r.groups.map(band)] : []),
    `  false alarms: ${r.falseAlarmsOnEmpty} on ${r.emptyPhotos} ${noun}-free photos (${f(r.falseAlarmsPerEmptyPhoto)} per photo); ${r.unmatchedOnLabelled} unmatched boxes on labelled photos`,
    `  CPU ${run.cpuMsPerPhoto} ms per photo (wall ${run.wallMsPerPhoto} ms)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const dir = evalDir();
  if (!dir) throw new Error('the evaluation set ../shared/eval was not found (set APERTURE_EVAL_DIR)');
  const detector = createPrivacyDetector({
    ...(args.tiles && { tiles: args.tiles }),
    ...(args.platePlan && { platePlan: args.platePlan }),
  });
  try {
    await detector.ready;
    const header = {
      date: new Date().toISOString(),
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      cores: cpus().length,
      minScore: args.minScore,
      minFaceSize: args.minFaceSize,
      tiles: args.tiles ?? 'default',
      platePlan: args.platePlan ?? 'default',
    };
    if (!args.json) process.stdout.write(`${JSON.stringify(header)}\n`);
    for (const set of args.sets) {
      const photos = evalPhotos(dir, set).filter((photo) =>
        args.part === 'all'
          ? true
          : args.part === 'held-out'
            ? HELD_OUT.has(photo.name)
            : !HELD_OUT.has(photo.name),
      );
      const run = await runSet(detector, photos, set, args);
      process.stdout.write(
        args.json ? `${JSON.stringify({ ...header, ...run })}\n` : `${print(run, args)}\n`,
      );
    }
  } finally {
    await detector.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`eval-faces: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
