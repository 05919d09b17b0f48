import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  assertContentAddressedOptions,
  assertValidKey,
  BlobNotFoundError,
  type BlobStore,
  type ContentAddressedOptions,
  contentAddressedKey,
  type StoredBlob,
  withContentType,
} from './blob-store';
import { spoolToFile } from './spool';

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server's URL (MinIO, S3Proxy, ...); unset for AWS itself. */
  endpoint?: string;
  /** Static credentials; unset: the AWS SDK's default chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle?: boolean;
  /** Created when missing, on first use. */
  createBucket?: boolean;
  /** Where uploads of unknown length are spooled while hashed (default: the OS temp dir). */
  spoolDir?: string;
}

/**
 * Blobs as objects of one S3 bucket; the key `a/b/c` is the object key `a/b/c`. A PUT is atomic, so
 * a reader sees a whole blob or none. The content type is stored as the object's Content-Type.
 * `putContentAddressed` spools the stream to a local temporary file while hashing it (the key
 * depends on the hash), then uploads it once, unless an object with that key exists already.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  readonly bucket: string;
  private readonly spoolDir: string;
  private bucketReady: Promise<void> | undefined;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.spoolDir = options.spoolDir ?? join(tmpdir(), 'aperture-s3-spool');
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint && { endpoint: options.endpoint }),
      ...(options.credentials && { credentials: options.credentials }),
      forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
      // Checksums only where S3 requires them: S3-compatible servers do not all speak the newer
      // flexible-checksum trailers. Integrity is checked by the SHA-256 the store computes itself.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async putContentAddressed(
    source: NodeJS.ReadableStream | Readable,
    options: ContentAddressedOptions,
  ): Promise<StoredBlob> {
    assertContentAddressedOptions(options);
    await mkdir(this.spoolDir, { recursive: true });
    const spool = join(this.spoolDir, `${randomUUID()}.part`);
    try {
      const { sha256, size } = await spoolToFile(source, spool, options.maxBytes, options.inspectHead);
      const key = contentAddressedKey(options.prefix, sha256);
      if (!(await this.exists(key))) {
        await (
          await this.s3()
        ).send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: createReadStream(spool),
            ContentLength: size,
            ...(options.contentType && { ContentType: options.contentType }),
          }),
        );
      }
      return withContentType({ key, sizeBytes: size, sha256 }, options.contentType);
    } finally {
      await rm(spool, { force: true });
    }
  }

  async put(key: string, data: Buffer, contentType?: string): Promise<StoredBlob> {
    assertValidKey(key);
    await (
      await this.s3()
    ).send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: data,
        ContentLength: data.length,
        ...(contentType && { ContentType: contentType }),
      }),
    );
    const sha256 = createHash('sha256').update(data).digest('hex');
    return withContentType({ key, sizeBytes: data.length, sha256 }, contentType);
  }

  async get(key: string): Promise<Buffer> {
    assertValidKey(key);
    try {
      const object = await (await this.s3()).send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch (error) {
      throw isNotFound(error) ? new BlobNotFoundError(key) : error;
    }
  }

  /** Throws InvalidBlobKeyError at once for a bad key; a missing blob is an error on the stream. */
  open(key: string): Readable {
    assertValidKey(key);
    const out = new PassThrough();
    void this.s3()
      .then((client) => client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })))
      .then(
        (object) => {
          const body = object.Body as Readable;
          body.on('error', (error) => out.destroy(error));
          out.once('close', () => body.destroy());
          body.pipe(out);
        },
        (error: unknown) => out.destroy(isNotFound(error) ? new BlobNotFoundError(key) : (error as Error)),
      );
    return out;
  }

  async exists(key: string): Promise<boolean> {
    assertValidKey(key);
    try {
      await (await this.s3()).send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await (await this.s3()).send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Creates the bucket if it is missing (once per store; only when the options ask for it). */
  ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket })).catch((created: unknown) => {
          const name = (created as { name?: string }).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw created;
        });
      }
    })().catch((error: unknown) => {
      this.bucketReady = undefined;
      throw error;
    });
    return this.bucketReady;
  }

  private async putObject(
    key: string,
    body: Buffer | Readable,
    size: number,
    contentType: string | undefined,
  ): Promise<void> {
    await (
      await this.s3()
    ).send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: size,
        ...(contentType && { ContentType: contentType }),
      }),
    );
  }

  /** The client, once the bucket exists if the options ask for it to be created. */
  private async s3(): Promise<S3Client> {
    if (this.options.createBucket) await this.ensureBucket();
    return this.client;
  }
}

/** S3's "no such key / bucket" in its several spellings (GET: NoSuchKey, HEAD: NotFound, 404). */
function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.name === 'NoSuchBucket' ||
    e?.$metadata?.httpStatusCode === 404
  );
}
