// The privacy detector's cost on a 12 MP photo at the default settings (faces and plates): CPU
// milliseconds per photo (process.cpuUsage: every thread of the process, the workers included)
// and wall milliseconds. Until the commit that removed it (issue 21), this run also measured the
// detector it replaced (SSD-MobileNet v1 of @vladmandic/face-api on TensorFlow.js WASM, 109
// passes): 29624 ms CPU against 2517 ms, 11.8 x (libs/redaction/README.md).
//   scripts/bench faces [ROUNDS]      default 3 rounds
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { sharp } from '@aperture/imaging';
import { evalPath } from '@aperture/testing';

import { createPrivacyDetector } from '../detector';

interface Sample {
  cpuMs: number;
  wallMs: number;
  found: number;
}

async function timed(run: () => Promise<number>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const found = await run();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start, found };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  // A real crowd photo (WIDER FACE, 34 faces) enlarged to 4000 x 3000: a 12 MP frame.
  const source = evalPath('faces/33_Running_Running_33_316.jpg');
  if (!source) throw new Error('the evaluation set ../shared/eval is needed (set APERTURE_EVAL_DIR)');
  const { data, info } = await sharp(readFileSync(source))
    .resize(4000, 3000, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const image = { data, width: info.width, height: info.height, channels: info.channels };
  process.stdout.write(
    `${JSON.stringify({ date: new Date().toISOString(), loadAverage: loadavg().map((x) => +x.toFixed(2)), cores: cpus().length, image: `${info.width}x${info.height}` })}\n`,
  );

  const current = createPrivacyDetector();
  try {
    await current.ready;
    // One warm-up each (lazy allocations, JIT) on the same frame, not counted.
    await current.detect(image);
    const news: Sample[] = [];
    for (let i = 0; i < rounds; i++)
      news.push(await timed(async () => (await current.detect(image)).faces.length));
    const row = (name: string, samples: Sample[]) =>
      `${name.padEnd(58)} CPU ${Math.round(median(samples.map((s) => s.cpuMs)))} ms  wall ${Math.round(median(samples.map((s) => s.wallMs)))} ms  faces ${samples[0]!.found}  (${samples.length} run${samples.length > 1 ? 's, median' : ''})`;
    process.stdout.write(`${row('centerface + ppocr-v4-det plates (default settings)', news)}\n`);
  } finally {
    await current.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`faces bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
