// The calibration of the default quality thresholds: every real camera photo of the corpus, and
// degraded copies of each at stated strengths, measured and judged with the default policy.
// Prints, per class, the spread of each score and how often each reason fired, so a threshold's
// margin to real photos and its recall on the faults it is meant to catch can be read off.
//   scripts/bench calibrate
import { openImage } from '@aperture/imaging';
import { defaultPolicy } from '@aperture/persistence';
import { corpusFiles, corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { analysisRaster } from '../analysis-raster';
import { blank, contrast, desaturate, exposure, gaussianBlur, type Degradation } from '../testing/degrade';
import { judgeMetrics } from '../judge';
import { measure, type QualityMetrics, type RgbRaster } from '../metrics';

const classes: Record<string, { make: Degradation; expect: string }> = {
  original: { make: (r) => Promise.resolve(r), expect: '' },
  'blur σ=2': { make: gaussianBlur(2), expect: 'blurry' },
  'blur σ=3': { make: gaussianBlur(3), expect: 'blurry' },
  'exposure −3 EV': { make: exposure(-3), expect: 'underexposed' },
  'exposure −4 EV': { make: exposure(-4), expect: 'underexposed' },
  'exposure +2 EV': { make: exposure(2), expect: 'overexposed' },
  'exposure +3 EV': { make: exposure(3), expect: 'overexposed' },
  'contrast ×0.3': { make: contrast(0.3), expect: 'low_contrast' },
  'contrast ×0.2': { make: contrast(0.2), expect: 'low_contrast' },
  blank: { make: blank, expect: 'low_information' },
  desaturated: { make: desaturate, expect: 'greyscale' },
};

const scores: Array<[string, (m: QualityMetrics) => number]> = [
  ['blur', (m) => m.blur],
  ['p99', (m) => m.brightnessP99],
  ['clipped', (m) => m.clipped],
  ['p5', (m) => m.brightnessP5],
  ['contrast', (m) => m.contrast],
  ['entropy', (m) => m.entropy],
  ['colourful', (m) => m.colourfulness],
];

async function main(): Promise<void> {
  const root = corpusPath('cameras');
  const photos: Array<{ name: string; raster: RgbRaster }> = [];
  for (const file of corpusFiles(root)) {
    try {
      const image = await openImage(readFileSync(file));
      photos.push({ name: relative(root, file), raster: await analysisRaster(image.pipeline()) });
    } catch {
      // corrupt and unsupported files are the decoder's business, not calibration data
    }
  }
  const policy = { ...defaultPolicy.quality, rejectGreyscale: true };
  console.log(`${photos.length} real camera photos from ${root}; default policy (greyscale check on)\n`);
  console.log(
    `${'class'.padEnd(16)} ${'caught'.padEnd(14)} ${scores.map(([name]) => `${name} min/med/max`.padEnd(22)).join('')}`,
  );
  for (const [label, { make, expect }] of Object.entries(classes)) {
    const measured: QualityMetrics[] = [];
    let caught = 0;
    const misses: string[] = [];
    for (const photo of photos) {
      const metrics = measure(await make(photo.raster));
      measured.push(metrics);
      const codes = judgeMetrics(metrics, policy).map((r) => r.code);
      const ok = expect === '' ? codes.filter((c) => c !== 'greyscale').length === 0 : codes.includes(expect);
      if (ok) caught++;
      else misses.push(`${photo.name}${codes.length ? ` (${codes.join(',')})` : ''}`);
    }
    const spread = scores.map(([, get]) => {
      const values = measured
        .map(get)
        .filter((v) => !Number.isNaN(v))
        .sort((a, b) => a - b);
      const fmt = (v: number | undefined) =>
        v === undefined ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(2);
      return `${fmt(values[0])}/${fmt(values[values.length >> 1])}/${fmt(values.at(-1))}`.padEnd(22);
    });
    const verdict =
      expect === '' ? `${caught}/${photos.length} clean` : `${caught}/${photos.length} ${expect}`;
    console.log(`${label.padEnd(16)} ${verdict.padEnd(14)} ${spread.join('')}`);
    if (process.argv.includes('--misses') && misses.length > 0)
      console.log(`    missed: ${misses.join('; ')}`);
  }
}

void main();
