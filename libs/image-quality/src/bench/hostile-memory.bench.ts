// Every file of the hostile corpus written by scripts/hostile-corpus (libs/testing/src/hostile)
// through the real decode and assessment path (assessImage with the default policy: header,
// decode to the analysis size, scores), one after the other in this process, printing each
// verdict, its time and the RSS after it, then the process's peak RSS
// (process.resourceUsage().maxRSS). The files are read from disk, so generating them (a 64 MB
// buffer deflated for the iCCP bomb, ...) is not counted. HEIC is decoded by heif-convert in a
// child process whose memory is its own (bounded by the pixel check before it starts); with
// APERTURE_HEIC_DECODER=wasm it is decoded here and counted.
//   scripts/hostile-corpus && scripts/bench hostile-memory [--json] [DIR]
// (DIR defaults to .aperture/hostile-corpus.) hostile.spec.ts runs this file in a child process
// and checks every verdict and the ceiling.
import { defaultPolicy } from '@aperture/policy';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assessImage } from '../assess';

/** The peak RSS the hostile corpus may reach in one process, in MB (documented in the README). */
export const HOSTILE_RSS_CEILING_MB = 512;

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const dir = resolve(args.find((arg) => !arg.startsWith('--')) ?? '.aperture/hostile-corpus');
  // manifest.tsv: file, bytes, content-type sent, ingest, quality verdict, description
  const manifest = readFileSync(join(dir, 'manifest.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split('\t'));
  const startRss = mb(process.memoryUsage().rss);
  const started = performance.now();
  for (const [file = '', , , , expected = ''] of manifest) {
    const bytes = readFileSync(join(dir, file));
    const begin = performance.now();
    let verdict: string;
    try {
      const assessment = await assessImage(bytes, defaultPolicy.quality);
      verdict = assessment.accepted ? 'accepted' : (assessment.reasons[0]?.code ?? 'rejected');
    } catch (error) {
      // Never expected: the test fails on it. Named so that the output says which file it was.
      verdict = `threw: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    }
    const row = {
      name: file.replace(/\.[a-z]+$/, ''),
      bytes: bytes.length,
      verdict,
      expected,
      ms: Math.round(performance.now() - begin),
      rssMB: mb(process.memoryUsage().rss),
      peakMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    process.stdout.write(
      json
        ? `${JSON.stringify(row)}\n`
        : `${row.name.padEnd(28)} ${String(row.bytes).padStart(9)} B  ${row.verdict.padEnd(18)} ${String(row.ms).padStart(6)} ms  RSS ${row.rssMB} MB, peak ${row.peakMB} MB${row.verdict === row.expected ? '' : `  (expected ${row.expected})`}\n`,
    );
  }
  // maxRSS is in kilobytes.
  const summary = {
    files: manifest.length,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    startRssMB: startRss,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    ceilingMB: HOSTILE_RSS_CEILING_MB,
  };
  process.stdout.write(
    json
      ? `${JSON.stringify({ summary })}\n`
      : `\n${summary.files} files in ${summary.seconds} s; RSS at start ${summary.startRssMB} MB, peak ${summary.maxRssMB} MB (ceiling ${summary.ceilingMB} MB)\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
