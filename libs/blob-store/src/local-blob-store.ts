import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import {
  assertValidKey,
  BlobNotFoundError,
  BlobTooLargeError,
  contentAddressedKey,
  type BlobStore,
  type StoredBlob,
} from './blob-store';

/** How many leading bytes `inspectHead` sees. */
const HEAD_BYTES = 4096;

/**
 * Blobs as files under `root`: the key `a/b/c` is the file `root/a/b/c`. Every write goes to a
 * temporary file in `root/.tmp` (same filesystem), is synced, then renamed into place, so a reader
 * sees either the whole blob or none of it. The content type is not stored (the image record
 * holds it); `StoredBlob.contentType` echoes what was passed.
 */
export class LocalBlobStore implements BlobStore {
  /** The absolute directory the blobs live in. */
  readonly root: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.tmpDir = join(this.root, '.tmp');
  }

  async putContentAddressed(
    source: NodeJS.ReadableStream | Readable,
    options: { prefix: string; maxBytes: number; contentType?: string; inspectHead?: (head: Buffer) => void },
  ): Promise<StoredBlob> {
    assertValidKey(options.prefix);
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) {
      throw new RangeError(`maxBytes must be a non-negative integer, got ${options.maxBytes}`);
    }
    await mkdir(this.tmpDir, { recursive: true });
    const tmpPath = this.newTmpPath();
    const sink = new HashingFileSink(tmpPath, options.maxBytes, options.inspectHead);
    const failure = await pump(source, sink);
    if (failure) {
      await rm(tmpPath, { force: true });
      if (!failure.fromSource) discardRest(source);
      throw failure.error; // unchanged: BlobTooLargeError, what inspectHead threw, a disk or source error
    }
    const sha256 = sink.sha256();
    const key = contentAddressedKey(options.prefix, sha256);
    try {
      // Same bytes stored before: the rename replaces the file with an identical one.
      await this.moveIntoPlace(tmpPath, key);
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
    return withContentType({ key, sizeBytes: sink.size, sha256 }, options.contentType);
  }

  async put(key: string, data: Buffer, contentType?: string): Promise<StoredBlob> {
    this.pathFor(key);
    await mkdir(this.tmpDir, { recursive: true });
    const tmpPath = this.newTmpPath();
    try {
      const handle = await open(tmpPath, 'wx');
      try {
        await handle.writeFile(data);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await this.moveIntoPlace(tmpPath, key);
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
    const sha256 = createHash('sha256').update(data).digest('hex');
    return withContentType({ key, sizeBytes: data.length, sha256 }, contentType);
  }

  async get(key: string): Promise<Buffer> {
    const path = this.pathFor(key);
    try {
      return await readFile(path);
    } catch (error) {
      throw isMissing(error) ? new BlobNotFoundError(key) : error;
    }
  }

  /** Throws InvalidBlobKeyError at once for a bad key; a missing blob is an error on the stream. */
  open(key: string): Readable {
    const path = this.pathFor(key);
    const out = new PassThrough();
    const file = createReadStream(path);
    file.once('error', (error) => out.destroy(isMissing(error) ? new BlobNotFoundError(key) : error));
    out.once('close', () => file.destroy());
    file.pipe(out);
    return out;
  }

  async exists(key: string): Promise<boolean> {
    const path = this.pathFor(key);
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathFor(key);
    try {
      await unlink(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  private pathFor(key: string): string {
    assertValidKey(key);
    const path = join(this.root, ...key.split('/'));
    if (!path.startsWith(this.root + sep)) throw new Error(`blob key "${key}" resolves outside the store`);
    return path;
  }

  private newTmpPath(): string {
    return join(this.tmpDir, `${randomUUID()}.part`);
  }

  private async moveIntoPlace(tmpPath: string, key: string): Promise<void> {
    const path = this.pathFor(key);
    await mkdir(dirname(path), { recursive: true });
    await rename(tmpPath, path);
  }
}

function withContentType(blob: StoredBlob, contentType: string | undefined): StoredBlob {
  return contentType === undefined ? blob : { ...blob, contentType };
}

/** ENOENT, or a path that is not a file (a directory, or a file where a directory would be). */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/**
 * Pipes `source` into `sink` and settles once the sink has closed (its file handle released),
 * with what went wrong first, if anything. On failure the source is unpiped but not destroyed.
 */
function pump(
  source: NodeJS.ReadableStream,
  sink: Writable,
): Promise<{ error: unknown; fromSource: boolean } | undefined> {
  return new Promise((resolvePump) => {
    let failure: { error: unknown; fromSource: boolean } | undefined;
    const onSourceError = (error: unknown) => {
      failure ??= { error, fromSource: true };
      sink.destroy();
    };
    source.once('error', onSourceError);
    sink.on('error', (error: unknown) => {
      failure ??= { error, fromSource: false };
    });
    sink.once('close', () => {
      source.removeListener('error', onSourceError);
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
