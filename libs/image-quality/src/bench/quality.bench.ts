// The quality assessment's cost against the floor it cannot beat: sharp decoding the same files to
// the analysis size and nothing else. Both run on the same files, alternating, several rounds;
// the figures are per-image CPU milliseconds (process.cpuUsage: the JS thread and libvips' worker)
// and images per second of wall time, and their ratio.
//   scripts/bench quality [ROUNDS] [DIR...]     default: 5 rounds over the corpus' camera JPEGs
import { decodeOptions, sharp } from '@aperture/imaging';
import { defaultPolicy } from '@aperture/policy';
import { corpusFiles, corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { assessImage } from '../assess';
import { MemoryDuplicateIndex } from '../duplicates';
import { analysisLongSide } from '../analysis-raster';
import { DEFAULT_DELIVERED_LONG_SIDE } from '../assess';

interface Sample {
  cpuMs: number;
  wallMs: number;
}

async function timed(
  files: Buffer[],
  run: (bytes: Buffer, position: number) => Promise<unknown>,
): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const [position, bytes] of files.entries()) await run(bytes, position);
  const used = process.cpuUsage(cpu);
  return {
    cpuMs: (used.user + used.system) / 1000 / files.length,
    wallMs: (performance.now() - start) / files.length,
  };
}

const ANALYSIS_LONG_SIDE = analysisLongSide(DEFAULT_DELIVERED_LONG_SIDE);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const dirs = process.argv.length > 3 ? process.argv.slice(3) : [corpusPath('cameras/jpg')];
  const candidates = dirs.flatMap((dir) => corpusFiles(resolve(dir))).sort();
  const floor = (bytes: Buffer) =>
    sharp(bytes, decodeOptions)
      .autoOrient()
      .resize(ANALYSIS_LONG_SIDE, ANALYSIS_LONG_SIDE, { fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer();
  // Only files the floor itself can decode: both sides then do the same decoding work.
  const files: Buffer[] = [];
  for (const path of candidates) {
    const bytes = readFileSync(path);
    if (
      await floor(bytes).then(
        () => true,
        () => false,
      )
    )
      files.push(bytes);
  }
  const megapixels = await Promise.all(
    files.map(async (bytes) => {
      const { width = 0, height = 0 } = await sharp(bytes).metadata();
      return (width * height) / 1e6;
    }),
  );
  console.log(
    `${files.length} files (of ${candidates.length}) from ${dirs.join(', ')}; median ${median(megapixels).toFixed(2)} MP; ${rounds} rounds`,
  );

  const assess = (index: MemoryDuplicateIndex) => (bytes: Buffer, position: number) =>
    assessImage(bytes, defaultPolicy.quality, {
      index,
      imageId: String(position),
      order: String(position).padStart(9, '0'),
      loadImage: (id) => Promise.resolve(files[Number(id)]),
    });
  await timed(files, floor); // warm-up: code paths compiled, files in cache
  await timed(files, assess(new MemoryDuplicateIndex()));
  const floors: Sample[] = [];
  const full: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    floors.push(await timed(files, floor));
    full.push(await timed(files, assess(new MemoryDuplicateIndex())));
  }
  const row = (label: string, samples: Sample[]) => {
    const cpu = median(samples.map((s) => s.cpuMs));
    const wall = median(samples.map((s) => s.wallMs));
    console.log(`${label.padEnd(44)} ${cpu.toFixed(2).padStart(8)} ${(1000 / wall).toFixed(1).padStart(10)}`);
    return cpu;
  };
  console.log(`${''.padEnd(44)} ${'CPU ms'.padStart(8)} ${'images/s'.padStart(10)}`);
  const floorCpu = row('floor: sharp decode to analysis size', floors);
  const fullCpu = row('full assessment (default policy, duplicates)', full);
  console.log(`ratio (CPU ms, full / floor): ${(fullCpu / floorCpu).toFixed(2)}× (goal ≤ 1.5×)`);
}

void main();
