// The face detector adapter: the only code that talks to the model. Detection runs in one
// worker thread per detector (face-detector.worker.cjs), so inference never blocks the caller's
// event loop; decoding runs in sharp's own threads. The tile plan, the mapping back and the merge
// are the pure functions of boxes.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { openImage, type ImageFormat } from '@aperture/imaging';

import {
  DEFAULT_TILE_PLAN,
  mapFromTile,
  mergeBoxes,
  planTiles,
  roundBox,
  touchesInnerEdge,
  type ScoredBox,
  type TilePlanOptions,
} from './boxes';

export interface DetectorModel {
  name: string;
  version: string;
}

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

export interface FaceDetection {
  /** In the upright (EXIF-oriented) pixels of the input, whole pixels, best score first. */
  faces: ScoredBox[];
  width: number;
  height: number;
  model: DetectorModel;
}

export interface FaceDetectorOptions {
  /**
   * The detector's confidence threshold. 0.5 is the operating point of the evaluation in
   * libs/redaction/README.md (recall and precision measured there by scripts/eval-faces).
   */
  minScore?: number;
  tiles?: TilePlanOptions;
}

export interface FaceDetector {
  /** Encoded image bytes (any format @aperture/imaging opens) or raw upright pixels. */
  /** `tiles` overrides the detector's tile plan for this call (fewer levels: faster, no small faces). */
  detect(input: Buffer | RawImage, options?: { tiles?: TilePlanOptions }): Promise<FaceDetection>;
  /** The model, once the worker has loaded it. */
  model(): Promise<DetectorModel>;
  close(): Promise<void>;
}

export const DEFAULT_MIN_SCORE = 0.5;

interface Pending {
  resolve(boxes: number[][][]): void;
  reject(error: Error): void;
}

/** Starts the worker and loads the model (a few hundred ms); reuse one detector per process. */
export function createFaceDetector(options: FaceDetectorOptions = {}): FaceDetector {
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  if (!(minScore > 0 && minScore < 1))
    throw new RangeError(`minScore must be between 0 and 1, not ${minScore}`);
  const plan = { ...DEFAULT_TILE_PLAN, ...options.tiles };

  const script = join(__dirname, 'face-detector.worker.cjs');
  // The build (nx run redaction:build) copies the worker beside the compiled file; plain tsc does not.
  if (!existsSync(script))
    throw new Error(`the face detector's worker is missing: ${script} (build with nx)`);
  const worker = new Worker(script);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | undefined;
  let closed = false;

  const failAll = (error: Error): void => {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  const ready = new Promise<DetectorModel>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if ('ready' in message) return resolve(message.ready);
      if ('initError' in message) {
        const error = new Error(`the face model did not load: ${message.initError}`);
        reject(error);
        return failAll(error);
      }
      const p = pending.get(message.id);
      if (!p) return;
      pending.delete(message.id);
      if ('error' in message) p.reject(new Error(`face detection failed: ${message.error}`));
      else p.resolve(message.boxes);
    });
    worker.on('error', (thrown: unknown) => {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      reject(error);
      failAll(error);
    });
    worker.on('exit', (code) => {
      const error = new Error(`the face detector's worker exited (code ${code})`);
      reject(error);
      if (!closed) failAll(error);
    });
  });
  // A load failure is reported by detect() and model(); nobody may be listening yet.
  ready.catch(() => undefined);

  const run = async (image: RawImage, tilePlan: TilePlanOptions): Promise<FaceDetection> => {
    const model = await ready;
    if (failure) throw failure;
    const channels = image.channels ?? image.data.length / (image.width * image.height);
    if (![1, 2, 3, 4].includes(channels) || image.data.length !== image.width * image.height * channels) {
      throw new RangeError(
        `pixel buffer of ${image.data.length} bytes does not fit ${image.width}x${image.height}`,
      );
    }
    const tiles = planTiles(image.width, image.height, tilePlan);
    const id = nextId++;
    // A copy is transferred, so the caller's buffer stays usable (it may be a pooled Buffer).
    const pixels = Uint8Array.from(image.data);
    const boxes = await new Promise<number[][][]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage(
        { id, pixels, width: image.width, height: image.height, channels, tiles, minScore },
        [pixels.buffer],
      );
    });
    const found: ScoredBox[] = [];
    tiles.forEach((tile, i) => {
      for (const [x, y, width, height, score] of boxes[i] ?? []) {
        const box = mapFromTile({ x: x!, y: y!, width: width!, height: height!, score: score! }, tile);
        // Tile 0 is the whole image: it has no inner edges.
        if (i > 0 && touchesInnerEdge(box, tile, image.width, image.height)) continue;
        found.push(box);
      }
    });
    const faces = mergeBoxes(found)
      .map((box) => roundBox(box, image.width, image.height))
      .filter((box) => box.width > 0 && box.height > 0);
    return { faces, width: image.width, height: image.height, model };
  };

  return {
    async detect(input, options = {}) {
      if (closed) throw new Error('the face detector is closed');
      return run(Buffer.isBuffer(input) ? await decodeUpright(input) : input, { ...plan, ...options.tiles });
    },
    model: () => ready,
    async close() {
      if (closed) return;
      closed = true;
      failAll(new Error('the face detector is closed'));
      await worker.terminate();
    },
  };
}

type WorkerMessage =
  | { ready: DetectorModel }
  | { initError: string }
  | { id: number; boxes: number[][][] }
  | { id: number; error: string };

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
