import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharp } from '@aperture/imaging';
import { corpusPath } from '@aperture/testing';
import { outputName, type StandardizeLine, standardizeCommand } from './standardize';
import { Capture } from './testing/helpers';

describe('aperture standardize', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aperture-std-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  async function run(paths: string[], options: { spec?: string; json?: boolean } = { json: true }) {
    const io = { stdout: new Capture(), stderr: new Capture() };
    const code = await standardizeCommand(paths, { out: join(dir, 'out'), ...options }, io);
    return { code, io, lines: io.stdout.text.trim().split('\n').filter(Boolean) };
  }

  it('writes one output per input, in path order, and one JSON line for each (errors included)', async () => {
    const spec = join(dir, 'spec.json');
    await writeFile(spec, JSON.stringify({ standardize: { maxLongSide: 300, format: 'webp' } }));
    const { code, lines } = await run(
      [corpusPath('formats/truncated.jpg'), corpusPath('cameras/jpg/orientation/landscape_6.jpg')],
      { spec, json: true },
    );
    expect(code).toBe(0);
    const parsed = lines.map((line) => JSON.parse(line) as StandardizeLine);
    expect(parsed.map((line) => line.file)).toEqual([
      corpusPath('cameras/jpg/orientation/landscape_6.jpg'),
      corpusPath('formats/truncated.jpg'),
    ]);
    const [ok, refused] = parsed;
    expect(refused).toEqual({
      file: corpusPath('formats/truncated.jpg'),
      error: expect.stringContaining('does not decode'),
    });
    expect(ok).toMatchObject({
      output: join(dir, 'out', 'landscape_6.webp'),
      width: 300,
      height: 225,
      format: 'webp',
    });
    if (!ok || 'error' in ok) throw new Error('expected an output');
    expect(Object.keys(ok)).toEqual([
      'file',
      'output',
      'width',
      'height',
      'format',
      'bytes',
      'sha256',
      'operations',
    ]);
    const bytes = await readFile(ok.output);
    expect([bytes.length, createHash('sha256').update(bytes).digest('hex')]).toEqual([ok.bytes, ok.sha256]);
    expect(ok.operations.map((o) => o.name)).toEqual([
      'decode',
      'auto-orient',
      'icc-transform',
      'resize',
      'strip-metadata',
      'encode',
    ]);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'webp', width: 300, height: 225 });
    expect(await readdir(join(dir, 'out'))).toEqual(['landscape_6.webp']);
  });

  it('walks folders and suffixes outputs whose names collide', async () => {
    const { code, lines } = await run(
      [corpusPath('cameras/jpg/hdr'), corpusPath('cameras/jpg/orientation/landscape_1.jpg')],
      {
        json: true,
      },
    );
    expect(code).toBe(0);
    expect(lines).toHaveLength(5);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([
      'canon_hdr_NO.jpg',
      'canon_hdr_YES.jpg',
      'iphone_hdr_NO.jpg',
      'iphone_hdr_YES.jpg',
      'landscape_1.jpg',
    ]);
    const taken = new Set<string>();
    expect(['a/x.png', 'b/x.jpg', 'c/x.jpeg'].map((path) => outputName(path, 'jpg', taken))).toEqual([
      'x.jpg',
      'x-1.jpg',
      'x-2.jpg',
    ]);
  });

  it('prints a line per file without --json', async () => {
    const { code, io } = await run([corpusPath('formats/swiss.png')], {});
    expect(code).toBe(0);
    expect(io.stdout.text).toBe(
      `${corpusPath('formats/swiss.png')} -> ${join(dir, 'out', 'swiss.jpg')} (68x68 jpeg, ${(await readFile(join(dir, 'out', 'swiss.jpg'))).length} bytes)\n`,
    );
  });

  it('refuses an invalid spec or a missing path with exit 1, writing nothing', async () => {
    const spec = join(dir, 'bad.json');
    await writeFile(spec, JSON.stringify({ format: 'bmp', fit: 'stretch' }));
    const bad = await run([corpusPath('formats/swiss.png')], { spec });
    expect(bad.code).toBe(1);
    expect(bad.io.stderr.text).toBe(
      `error: invalid spec ${spec}: format must be one of jpeg, webp, png, avif; fit must be one of contain, cover, pad, exact\n`,
    );
    const missing = await run([join(dir, 'nope.jpg')]);
    expect(missing.code).toBe(1);
    expect(missing.io.stderr.text).toContain('no such file or folder');
  });
});
