import type { Readable } from 'node:stream';

export interface StoredBlob {
  key: string;
  sizeBytes: number;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  contentType?: string;
}

/**
 * Image bytes, behind one interface: `LocalBlobStore` (the filesystem) is the embedded default; an
 * S3-compatible store is the production choice.
 *
 * Keys are `/`-separated relative paths (`raw/sha256/ab/cd/abcd...`); a key with `..`, a leading
 * `/`, a backslash, an empty segment or a NUL is refused with `InvalidBlobKeyError`.
 */
/** The options of `putContentAddressed`. */
export interface ContentAddressedOptions {
  prefix: string;
  maxBytes: number;
  contentType?: string;
  inspectHead?: (head: Buffer) => void;
}

export interface BlobStore {
  /**
   * Streams `source` to the store while hashing it; the key is content-addressed:
   * `${prefix}/sha256/${hex.slice(0,2)}/${hex.slice(2,4)}/${hex}`. Rejects with BlobTooLargeError
   * as soon as more than maxBytes arrive (and leaves nothing behind). Storing the same bytes twice
   * yields the same key and is not an error. `inspectHead` receives the first up to 4096 bytes,
   * before anything is stored, and may throw to refuse the upload (the error propagates unchanged;
   * nothing is left behind).
   */
  putContentAddressed(
    source: NodeJS.ReadableStream | Readable,
    options: ContentAddressedOptions,
  ): Promise<StoredBlob>;
  /** Stores `data` under `key`, replacing what was there. */
  put(key: string, data: Buffer, contentType?: string): Promise<StoredBlob>;
  /** The whole blob; rejects with BlobNotFoundError if there is none. */
  get(key: string): Promise<Buffer>;
  /** A stream of the blob; it errors with BlobNotFoundError if there is none. */
  open(key: string): Readable;
  exists(key: string): Promise<boolean>;
  /** Removes the blob; no error if there is none. */
  delete(key: string): Promise<void>;
}

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`blob is larger than the limit of ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no blob with key "${key}"`);
    this.name = 'BlobNotFoundError';
  }
}

export class InvalidBlobKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid blob key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidBlobKeyError';
  }
}

/** The key `putContentAddressed` gives bytes of this SHA-256 (lower-case hex) under `prefix`. */
export function contentAddressedKey(prefix: string, sha256: string): string {
  return `${prefix}/sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}

/** Throws InvalidBlobKeyError unless `key` is a safe relative `/`-separated path. */
export function assertValidKey(key: string): void {
  const refuse = (reason: string): never => {
    throw new InvalidBlobKeyError(key, reason);
  };
  if (typeof key !== 'string' || key.length === 0) refuse('empty');
  if (key.length > 1024) refuse('longer than 1024 characters');
  if (key.includes('..')) refuse('contains ".."');
  if (key.includes('\\')) refuse('contains a backslash');
  if (key.includes('\0')) refuse('contains a NUL character');
  if (key.startsWith('/')) refuse('absolute path');
  const segments = key.split('/');
  if (segments.some((segment) => segment === '' || segment === '.')) refuse('empty or "." path segment');
  if (segments[0] === '.tmp') refuse('".tmp" is reserved');
}

/** `blob` with `contentType` set, when there is one. */
export function withContentType(blob: StoredBlob, contentType: string | undefined): StoredBlob {
  return contentType === undefined ? blob : { ...blob, contentType };
}

/** Throws unless `putContentAddressed`'s prefix is a valid key and maxBytes a size. */
export function assertContentAddressedOptions(options: ContentAddressedOptions): void {
  assertValidKey(options.prefix);
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${options.maxBytes}`);
  }
}
