import { hostileCases, writeHostileCorpus } from '@aperture/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { HOSTILE_RSS_CEILING_MB } from './bench/hostile-memory.bench';

// Every file of the generated hostile corpus (libs/testing/src/hostile) through the real decode
// and assessment path (assessImage, default policy) in a child Node process, so that its peak RSS
// is the path's own: each gets the verdict its case names, none throws or hangs, and the peak
// stays under the documented ceiling (libs/imaging/README.md, "Hostile files").

interface Row {
  name: string;
  verdict: string;
  ms: number;
}
interface Summary {
  files: number;
  maxRssMB: number;
}

const root = resolve(__dirname, '../../..');

describe('hostile files through the quality assessment, in a child process', () => {
  const cases = hostileCases();
  const rows = new Map<string, Row>();
  let summary: Summary | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostile-corpus-'));
    writeHostileCorpus(dir);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '-r',
        join(root, 'libs/testing/ts-register.cjs'),
        join(__dirname, 'bench/hostile-memory.bench.ts'),
        '--json',
        dir,
      ],
      { cwd: root, timeout: 240_000, maxBuffer: 1 << 20 },
    );
    for (const line of stdout.trim().split('\n')) {
      const parsed = JSON.parse(line) as Row | { summary: Summary };
      if ('summary' in parsed) summary = parsed.summary;
      else rows.set(parsed.name, parsed);
    }
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has one case per name, covering every supported format damaged', () => {
    const names = cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heic']) {
      expect(names).toEqual(expect.arrayContaining([`truncated-${format}`, `bitflip-${format}`]));
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    '%s: its named verdict, in bounded time',
    (name, hostile) => {
      const row = rows.get(name);
      expect(row?.verdict).toBe(hostile.quality);
      // Far below the 30 s decode limit: nothing here comes near a hang.
      expect(row?.ms).toBeLessThan(15_000);
    },
  );

  it(`keeps the peak RSS of the whole run under ${HOSTILE_RSS_CEILING_MB} MB`, () => {
    expect(summary?.files).toBe(cases.length);
    expect(summary?.maxRssMB).toBeGreaterThan(50); // a real measurement
    expect(summary?.maxRssMB).toBeLessThan(HOSTILE_RSS_CEILING_MB);
  });
});
