// The privacy detector: faces (CenterFace) and licence plates (PP-OCRv4 text detection, kept where
// the text has a plate's shape) in upright pixels. The only code that drives the models: it checks
// the model files, owns the worker pool (detector-pool.ts), cuts and scales each pass with sharp
// (libvips' own threads), and maps the boxes back; the plan, the mapping and the merge are the
// pure functions of boxes.ts and plates.ts.
import { openImage, sharp, type ImageFormat } from '@aperture/imaging';

import {
  DEFAULT_TILE_PLAN,
  mapFromTile,
  mergeBoxes,
  planTiles,
  roundBox,
  touchesInnerEdge,
  type ScoredBox,
  type Tile,
  type TilePlanOptions,
} from './boxes';
import { createDetectorPool, DEFAULT_POOL_SIZE, type DetectorPool, type PassModel } from './detector-pool';
import { modelFiles, verifyModelFile, type ModelInfo } from './models';
import { DEFAULT_OBJECT_SCORE, OBJECT_INPUT_SIDE, objectBoxes, type ObjectBox } from './objects';
import { DEFAULT_PLATE_PLAN, plateBoxes, planTextTiles, type PlatePlanOptions } from './plates';

/**
 * Raw pixels, row-major, `channels` bytes per pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; when
 * omitted, taken from the buffer's length).
 */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels?: number;
}

export interface DetectionSettings {
  /** Face score from which a detection counts (0..1 exclusive). */
  minScore?: number;
  /** The smallest face (px) to find: sets the fine pass's scale (boxes.ts). */
  minFaceSize?: number;
  /** Detect licence plates too. */
  plates?: boolean;
  /** Detect COCO objects too (needs a detector made with `objects: true`). */
  objects?: boolean;
}

export interface PrivacyDetection {
  /** In the upright pixels of the input, whole pixels, best score first. */
  faces: ScoredBox[];
  /** Likewise; empty when plates were not asked for. */
  plates: ScoredBox[];
  /** COCO objects, best score first; empty when objects were not asked for. */
  objects: ObjectBox[];
  width: number;
  height: number;
  models: { faces: ModelInfo; plates?: ModelInfo; objects?: ModelInfo };
}

export interface PrivacyDetectorOptions {
  /** Worker threads (one core each). */
  poolSize?: number;
  /** Overrides of the face pass plan (evaluation only: the product uses the defaults). */
  tiles?: TilePlanOptions;
  /** Overrides of the plate pass plan and filter (evaluation only). */
  platePlan?: PlatePlanOptions;
  /** Load the object model too (scripts/models installs it). */
  objects?: boolean;
}

export interface PrivacyDetector {
  /** Resolves once every worker has loaded the models. */
  ready: Promise<void>;
  detect(image: RawImage, settings?: DetectionSettings): Promise<PrivacyDetection>;
  close(): Promise<void>;
}

/**
 * The operating point of libs/redaction/README.md's evaluation (scripts/eval-faces): the face
 * score threshold, the smallest face, plates on. `aperture redact` and the compliance stage's
 * default policy use exactly these.
 */
export const DEFAULT_DETECTION: Required<Omit<DetectionSettings, 'objects'>> = {
  minScore: 0.5,
  minFaceSize: 16,
  plates: true,
};

/** Scores below this are never returned by the workers (a policy's threshold filters above it). */
const FACE_SCORE_FLOOR = 0.2;

/**
 * Checks both model files (a missing or damaged one throws a ModelFileError naming it, here, at
 * start) and starts the worker pool, which loads them once. One detector per process.
 */
export function createPrivacyDetector(options: PrivacyDetectorOptions = {}): PrivacyDetector {
  const files = modelFiles();
  verifyModelFile(files.faces);
  verifyModelFile(files.text);
  if (options.objects) verifyModelFile(files.objects);
  const pool = createDetectorPool(
    {
      faces: files.faces.path,
      text: files.text.path,
      ...(options.objects && { objects: files.objects.path }),
    },
    options.poolSize ?? DEFAULT_POOL_SIZE,
  );
  const facePlan = { ...DEFAULT_TILE_PLAN, ...options.tiles };
  const platePlan = { ...DEFAULT_PLATE_PLAN, ...options.platePlan };
  const info = ({ name, version, source, licence }: ModelInfo): ModelInfo => ({
    name,
    version,
    source,
    licence,
  });
  const faceModel = info(files.faces);
  const textModel = info(files.text);
  const objectModel = info(files.objects);

  return {
    ready: pool.ready,
    async detect(image, settings = {}) {
      const { minScore, minFaceSize, plates } = { ...DEFAULT_DETECTION, ...settings };
      const objects = settings.objects ?? false;
      if (objects && !options.objects)
        throw new Error('objects were asked for but this detector was made without the object model');
      if (!(minScore > 0 && minScore < 1))
        throw new RangeError(`minScore must be between 0 and 1, not ${minScore}`);
      if (!(minFaceSize >= 1)) throw new RangeError(`minFaceSize must be at least 1, not ${minFaceSize}`);
      const source = sourceOf(image);
      const faceTiles = planTiles(source.width, source.height, { ...facePlan, minFaceSize });
      const [faceBoxes, textBoxes, objectRows] = await Promise.all([
        runPasses(pool, source, 'faces', faceTiles, Math.min(FACE_SCORE_FLOOR, minScore)),
        plates
          ? runPasses(
              pool,
              source,
              'text',
              planTextTiles(source.width, source.height, platePlan),
              platePlan.minTextScore,
            )
          : Promise.resolve([]),
        objects ? runObjectPass(pool, source) : Promise.resolve([]),
      ]);
      const faces = mergeBoxes(faceBoxes.filter((box) => box.score >= minScore))
        .map((box) => roundBox(box, source.width, source.height))
        .filter((box) => box.width > 0 && box.height > 0);
      const plateList = plates
        ? plateBoxes(mergeBoxes(textBoxes), platePlan)
            .map((box) => roundBox(box, source.width, source.height))
            .filter((box) => box.width > 0 && box.height > 0)
        : [];
      return {
        faces,
        plates: plateList,
        objects: objectBoxes(objectRows, source.width, source.height)
          .map((box) => ({ ...roundBox(box, source.width, source.height), label: box.label }))
          .filter((box) => box.width > 0 && box.height > 0),
        width: source.width,
        height: source.height,
        models: {
          faces: faceModel,
          ...(plates && { plates: textModel }),
          ...(objects && { objects: objectModel }),
        },
      };
    },
    close: () => pool.close(),
  };
}

interface Source {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

function sourceOf(image: RawImage): Source {
  const channels = image.channels ?? image.data.length / (image.width * image.height);
  if (![1, 2, 3, 4].includes(channels) || image.data.length !== image.width * image.height * channels) {
    throw new RangeError(
      `pixel buffer of ${image.data.length} bytes does not fit ${image.width}x${image.height}`,
    );
  }
  return {
    data: image.data,
    width: image.width,
    height: image.height,
    channels: channels as Source['channels'],
  };
}

/** Every pass of `tiles` on the pool at once; the boxes mapped back, those cut by a tile's inner edge dropped. */
async function runPasses(
  pool: DetectorPool,
  source: Source,
  model: PassModel,
  tiles: Tile[],
  minScore: number,
): Promise<ScoredBox[]> {
  const perTile = await Promise.all(
    tiles.map(async (tile) => {
      const rgb = await passPixels(source, tile);
      const boxes = await pool.run({ model, rgb, width: tile.outWidth, height: tile.outHeight, minScore });
      return boxes
        .map(([x, y, width, height, score, ...landmarks]) =>
          mapFromTile({ x, y, width, height, score, ...(landmarks.length === 10 && { landmarks }) }, tile),
        )
        .filter((box) => !touchesInnerEdge(box, tile, source.width, source.height));
    }),
  );
  return perTile.flat();
}

/** The whole image stretched to the object model's square input, one pass; rows in its pixels. */
async function runObjectPass(pool: DetectorPool, source: Source): Promise<number[][]> {
  const side = OBJECT_INPUT_SIDE;
  const tile: Tile = {
    x: 0,
    y: 0,
    width: source.width,
    height: source.height,
    outWidth: side,
    outHeight: side,
    turn: 'none',
  };
  return pool.run({
    model: 'objects',
    rgb: await passPixels(source, tile),
    width: side,
    height: side,
    minScore: DEFAULT_OBJECT_SCORE,
  });
}

/** The tile's region, resized and turned, as RGB bytes in a buffer of its own (it is transferred). */
async function passPixels(source: Source, tile: Tile): Promise<Uint8Array> {
  let pipeline = sharp(Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength), {
    raw: { width: source.width, height: source.height, channels: source.channels },
  });
  if (tile.x !== 0 || tile.y !== 0 || tile.width !== source.width || tile.height !== source.height) {
    pipeline = pipeline.extract({ left: tile.x, top: tile.y, width: tile.width, height: tile.height });
  }
  if (tile.outWidth !== tile.width || tile.outHeight !== tile.height) {
    pipeline = pipeline.resize(tile.outWidth, tile.outHeight, { fit: 'fill' });
  }
  if (tile.turn === 'flip') pipeline = pipeline.flop();
  if (tile.turn === 'rotate180') pipeline = pipeline.rotate(180);
  const data = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer();
  if (data.length !== tile.outWidth * tile.outHeight * 3)
    throw new Error(
      `a detector pass came out as ${data.length} bytes, not ${tile.outWidth}x${tile.outHeight} RGB`,
    );
  return new Uint8Array(data);
}

/** The upright first frame's pixels, as the pipeline's other stages see it (auto-oriented, sRGB). */
export async function decodeUpright(bytes: Buffer): Promise<Required<RawImage> & { format: ImageFormat }> {
  const opened = await openImage(bytes);
  const { data, info } = await opened
    .pipeline()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data,
    width: info.width,
    height: info.height,
    channels: info.channels,
    format: opened.header.format,
  };
}
