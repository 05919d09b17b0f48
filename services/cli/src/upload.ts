// The upload of one batch: create it, upload every file, close it, then follow it to completion.
// Everything it talks to (the API, time, the progress display) is passed in, so the unit tests run
// it against a local server with a clock that does not wait.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

import { ApiError, errorMessage, type Batch, type IngestApi } from './api-client';
import type { LocalFile } from './files';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => delay(ms),
};

/** A file the API refused (4xx), or that could not be read any more when its turn came. */
export interface Refusal {
  path: string;
  /** HTTP status, undefined when the file could not be read locally. */
  status: number | undefined;
  code: string;
  message: string;
}

/** Where the upload reports what it is doing (a progress bar, plain lines, or nothing). */
export interface UploadProgress {
  /** A step of the run ("batch b1 created", "closing", ...). */
  note(message: string): void;
  start(totalFiles: number, totalBytes: number): void;
  /** One file is done, accepted or refused. */
  fileDone(file: LocalFile, refusal?: Refusal): void;
  /** Uploading is over (also after a fatal error). */
  stop(): void;
  /** The batch as seen by one poll while following it. */
  polled(batch: Batch): void;
}

export const silentProgress: UploadProgress = {
  note: () => undefined,
  start: () => undefined,
  fileDone: () => undefined,
  stop: () => undefined,
  polled: () => undefined,
};

export interface UploadOptions {
  projectId: string;
  files: readonly LocalFile[];
  region?: string;
  consentIds?: readonly string[];
  /** Files uploaded at the same time (default 4). */
  concurrency?: number;
  /** Poll the batch after closing it until it is complete (default true). */
  follow?: boolean;
  /** How long to follow before giving up (default 600 s). */
  timeoutMs?: number;
  /** Time between two polls (default 1 s). */
  pollIntervalMs?: number;
  /** Multipart text fields sent with every file (a campaign upload's campaignId, category, ...). */
  fields?: Readonly<Record<string, string>>;
}

export interface UploadDeps {
  client: IngestApi;
  clock?: Clock;
  progress?: UploadProgress;
  newIdempotencyKey?: () => string;
}

export interface UploadResult {
  batchId: string;
  /** The last state of the batch the API returned (after close, or after the last poll). */
  batch: Batch;
  files: number;
  bytes: number;
  /** Files the API accepted. */
  accepted: number;
  refused: Refusal[];
  /** Whether the batch was followed (not --no-follow, and at least one file accepted). */
  followed: boolean;
  completed: boolean;
  timedOut: boolean;
}

/** A fatal error after the batch was created: the run stops, the batch is left as it is. */
export class UploadAborted extends Error {
  override readonly name = 'UploadAborted';

  constructor(
    readonly batchId: string,
    readonly reason: unknown,
  ) {
    super(reason instanceof ApiError ? reason.describe() : errorMessage(reason));
  }
}

/**
 * Whether a 4xx for one file concerns that file only (so the others go on), rather than the whole
 * run: bad or missing credentials, a batch that is gone or closed stop everything.
 */
export function isFileRefusal(error: ApiError): boolean {
  if (error.status === undefined || error.status < 400 || error.status >= 500) return false;
  if (error.transient) return false;
  if (error.status === 401 || error.status === 403 || error.status === 404) return false;
  return error.code !== 'batch_closed';
}

export async function uploadBatch(options: UploadOptions, deps: UploadDeps): Promise<UploadResult> {
  const { client } = deps;
  const clock = deps.clock ?? systemClock;
  const progress = deps.progress ?? silentProgress;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const files = options.files;
  const bytes = files.reduce((sum, file) => sum + file.size, 0);

  const declarations = {
    ...(options.region !== undefined && { region: options.region }),
    ...(options.consentIds && options.consentIds.length > 0 && { consentIds: [...options.consentIds] }),
  };
  // The same key on every attempt: a create retried after a lost answer returns the same batch.
  const created = await client.createBatch({
    projectId: options.projectId,
    idempotencyKey: (deps.newIdempotencyKey ?? randomUUID)(),
    ...(Object.keys(declarations).length > 0 && { declarations }),
  });
  const batchId = created.batchId;
  progress.note(`batch ${batchId} created in project ${options.projectId}`);

  const refused: Refusal[] = [];
  let accepted = 0;
  let fatal: unknown;
  let next = 0;

  const worker = async (): Promise<void> => {
    while (fatal === undefined) {
      const file = files[next++];
      if (!file) return;
      try {
        await client.uploadImage(batchId, {
          path: file.path,
          filename: file.filename,
          ...(options.fields && { fields: options.fields }),
        });
        accepted++;
        progress.fileDone(file);
      } catch (error) {
        const refusal = refusalOf(file, error);
        if (!refusal) {
          fatal ??= error;
          return;
        }
        refused.push(refusal);
        progress.fileDone(file, refusal);
      }
    }
  };

  progress.start(files.length, bytes);
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  } finally {
    progress.stop();
  }
  if (fatal !== undefined) throw new UploadAborted(batchId, fatal);

  let batch: Batch;
  try {
    batch = await closeBatch(client, batchId);
  } catch (error) {
    throw new UploadAborted(batchId, error);
  }
  progress.note(`batch ${batchId} closed: ${accepted} of ${files.length} files accepted`);

  const result: UploadResult = {
    batchId,
    batch,
    files: files.length,
    bytes,
    accepted,
    refused,
    followed: false,
    completed: batch.state === 'complete',
    timedOut: false,
  };
  if (options.follow === false || accepted === 0 || result.completed) return result;

  result.followed = true;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const interval = options.pollIntervalMs ?? 1000;
  const deadline = clock.now() + timeoutMs;
  progress.note(`waiting for batch ${batchId} to complete (up to ${Math.round(timeoutMs / 1000)} s)`);
  for (;;) {
    if (clock.now() >= deadline) {
      result.timedOut = true;
      return result;
    }
    await clock.sleep(Math.max(0, Math.min(interval, deadline - clock.now())));
    try {
      batch = await client.getBatch(batchId);
    } catch (error) {
      throw new UploadAborted(batchId, error);
    }
    result.batch = batch;
    progress.polled(batch);
    if (batch.state === 'complete') {
      result.completed = true;
      return result;
    }
  }
}

/** Close; a retried close whose first attempt got through answers 409 batch_closed: read it back. */
async function closeBatch(client: IngestApi, batchId: string): Promise<Batch> {
  try {
    return await client.closeBatch(batchId);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'batch_closed') return client.getBatch(batchId);
    throw error;
  }
}

function refusalOf(file: LocalFile, error: unknown): Refusal | undefined {
  if (error instanceof ApiError) {
    return isFileRefusal(error)
      ? { path: file.path, status: error.status, code: error.code, message: error.message }
      : undefined;
  }
  // The file went away or became unreadable since it was collected: skip it, go on with the others.
  // (Checked by shape: fs errors may come from another realm, e.g. under Jest.)
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && typeof message === 'string') {
    return { path: file.path, status: undefined, code: 'unreadable', message };
  }
  return undefined;
}
