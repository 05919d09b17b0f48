import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import {
  BlobNotFoundError,
  BlobTooLargeError,
  InvalidBlobKeyError,
  LocalBlobStore,
  type BlobStore,
} from '@aperture/blob-store';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** `data` as a stream of `size`-byte chunks. */
function chunked(data: Buffer, size = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size)
    chunks.push(data.subarray(offset, offset + size));
  return Readable.from(chunks);
}

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// Every write is fsynced: on a 2-core machine busy with the rest of `nx run-many` (and CI's other
// tasks) a single sync has been seen to take seconds, past Jest's default 5 s.
jest.setTimeout(30_000);

describe('LocalBlobStore', () => {
  let root: string;
  let store: BlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'aperture-blobs-'));
    store = new LocalBlobStore(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('putContentAddressed', () => {
    it('stores the bytes under a key made of their SHA-256', async () => {
      const data = randomBytes(200_000);
      const hex = sha256(data);
      const stored = await store.putContentAddressed(chunked(data), {
        prefix: 'raw',
        maxBytes: 1_000_000,
        contentType: 'image/jpeg',
      });
      expect(stored).toEqual({
        key: `raw/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`,
        sizeBytes: data.length,
        sha256: hex,
        contentType: 'image/jpeg',
      });
      expect(await readFile(join(root, stored.key))).toEqual(data);
      expect(await store.get(stored.key)).toEqual(data);
      expect(await filesUnder(root)).toEqual([stored.key]);
    });

    it('gives the same key for the same bytes, stored twice or at once', async () => {
      const data = randomBytes(10_000);
      const first = await store.putContentAddressed(chunked(data, 1000), { prefix: 'raw', maxBytes: 20_000 });
      const second = await store.putContentAddressed(chunked(data, 3000), {
        prefix: 'raw',
        maxBytes: 20_000,
      });
      const [third, fourth] = await Promise.all([
        store.putContentAddressed(chunked(data), { prefix: 'raw', maxBytes: 20_000 }),
        store.putContentAddressed(chunked(data), { prefix: 'raw', maxBytes: 20_000 }),
      ]);
      expect(first).not.toHaveProperty('contentType');
      for (const again of [second, third, fourth]) expect(again).toEqual(first);
      expect(await filesUnder(root)).toEqual([first.key]);
      expect(await store.get(first.key)).toEqual(data);
    });

    it('accepts exactly maxBytes, and an empty stream', async () => {
      const data = randomBytes(5000);
      await expect(
        store.putContentAddressed(chunked(data, 999), { prefix: 'raw', maxBytes: 5000 }),
      ).resolves.toMatchObject({ sizeBytes: 5000, sha256: sha256(data) });
      const heads: Buffer[] = [];
      const empty = await store.putContentAddressed(Readable.from([]), {
        prefix: 'raw',
        maxBytes: 10,
        inspectHead: (head) => heads.push(head),
      });
      expect(empty).toMatchObject({ sizeBytes: 0, sha256: sha256(Buffer.alloc(0)) });
      expect(heads).toEqual([Buffer.alloc(0)]);
      expect(await store.get(empty.key)).toEqual(Buffer.alloc(0));
    });

    it('rejects with BlobTooLargeError past maxBytes and leaves nothing behind, not even a temp file', async () => {
      const data = randomBytes(300_000);
      const source = chunked(data, 16 * 1024);
      const error: unknown = await store
        .putContentAddressed(source, { prefix: 'raw', maxBytes: 100_000 })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BlobTooLargeError);
      expect((error as BlobTooLargeError).maxBytes).toBe(100_000);
      expect(await filesUnder(root)).toEqual([]);
      // The rest of the source is read and discarded, not destroyed (a multipart form goes on).
      if (!source.readableEnded) await once(source, 'end');
    });

    it('stops as soon as the limit is passed, without reading the whole source', async () => {
      let produced = 0;
      async function* endless() {
        for (;;) {
          produced += 64 * 1024;
          yield Buffer.alloc(64 * 1024, 1);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      const source = Readable.from(endless(), { highWaterMark: 2 }); // read ahead by 2 chunks at most
      const error: unknown = await store
        .putContentAddressed(source, { prefix: 'raw', maxBytes: 1024 * 1024 })
        .catch((caught: unknown) => caught);
      const producedAtRejection = produced;
      source.destroy();
      expect(error).toBeInstanceOf(BlobTooLargeError);
      expect(producedAtRejection).toBeLessThan(2 * 1024 * 1024);
      expect(await filesUnder(root)).toEqual([]);
    });

    it('shows inspectHead the first 4096 bytes before anything is stored', async () => {
      const data = randomBytes(10_000);
      const heads: Buffer[] = [];
      const stored = await store.putContentAddressed(chunked(data, 1000), {
        prefix: 'raw',
        maxBytes: 20_000,
        inspectHead: (head) => {
          heads.push(Buffer.from(head));
          // Synchronous on purpose: nothing, not even a temp file, exists yet.
          expect(readdirSyncFiles(root)).toEqual([]);
        },
      });
      expect(heads).toEqual([data.subarray(0, 4096)]);
      expect(await store.get(stored.key)).toEqual(data);

      const short = randomBytes(100);
      const shortHeads: Buffer[] = [];
      await store.putContentAddressed(chunked(short, 30), {
        prefix: 'raw',
        maxBytes: 20_000,
        inspectHead: (head) => shortHeads.push(Buffer.from(head)),
      });
      expect(shortHeads).toEqual([short]);
    });

    it('propagates what inspectHead throws, unchanged, and stores nothing', async () => {
      class UnsupportedMediaType extends Error {}
      const refusal = new UnsupportedMediaType('not an image');
      const source = chunked(randomBytes(50_000), 1000);
      const error: unknown = await store
        .putContentAddressed(source, {
          prefix: 'raw',
          maxBytes: 100_000,
          inspectHead: () => {
            throw refusal;
          },
        })
        .catch((caught: unknown) => caught);
      expect(error).toBe(refusal);
      expect(await filesUnder(root)).toEqual([]);
      if (!source.readableEnded) await once(source, 'end');
    });

    it('rejects with the source error if the source fails, leaving nothing behind', async () => {
      const broken = new Error('connection reset');
      async function* failing() {
        yield randomBytes(8192);
        yield randomBytes(8192);
        throw broken;
      }
      await expect(
        store.putContentAddressed(Readable.from(failing()), { prefix: 'raw', maxBytes: 100_000 }),
      ).rejects.toBe(broken);
      expect(await filesUnder(root)).toEqual([]);
    });

    it('streams 20 MB through without trouble and hashes it right', async () => {
      const hash = createHash('sha256');
      const total = 20 * 1024 * 1024;
      async function* twentyMegabytes() {
        for (let sent = 0; sent < total; sent += 256 * 1024) {
          const chunk = randomBytes(256 * 1024);
          hash.update(chunk);
          yield chunk;
        }
      }
      const stored = await store.putContentAddressed(Readable.from(twentyMegabytes()), {
        prefix: 'raw',
        maxBytes: 25 * 1024 * 1024,
      });
      const expected = hash.digest('hex');
      expect(stored).toMatchObject({ sizeBytes: total, sha256: expected });
      expect(sha256(await store.get(stored.key))).toBe(expected);
    }, 30_000);

    it('refuses a bad prefix or limit', async () => {
      await expect(
        store.putContentAddressed(Readable.from([]), { prefix: '../raw', maxBytes: 10 }),
      ).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(
        store.putContentAddressed(Readable.from([]), { prefix: 'raw/', maxBytes: 10 }),
      ).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(
        store.putContentAddressed(Readable.from([]), { prefix: 'raw', maxBytes: -1 }),
      ).rejects.toBeInstanceOf(RangeError);
    });
  });

  describe('put, get, open, exists, delete', () => {
    it('round-trips a blob', async () => {
      const data = Buffer.from('standardized pixels');
      expect(await store.exists('std/img-1.jpg')).toBe(false);
      const stored = await store.put('std/img-1.jpg', data, 'image/jpeg');
      expect(stored).toEqual({
        key: 'std/img-1.jpg',
        sizeBytes: data.length,
        sha256: sha256(data),
        contentType: 'image/jpeg',
      });
      expect(await store.exists('std/img-1.jpg')).toBe(true);
      expect(await store.get('std/img-1.jpg')).toEqual(data);
      expect(await readAll(store.open('std/img-1.jpg'))).toEqual(data);
      expect(await filesUnder(root)).toEqual(['std/img-1.jpg']);

      await store.delete('std/img-1.jpg');
      expect(await store.exists('std/img-1.jpg')).toBe(false);
      await expect(store.delete('std/img-1.jpg')).resolves.toBeUndefined();
    });

    it('replaces a blob put again under the same key', async () => {
      await store.put('a/b', Buffer.from('one'));
      await store.put('a/b', Buffer.from('two'));
      expect((await store.get('a/b')).toString()).toBe('two');
      expect(await filesUnder(root)).toEqual(['a/b']);
    });

    it('reports a missing blob as BlobNotFoundError from get and open', async () => {
      await store.put('raw/x', Buffer.from('x'));
      for (const key of ['nope', 'raw/missing', 'raw', 'raw/x/below-a-file']) {
        const fromGet: unknown = await store.get(key).catch((caught: unknown) => caught);
        expect(fromGet).toBeInstanceOf(BlobNotFoundError);
        expect((fromGet as BlobNotFoundError).key).toBe(key);
        await expect(readAll(store.open(key))).rejects.toBeInstanceOf(BlobNotFoundError);
        expect(await store.exists(key)).toBe(false);
      }
    });

    it('refuses keys that could leave the store or are malformed', async () => {
      const outside = join(root, '..', `escaped-${process.pid}`);
      const bad = [
        '',
        '../escaped',
        `../${relative(join(root, '..'), outside)}`,
        'a/../../escaped',
        'a/..',
        '..',
        '/etc/passwd',
        'a\\b',
        '..\\escaped',
        'a//b',
        'a/',
        './a',
        'a/./b',
        'a\0b',
        '.tmp/x',
      ];
      for (const key of bad) {
        await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.exists(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        expect(() => store.open(key)).toThrow(InvalidBlobKeyError);
      }
      await expect(readFile(outside)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await filesUnder(root)).toEqual([]);
    });
  });
});

function readdirSyncFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
}
