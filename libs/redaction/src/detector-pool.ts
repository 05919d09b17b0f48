// The inference worker pool: `size` worker threads (detector.worker.cjs), each holding both ONNX
// sessions with one intra-op thread, so `size` passes run at once on `size` cores and the caller's
// event loop never waits on inference. A pass goes to the worker with the fewest queued passes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export type PassModel = 'faces' | 'text' | 'objects';

export interface PassJob {
  model: PassModel;
  /** RGB bytes, width x height x 3 (transferred to the worker: the caller must not reuse it). */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Lowest score returned. */
  minScore: number;
}

/**
 * [x, y, width, height, score] in the pass's pixels, then a face's ten landmark coordinates or an
 * object's COCO class index.
 */
export type RawBox = [number, number, number, number, number, ...number[]];

export interface DetectorPool {
  /** Resolves once every worker has loaded both models; rejects with the first load error. */
  ready: Promise<void>;
  run(job: PassJob): Promise<RawBox[]>;
  close(): Promise<void>;
}

/** One worker per core of the project's 2-core machines. */
export const DEFAULT_POOL_SIZE = 2;

type WorkerMessage =
  { ready: true } | { initError: string } | { id: number; boxes: RawBox[] } | { id: number; error: string };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve(boxes: RawBox[]): void; reject(error: Error): void }>;
}

export function createDetectorPool(
  models: { faces: string; text: string; objects?: string },
  size: number,
): DetectorPool {
  if (!(Number.isInteger(size) && size >= 1 && size <= 64))
    throw new RangeError(`the pool size must be an integer from 1 to 64, not ${size}`);
  const script = join(__dirname, 'detector.worker.cjs');
  // The build (nx run redaction:build) copies the worker beside the compiled file; plain tsc does not.
  if (!existsSync(script)) throw new Error(`the detector's worker is missing: ${script} (build with nx)`);

  let failure: Error | undefined;
  let closed = false;
  let nextId = 1;
  const slots: Slot[] = [];
  const failAll = (error: Error): void => {
    failure ??= error;
    for (const slot of slots) {
      for (const p of slot.pending.values()) p.reject(error);
      slot.pending.clear();
    }
  };

  const loads = Array.from({ length: size }, () => {
    const slot: Slot = { worker: new Worker(script, { workerData: { models } }), pending: new Map() };
    slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      slot.worker.on('message', (message: WorkerMessage) => {
        if ('ready' in message) return resolve();
        if ('initError' in message) {
          const error = new Error(`the detector's models did not load: ${message.initError}`);
          reject(error);
          return failAll(error);
        }
        const p = slot.pending.get(message.id);
        if (!p) return;
        slot.pending.delete(message.id);
        if ('error' in message) p.reject(new Error(`detection failed: ${message.error}`));
        else p.resolve(message.boxes);
      });
      slot.worker.on('error', (thrown: unknown) => {
        const error = thrown instanceof Error ? thrown : new Error(String(thrown));
        reject(error);
        failAll(error);
      });
      slot.worker.on('exit', (code) => {
        const error = new Error(`a detector worker exited (code ${code})`);
        reject(error);
        if (!closed) failAll(error);
      });
    });
  });
  const ready = Promise.all(loads).then(() => undefined);
  // A load failure is reported by run() and by whoever awaits `ready`; nobody may be listening yet.
  ready.catch(() => undefined);

  return {
    ready,
    async run(job) {
      if (closed) throw new Error('the detector is closed');
      await ready;
      if (failure) throw failure;
      const slot = slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = nextId++;
      return new Promise<RawBox[]>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ id, ...job }, [job.rgb.buffer as ArrayBuffer]);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      failAll(new Error('the detector is closed'));
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
