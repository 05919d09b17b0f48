import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { sharp } from '@aperture/imaging';
import { corpusPath } from '@aperture/testing';

import { redactCommand, redactSettings, type RedactLine } from './redact';
import { Capture } from './testing/helpers';

// Real photos with faces: the evaluation set of @aperture/redaction, read from the installed package.
const SAMPLE = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo/sample1.jpg');
const SAMPLE_FACES = [
  { x: 414, y: 355, width: 177, height: 240 },
  { x: 838, y: 421, width: 186, height: 228 },
  { x: 1476, y: 199, width: 203, height: 241 },
];

// The model runs for real: seconds per photo on 2 shared cores.
jest.setTimeout(240_000);

describe('aperture redact', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aperture-redact-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  async function run(paths: string[], options: { policy?: string; json?: boolean } = { json: true }) {
    const io = { stdout: new Capture(), stderr: new Capture() };
    const code = await redactCommand(paths, { out: join(dir, 'out'), ...options }, io);
    const lines = io.stdout.text.trim().split('\n').filter(Boolean);
    return { code, io, lines: options.json ? lines.map((l) => JSON.parse(l) as RedactLine) : lines };
  }

  it('redacts the faces of real photos, keeps name, format and upright size, and reports unreadable files', async () => {
    // The sample stored a quarter turn to the left with EXIF orientation 6: upright it is 1920 x 1280.
    const rotated = join(dir, 'turned.jpg');
    await sharp(SAMPLE).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toFile(rotated);
    const notImage = join(dir, 'notes.txt');
    await writeFile(notImage, 'not an image\n');
    const landscape = corpusPath('cameras/jpg/orientation/landscape_6.jpg');

    const { code, lines } = await run([
      SAMPLE,
      rotated,
      notImage,
      landscape,
      corpusPath('formats/truncated.jpg'),
    ]);
    expect(code).toBe(0);
    const byFile = new Map((lines as RedactLine[]).map((line) => [line.file, line]));
    expect(byFile.size).toBe(5);
    expect(byFile.get(notImage)).toEqual({ file: notImage, error: expect.any(String) });
    expect(byFile.get(corpusPath('formats/truncated.jpg'))).toEqual({
      file: corpusPath('formats/truncated.jpg'),
      error: expect.any(String),
    });

    for (const input of [SAMPLE, rotated]) {
      const line = byFile.get(input)!;
      if ('error' in line) throw new Error(line.error);
      expect(Object.keys(line)).toEqual(['file', 'output', 'faces', 'plates']);
      expect(line.output).toBe(join(dir, 'out', input === SAMPLE ? 'sample1.jpg' : 'turned.jpg'));
      expect(line.plates).toEqual([]);
      // Every labelled face is found, in upright coordinates, whichever way the file is stored.
      expect(line.faces).toHaveLength(3);
      for (const face of SAMPLE_FACES) {
        expect(line.faces.some((f) => Math.abs(f.x - face.x) < 40 && Math.abs(f.y - face.y) < 40)).toBe(true);
      }
      const meta = await sharp(line.output).metadata();
      expect([meta.format, meta.width, meta.height, meta.orientation]).toEqual([
        'jpeg',
        1920,
        1280,
        undefined,
      ]);
    }
    const plain = byFile.get(landscape)!;
    expect(plain).toMatchObject({ output: join(dir, 'out', 'landscape_6.jpg'), faces: [] });
    const meta = await sharp(join(dir, 'out', 'landscape_6.jpg')).metadata();
    expect([meta.width, meta.height]).toEqual([600, 450]); // upright (orientation 6 of a 450 x 600 file)
  });

  it('applies the policy: a solid fill of the boxes, no margin; the rest of a PNG stays byte-identical', async () => {
    const png = join(dir, 'people.png');
    await sharp(SAMPLE).png().toFile(png);
    const policy = join(dir, 'policy.json');
    await writeFile(
      policy,
      JSON.stringify({
        name: 'x',
        compliance: {
          regions: { EU: { faces: 'redact' } },
          redaction: { method: 'fill', marginRatio: 0, minScore: 0.6, extra: 1 },
        },
      }),
    );
    const { code, lines } = await run([png], { policy, json: true });
    expect(code).toBe(0);
    const line = lines[0] as RedactLine;
    if ('error' in line) throw new Error(line.error);
    expect(line.output).toBe(join(dir, 'out', 'people.png'));
    expect(line.faces).toHaveLength(3);

    const before = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const after = await sharp(await readFile(line.output))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(after.info).toMatchObject({ width: 1920, height: 1280, channels: before.info.channels });
    const ch = before.info.channels;
    const inBox = (x: number, y: number) =>
      line.faces.some((f) => x >= f.x && x < f.x + f.width && y >= f.y && y < f.y + f.height);
    let outsideChanged = 0;
    let insideNotBlack = 0;
    for (let y = 0; y < 1280; y++) {
      for (let x = 0; x < 1920; x++) {
        const i = (y * 1920 + x) * ch;
        const same =
          before.data[i] === after.data[i] &&
          before.data[i + 1] === after.data[i + 1] &&
          before.data[i + 2] === after.data[i + 2];
        if (inBox(x, y))
          insideNotBlack += after.data[i]! + after.data[i + 1]! + after.data[i + 2]! > 0 ? 1 : 0;
        else if (!same) outsideChanged++;
      }
    }
    expect([outsideChanged, insideNotBlack]).toEqual([0, 0]);
  });

  it('is a usage error (exit 1, the field named) for a bad policy, a missing path or an --out that is a file', async () => {
    const policy = join(dir, 'policy.json');
    await writeFile(policy, JSON.stringify({ compliance: { redaction: { method: 'smear' } } }));
    let result = await run([SAMPLE], { policy });
    expect(result.code).toBe(1);
    expect(result.io.stderr.text).toContain(
      'compliance.redaction.method must be one of pixelate, blur, fill',
    );

    result = await run([join(dir, 'missing.jpg')]);
    expect(result.code).toBe(1);
    expect(result.io.stderr.text).toContain('no such file or folder');

    const io = { stdout: new Capture(), stderr: new Capture() };
    expect(await redactCommand([SAMPLE], { out: policy }, io)).toBe(1);
    expect(io.stderr.text).toContain('is not a folder');
  });
});

describe('redactSettings', () => {
  it('reads compliance.redaction, ignores everything else, and names a bad field', () => {
    expect(
      redactSettings({
        quality: {},
        compliance: { redaction: { method: 'blur', marginRatio: 0.3, minScore: 0.4, x: 1 } },
      }),
    ).toEqual({
      method: 'blur',
      marginRatio: 0.3,
      minScore: 0.4,
    });
    expect(redactSettings({ standardize: {} })).toEqual({});
    expect(() => redactSettings({ compliance: { redaction: { marginRatio: 3 } } })).toThrow(
      'compliance.redaction.marginRatio',
    );
    expect(() => redactSettings({ compliance: { redaction: { minScore: 1 } } })).toThrow(
      'compliance.redaction.minScore',
    );
    expect(() => redactSettings({ compliance: { redaction: [] } })).toThrow(
      'compliance.redaction must be an object',
    );
  });
});
