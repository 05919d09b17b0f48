// Standardization benchmark: `scripts/bench standardize [ROUNDS]`.
//
// On the corpus' camera JPEGs (cameras/jpg, without the deliberately broken ones), it measures the
// CPU time (process.cpuUsage: this process and libvips' threads) and the throughput of
//   - the service's standardization with a realistic spec (the default policy: long side 1024,
//     JPEG q85, orientation, ICC to sRGB, metadata whitelist), without and with its 256 px
//     thumbnail, and
//   - the floor: a bare sharp pipeline that only decodes, resizes to the same output size and
//     encodes JPEG q85, with the same sharp configuration,
// and reports the ratios, measured in the same run (interleaved image by image).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { decodeOptions, sharp } from '@aperture/imaging';
import { defaultPolicy } from '@aperture/policy';
import { standardizeImage } from '@aperture/standardization';
import { corpusPath } from '@aperture/testing';

interface Input {
  name: string;
  bytes: Buffer;
  width: number;
  height: number;
}

const spec = defaultPolicy.standardize;

function cameraJpegs(): string[] {
  const root = corpusPath('cameras/jpg');
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return ['invalid', 'tests'].includes(name) ? [] : walk(path);
        return /\.jpe?g$/i.test(name) && name !== 'corrupted.jpg' ? [path] : [];
      });
  return walk(root);
}

const floor = (input: Input) =>
  sharp(input.bytes, decodeOptions)
    .resize(input.width, input.height, { fit: 'fill' })
    .jpeg({ quality: spec.quality })
    .toBuffer();

const withThumbnail = (input: Input) => standardizeImage(input.bytes, spec);
const derivativeOnly = (input: Input) => standardizeImage(input.bytes, { ...spec, thumbnailSize: 0 });

/** CPU ms of one call (this process, libvips' threads included). */
async function cpuOf(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const root = corpusPath('cameras/jpg');
  const inputs: Input[] = [];
  for (const path of cameraJpegs()) {
    const bytes = readFileSync(path);
    try {
      const { result } = await standardizeImage(bytes, spec); // warm-up, and the output size
      inputs.push({ name: relative(root, path), bytes, width: result.width, height: result.height });
    } catch {
      // a camera file that does not decode is not part of the benchmark
    }
  }
  const megapixels =
    (await Promise.all(inputs.map(async (input) => sharp(input.bytes).metadata()))).reduce(
      (sum, m) => sum + m.width * m.height,
      0,
    ) /
    1e6 /
    inputs.length;
  for (const input of inputs) await floor(input); // warm-up

  // Interleaved per image, the order rotating, so that drift (other work on a shared machine) hits
  // every variant alike; wall time is summed per variant for the throughput.
  const variants = {
    floor: { name: 'floor: decode-resize-encode', work: floor, cpuMs: 0, wallMs: 0 },
    derivative: { name: 'standardize, no thumbnail', work: derivativeOnly, cpuMs: 0, wallMs: 0 },
    full: {
      name: `standardize + ${spec.thumbnailSize} px thumbnail`,
      work: withThumbnail,
      cpuMs: 0,
      wallMs: 0,
    },
  };
  const all = Object.values(variants);
  for (let round = 0; round < rounds; round++) {
    for (const [i, input] of inputs.entries()) {
      for (let k = 0; k < all.length; k++) {
        const variant = all[(round + i + k) % all.length]!;
        const start = process.hrtime.bigint();
        variant.cpuMs += await cpuOf(() => variant.work(input));
        variant.wallMs += Number(process.hrtime.bigint() - start) / 1e6;
      }
    }
  }

  const images = inputs.length * rounds;
  const ratio = (m: { cpuMs: number }) => `${(m.cpuMs / variants.floor.cpuMs).toFixed(2)}x`;
  const row = (m: (typeof all)[number]) =>
    `| ${m.name} | ${(m.cpuMs / images).toFixed(1)} | ${((images * 1000) / m.wallMs).toFixed(1)} | ${ratio(m)} |`;
  console.log(
    [
      `standardization benchmark: ${inputs.length} camera JPEGs of cameras/jpg (mean ${megapixels.toFixed(1)} MP) x ${rounds} rounds,` +
        ` sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, libvips concurrency ${sharp.concurrency()}`,
      `spec: the default policy (long side ${spec.maxLongSide}, ${spec.format} q${spec.quality}, keep ${spec.keepMetadata.join(',') || 'nothing'});` +
        ` the floor resizes to the same output sizes`,
      '',
      '| pipeline | CPU ms/image | images/s | CPU vs floor |',
      '| --- | --- | --- | --- |',
      ...all.map(row),
      '',
      `goal: standardize at most 1.20x the floor's CPU; derivative alone ${ratio(variants.derivative)}, with thumbnail ${ratio(variants.full)}`,
    ].join('\n'),
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
