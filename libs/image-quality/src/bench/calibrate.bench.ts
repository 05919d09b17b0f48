// The labelled evaluation of the quality stage's defect checks, and how its default thresholds
// were chosen. Real photos (the corpus' camera files and the eval set's photos, read in place)
// and degraded copies of each at stated strengths are written as JPEGs to a temporary folder and
// judged by assessImage with the default policy, as an upload would be. The photos are split in
// two halves by a hash of their scene (every orientation variant of one picture lands in the same
// half): the thresholds were chosen on the "calibration" half, the "held-out" half reports.
//   scripts/bench calibrate [--misses] [--keep DIR] [--only REGEX]
// --keep keeps the copies in DIR (and reuses those there); --only runs the classes whose label matches.
// Prints, per half and class, recall (or, for clean photos and hard negatives, how many were
// accepted) and the spread of the scores that decide.
import { openImage, sharp } from '@aperture/imaging';
import { defaultPolicy } from '@aperture/policy';
import { corpusFiles, corpusPath } from '@aperture/testing';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { assessImage } from '../assess';
import {
  contrast,
  defocus,
  exposure,
  gaussianBlur,
  haze,
  motionBlur,
  shallowDepthOfField,
  washedOut,
  type Degradation,
} from '../testing/degrade';
import { judgeDimensions } from '../judge';
import type { RgbRaster } from '../metrics';

/** Files of the corpus that are not photos of a scene (documents, graphics, test frames). */
const NOT_PHOTOS = [
  'cameras/tiff/Tless0.tiff', // line-art scan on white paper
  'cameras/tiff/Picoawards.tiff', // document scan
  'cameras/tiff/Rudless.tiff', // document scan
  'cameras/tiff/Jobagent.tiff', // document scan
  'cameras/jpg/xmp/BlueSquare.jpg', // a flat blue square
  'cameras/jpg/tests/67-0_length_string.jpg', // a uniform grey test frame
  'cameras/jpg/invalid/image01713.jpg', // a dark strip 20 pixels high
  'cameras/jpg/invalid/image01088.jpg', // a mostly white illustration
];

/**
 * Real hard negatives: scenes that fool naive checks and must be accepted. Paths under the
 * corpus (formats/...) or the eval set (eval/...); each is also in the clean set when it is a
 * camera photo.
 */
const HARD_NEGATIVES: Record<string, string> = {
  'formats/concert.jpg': 'night: a concert stage, median brightness 5',
  'eval/plates/openalpr_us_us6.jpg': 'night and snow: a car under street light',
  'eval/faces/noface_skimage_rocket.jpg': 'dusk sky: a rocket on its pad',
  'eval/faces/noface_darknet_horses.jpg': 'hazy mountains behind grassland',
  'formats/low-contrast.jpg': 'deliberately low contrast',
  'eval/faces/9_Press_Conference_Press_Conference_9_632.jpg': 'portrait on a smooth studio backdrop',
};

/** Degraded copies: strengths in % of the long side, so they mean the same at any size. */
interface Variant {
  label: string;
  /** The reason that must fire; '' for a copy that must be accepted (a synthetic hard negative). */
  expect: string;
  make: (longSide: number, index: number) => Degradation;
}
const pct = (longSide: number, percent: number) => (longSide * percent) / 100;
/** sharp's Gaussian takes σ ≥ 0.3 (reached by 0.2 % only below 150 px, which the set does not hold). */
const sigma = (longSide: number, percent: number) => Math.max(0.3, pct(longSide, percent));
const ANGLES = [0, 30, 60, 90, 120, 150, 15, 45, 75, 105, 135, 165];
const variants: Variant[] = [
  { label: 'gaussian σ 0.2%', expect: 'blurry', make: (l) => gaussianBlur(sigma(l, 0.2)) },
  { label: 'gaussian σ 0.3%', expect: 'blurry', make: (l) => gaussianBlur(sigma(l, 0.3)) },
  { label: 'gaussian σ 0.5%', expect: 'blurry', make: (l) => gaussianBlur(sigma(l, 0.5)) },
  { label: 'defocus r 0.4%', expect: 'blurry', make: (l) => defocus(pct(l, 0.4)) },
  { label: 'defocus r 0.8%', expect: 'blurry', make: (l) => defocus(pct(l, 0.8)) },
  { label: 'motion 0.7%', expect: 'blurry', make: (l, i) => motionBlur(pct(l, 0.7), ANGLES[i % 12]!) },
  { label: 'motion 1%', expect: 'blurry', make: (l, i) => motionBlur(pct(l, 1), ANGLES[(i + 4) % 12]!) },
  { label: 'motion 2%', expect: 'blurry', make: (l, i) => motionBlur(pct(l, 2), ANGLES[(i + 8) % 12]!) },
  { label: 'washed 40/×1.1', expect: 'overexposed', make: () => washedOut(40, 1.1) },
  { label: 'washed 60/×1.15', expect: 'overexposed', make: () => washedOut(60, 1.15) },
  { label: 'washed 80/×1.05', expect: 'overexposed', make: () => washedOut(80, 1.05) },
  { label: 'exposure +2 EV', expect: 'overexposed', make: () => exposure(2) },
  { label: 'exposure −3 EV', expect: 'underexposed', make: () => exposure(-3) },
  { label: 'contrast ×0.2', expect: 'low_contrast', make: () => contrast(0.2) },
  { label: 'neg: haze', expect: '', make: () => haze(215, 0.45, 1) },
  { label: 'neg: contrast ×0.5', expect: '', make: () => contrast(0.5) },
  { label: 'neg: shallow DOF', expect: '', make: (l) => shallowDepthOfField(0.45, pct(l, 1.5)) },
];

/** Photos smaller than this (thumbnails, 100 × 68 test files) are left out. */
const MIN_LONG_SIDE = 480;

/** Degraded copies are made at this long side at most (a 12 MP photo's blur, made at 2048 px). */
const WORKING_SIZE = 2048;

interface Photo {
  name: string;
  half: 'calibration' | 'held-out';
  path: string;
}

/** One scene, one key: orientation variants and the HDR pairs are one picture each. */
function sceneKey(name: string): string {
  if (/\/(orientation|hdr)\//.test(name)) return dirname(name);
  return basename(name)
    .replace(/\.[^.]+$/, '')
    .replace(/_hdr$/, '');
}
const halfOf = (name: string): Photo['half'] =>
  createHash('sha256').update(sceneKey(name)).digest()[0]! % 2 === 0 ? 'calibration' : 'held-out';

async function workingRaster(bytes: Buffer): Promise<RgbRaster> {
  const image = await openImage(bytes);
  const { data, info } = await image
    .pipeline()
    .resize(WORKING_SIZE, WORKING_SIZE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#808080' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

const jpeg = (raster: RgbRaster) =>
  sharp(Buffer.from(raster.data), { raw: { width: raster.width, height: raster.height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();

interface Row {
  photo: Photo;
  codes: string[];
  blurWidth: number;
  blurAngle: number;
  p1: number;
  p50: number;
}

async function judge(photo: Photo, bytes: Buffer): Promise<Row> {
  const { reasons, result } = await assessImage(bytes, defaultPolicy.quality);
  const m = result?.metrics;
  return {
    photo,
    codes: reasons.map((r) => r.code),
    blurWidth: m?.blurWidth ?? Number.NaN,
    blurAngle: m?.blurAngle ?? 0,
    p1: m?.brightnessP1 ?? Number.NaN,
    p50: m?.brightnessP50 ?? Number.NaN,
  };
}

function spread(values: number[]): string {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return '-';
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  return `${fmt(sorted[0]!)}/${fmt(sorted[sorted.length >> 1]!)}/${fmt(sorted.at(-1)!)}`;
}

function report(label: string, expect: string, rows: Row[], misses: boolean): void {
  for (const half of ['calibration', 'held-out'] as const) {
    const mine = rows.filter((r) => r.photo.half === half);
    if (mine.length === 0) continue;
    const ok = mine.filter((r) => (expect === '' ? r.codes.length === 0 : r.codes.includes(expect)));
    const verdict = `${ok.length}/${mine.length} ${expect === '' ? 'accepted' : expect}`;
    const rate = (ok.length / mine.length).toFixed(2);
    console.log(
      `${label.padEnd(20)} ${half.padEnd(12)} ${verdict.padEnd(22)} ${rate.padStart(5)}  ` +
        `${spread(mine.map((r) => r.blurWidth)).padEnd(16)} ${spread(mine.map((r) => r.p1)).padEnd(12)} ${spread(mine.map((r) => r.p50))}`,
    );
    if (misses)
      for (const miss of mine.filter((r) => !ok.includes(r)))
        console.log(
          `    ${miss.photo.name} [${miss.codes.join(',') || 'accepted'}] blurWidth ${miss.blurWidth.toFixed(2)} @${miss.blurAngle}° p1 ${miss.p1} p50 ${miss.p50}`,
        );
  }
}

async function main(): Promise<void> {
  const misses = process.argv.includes('--misses');
  const only = process.argv.indexOf('--only');
  const pattern = only > 0 ? new RegExp(process.argv[only + 1]!) : undefined;
  const keepAt = process.argv.indexOf('--keep');
  const work = keepAt > 0 ? process.argv[keepAt + 1]! : mkdtempSync(join(tmpdir(), 'aperture-calibrate-'));
  mkdirSync(work, { recursive: true });
  const corpus = corpusPath();
  const evalRoot = corpusPath('..', 'eval');
  const candidates = [
    ...corpusFiles('cameras').map((path) => ({ name: relative(corpus, path), path })),
    ...(existsSync(evalRoot) ? ['faces', 'plates'] : []).flatMap((set) =>
      corpusFiles(join(evalRoot, set))
        .filter((path) => /\.(jpe?g|png)$/i.test(path))
        .map((path) => ({ name: `eval/${relative(evalRoot, path)}`, path })),
    ),
  ].filter(({ name }) => !NOT_PHOTOS.includes(name));

  const photos: Array<Photo & { raster: RgbRaster }> = [];
  const seen = new Set<string>();
  for (const { name, path } of candidates) {
    // One copy of each picture: the eval sets share files, and the orientation folder holds each
    // of its two pictures eight times (the _1 file is the upright one).
    const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (seen.has(digest) || /\/orientation\/\w+_[2-8]\./.test(name)) continue;
    seen.add(digest);
    try {
      const raster = await workingRaster(readFileSync(path));
      // Pictures the dimension checks refuse (too small, odd aspect) are not judged for defects.
      if (judgeDimensions(raster, defaultPolicy.quality).length > 0) continue;
      // Nor thumbnails: a blur of a few tenths of a percent is under a pixel there.
      if (Math.max(raster.width, raster.height) < MIN_LONG_SIDE) continue;
      photos.push({ name, path, half: halfOf(name), raster });
    } catch {
      // corrupt and unsupported files are the decoder's business, not evaluation data
    }
  }
  const count = (half: string) => photos.filter((p) => p.half === half).length;
  console.log(
    `${photos.length} real photos (${count('calibration')} calibration, ${count('held-out')} held-out); ` +
      `default policy; copies in ${work}\n`,
  );
  console.log(
    `${'class'.padEnd(20)} ${'half'.padEnd(12)} ${'result'.padEnd(22)} ${'rate'.padStart(5)}  ` +
      `${'blurWidth'.padEnd(16)} ${'p1'.padEnd(12)} p50   (min/median/max)`,
  );

  const clean: Row[] = [];
  if (!pattern || pattern.test('clean'))
    for (const photo of photos) clean.push(await judge(photo, readFileSync(photo.path)));
  report('clean (original)', '', clean, misses);

  const negatives: Row[] = [];
  for (const [name, why] of Object.entries(HARD_NEGATIVES)) {
    const path = name.startsWith('eval/') ? join(evalRoot, name.slice(5)) : corpusPath(name);
    if (!existsSync(path)) continue;
    const row = await judge({ name: `${name} (${why})`, path, half: halfOf(name) }, readFileSync(path));
    negatives.push(row);
  }
  report('real hard negatives', '', negatives, misses);

  for (const variant of variants.filter((v) => !pattern || pattern.test(v.label))) {
    const rows: Row[] = [];
    for (const [index, photo] of photos.entries()) {
      const file = join(
        work,
        `${sceneKey(photo.name).replace(/\W+/g, '_')}-${index}-${variant.label.replace(/\W+/g, '_')}.jpg`,
      );
      let bytes: Buffer;
      if (existsSync(file)) bytes = readFileSync(file);
      else {
        const longSide = Math.max(photo.raster.width, photo.raster.height);
        bytes = await jpeg(await variant.make(longSide, index)(photo.raster));
        writeFileSync(file, bytes);
      }
      rows.push(await judge(photo, bytes));
    }
    report(variant.label, variant.expect, rows, misses);
  }
  if (keepAt < 0) rmSync(work, { recursive: true, force: true });
}

void main();
