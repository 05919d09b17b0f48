import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import {
  assertContentAddressedOptions,
  assertValidKey,
  BlobNotFoundError,
  contentAddressedKey,
  type BlobStore,
  type ContentAddressedOptions,
  type StoredBlob,
  withContentType,
} from './blob-store';
import { spoolToFile } from './spool';

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
    options: ContentAddressedOptions,
  ): Promise<StoredBlob> {
    assertContentAddressedOptions(options);
    await mkdir(this.tmpDir, { recursive: true });
    const tmpPath = this.newTmpPath();
    const { sha256, size } = await spoolToFile(source, tmpPath, options.maxBytes, options.inspectHead);
    const key = contentAddressedKey(options.prefix, sha256);
    try {
      // Same bytes stored before: the rename replaces the file with an identical one.
      await this.moveIntoPlace(tmpPath, key);
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
    return withContentType({ key, sizeBytes: size, sha256 }, options.contentType);
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
    file.on('error', (error) => out.destroy(isMissing(error) ? new BlobNotFoundError(key) : error));
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

/** ENOENT, or a path that is not a file (a directory, or a file where a directory would be). */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
