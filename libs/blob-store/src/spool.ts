import { createHash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { finished, Writable, type Readable } from 'node:stream';
import { BlobTooLargeError } from './blob-store';

/** How many leading bytes `inspectHead` sees. */
export const HEAD_BYTES = 4096;

/**
 * Streams `source` into the file `path` while hashing and counting it, with the limits and the
 * head inspection of `BlobStore.putContentAddressed`. On failure the file is removed and the error
 * rethrown unchanged (BlobTooLargeError, what inspectHead threw, a disk or source error); the rest
 * of the source is then read and discarded, not destroyed.
 */
export async function spoolToFile(
  source: NodeJS.ReadableStream | Readable,
  path: string,
  maxBytes: number,
  inspectHead: ((head: Buffer) => void) | undefined,
): Promise<{ sha256: string; size: number }> {
  const sink = new HashingFileSink(path, maxBytes, inspectHead);
  const failure = await pump(source, sink);
  if (failure) {
    await rm(path, { force: true });
    if (!failure.fromSource) discardRest(source);
    throw failure.error;
  }
  return { sha256: sink.sha256(), size: sink.size };
}

/**
 * Pipes `source` into `sink` and settles once the sink has closed (its file handle released),
 * with what went wrong first, if anything. On failure the source is unpiped but not destroyed. A
 * source that fails, or is destroyed before its end (a client that went away), is a failure even
 * when that happened before this call: `finished` reports a stream that is already done.
 */
function pump(
  source: NodeJS.ReadableStream,
  sink: Writable,
): Promise<{ error: unknown; fromSource: boolean } | undefined> {
  return new Promise((resolvePump) => {
    let failure: { error: unknown; fromSource: boolean } | undefined;
    const stopWatching = finished(source, { writable: false }, (error) => {
      if (!error) return;
      failure ??= { error, fromSource: true };
      sink.destroy();
    });
    sink.on('error', (error: unknown) => {
      failure ??= { error, fromSource: false };
    });
    sink.once('close', () => {
      stopWatching();
      if (failure) source.unpipe(sink);
      resolvePump(failure);
    });
    source.pipe(sink);
  });
}

/**
 * After the store gave up on an upload (too large, head refused, disk error) the rest of the
 * source is read and thrown away rather than destroyed, so a multipart parser can go on to the
 * next part and an HTTP server can still answer; a caller that wants to cut the upload short
 * destroys the source itself.
 */
function discardRest(source: NodeJS.ReadableStream): void {
  source.on('error', () => {}); // the caller's own listeners still see it; no crash for want of one
  source.resume();
}

/**
 * Counts, hashes and writes what it receives to `path`. The first HEAD_BYTES are held back until
 * `inspectHead` approves them; the file is created only then. Memory stays bounded: the head plus
 * the stream's own buffer.
 */
class HashingFileSink extends Writable {
  size = 0;
  private readonly hash = createHash('sha256');
  private head: Buffer[] = [];
  private headLength = 0;
  private headReleased = false;
  private handle: FileHandle | undefined;
  /** Settles when the last file operation has; operations run one after the other. */
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly inspectHead: ((head: Buffer) => void) | undefined,
  ) {
    super();
  }

  sha256(): string {
    return this.hash.digest('hex');
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.run(async () => {
      this.size += chunk.length;
      if (this.size > this.maxBytes) throw new BlobTooLargeError(this.maxBytes);
      this.hash.update(chunk);
      if (this.headReleased) {
        await this.writeOut(chunk);
        return;
      }
      this.head.push(chunk);
      this.headLength += chunk.length;
      if (this.headLength >= HEAD_BYTES) await this.releaseHead();
    }, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.run(async () => {
      if (!this.headReleased) await this.releaseHead();
      const handle = this.handle!;
      this.handle = undefined;
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const close = async () => {
      await this.idle;
      const handle = this.handle;
      this.handle = undefined;
      await handle?.close();
    };
    close().then(
      () => callback(error),
      (closeError: unknown) => callback(error ?? (closeError as Error)),
    );
  }

  private run(work: () => Promise<void>, callback: (error?: Error | null) => void): void {
    const operation = this.idle.then(work);
    this.idle = operation.catch(() => undefined);
    operation.then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }

  private async releaseHead(): Promise<void> {
    const buffered = Buffer.concat(this.head, this.headLength);
    this.head = [];
    this.inspectHead?.(buffered.subarray(0, HEAD_BYTES));
    this.headReleased = true;
    this.handle = await open(this.path, 'wx');
    await this.writeOut(buffered);
  }

  private async writeOut(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.handle!.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }
}
