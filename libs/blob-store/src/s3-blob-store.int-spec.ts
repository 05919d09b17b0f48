import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { DeleteBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  BlobNotFoundError,
  BlobTooLargeError,
  createBlobStore,
  InvalidBlobKeyError,
  S3BlobStore,
} from '@aperture/blob-store';

// Against the real S3-compatible server of the Jest global setup (S3_* variables: S3Proxy from
// scripts/infra, a MinIO container, or what the environment names), in a bucket of its own.
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const chunked = (data: Buffer, size = 64 * 1024) => {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size)
    chunks.push(data.subarray(offset, offset + size));
  return Readable.from(chunks);
};
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('S3BlobStore on a real S3-compatible server', () => {
  const bucket = `aperture-it-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  let store: S3BlobStore;

  beforeAll(() => {
    store = createBlobStore({ ...process.env, BLOB_STORE: 's3', S3_BUCKET: bucket }) as S3BlobStore;
    expect(store).toBeInstanceOf(S3BlobStore);
  });
  afterAll(async () => {
    // Leave the server as it was: the run's objects and bucket go.
    for (const key of await keys()) await store.delete(key);
    await store.client.send(new DeleteBucketCommand({ Bucket: bucket }));
    store.client.destroy();
  });

  async function keys(): Promise<string[]> {
    const listed = await store.client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (listed.Contents ?? []).map((object) => object.Key!).sort();
  }

  it('creates its bucket and round-trips a blob: put, get, open, exists, delete', async () => {
    const data = Buffer.from('standardized pixels');
    expect(await store.put('derived/a/b.jpg', data, 'image/jpeg')).toEqual({
      key: 'derived/a/b.jpg',
      sizeBytes: data.length,
      sha256: sha256(data),
      contentType: 'image/jpeg',
    });
    expect(await store.get('derived/a/b.jpg')).toEqual(data);
    expect(await readAll(store.open('derived/a/b.jpg'))).toEqual(data);
    expect(await store.exists('derived/a/b.jpg')).toBe(true);
    await store.delete('derived/a/b.jpg');
    expect(await store.exists('derived/a/b.jpg')).toBe(false);
    await expect(store.delete('derived/a/b.jpg')).resolves.toBeUndefined();
  });

  it('says a missing blob is missing: BlobNotFoundError from get and on the stream', async () => {
    await expect(store.get('nope/x')).rejects.toBeInstanceOf(BlobNotFoundError);
    const stream = store.open('nope/x');
    const [error] = (await once(stream, 'error')) as [unknown];
    expect(error).toBeInstanceOf(BlobNotFoundError);
    expect(await store.exists('nope/x')).toBe(false);
  });

  it('refuses bad keys before any request', async () => {
    await expect(store.get('../etc/passwd')).rejects.toBeInstanceOf(InvalidBlobKeyError);
    expect(() => store.open('/abs')).toThrow(InvalidBlobKeyError);
    await expect(store.put('a//b', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
  });

  it('stores a stream content-addressed, once: the same bytes twice give one object', async () => {
    const data = randomBytes(300_000);
    const hex = sha256(data);
    const first = await store.putContentAddressed(chunked(data), {
      prefix: 'raw',
      maxBytes: 1_000_000,
      contentType: 'image/png',
    });
    expect(first).toEqual({
      key: `raw/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`,
      sizeBytes: data.length,
      sha256: hex,
      contentType: 'image/png',
    });
    const again = await store.putContentAddressed(chunked(data, 7000), {
      prefix: 'raw',
      maxBytes: 1_000_000,
    });
    expect(again.key).toBe(first.key);
    expect(await store.get(first.key)).toEqual(data);
    expect((await keys()).filter((key) => key.startsWith('raw/'))).toEqual([first.key]);
  });

  it('stores nothing past maxBytes or when inspectHead refuses, and reads the rest of the source', async () => {
    const before = await keys();
    const big = chunked(randomBytes(200_000), 16 * 1024);
    await expect(store.putContentAddressed(big, { prefix: 'raw', maxBytes: 50_000 })).rejects.toBeInstanceOf(
      BlobTooLargeError,
    );
    if (!big.readableEnded) await once(big, 'end');
    const refusal = new Error('not an image');
    const heads: Buffer[] = [];
    await expect(
      store.putContentAddressed(chunked(randomBytes(10_000), 1000), {
        prefix: 'raw',
        maxBytes: 50_000,
        inspectHead: (head) => {
          heads.push(Buffer.from(head));
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
    expect(heads[0]).toHaveLength(4096);
    expect(await keys()).toEqual(before);
  });

  it('streams 20 MB in and out', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const stored = await store.putContentAddressed(chunked(data, 256 * 1024), {
      prefix: 'raw',
      maxBytes: 25 * 1024 * 1024,
    });
    expect(stored.sha256).toBe(sha256(data));
    expect(sha256(await readAll(store.open(stored.key)))).toBe(sha256(data));
  }, 60_000);
});
