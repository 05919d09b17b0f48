import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createBlobStore, LocalBlobStore, S3BlobStore } from '@aperture/blob-store';

describe('createBlobStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aperture-create-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses BLOB_STORE_DIR, creating it', async () => {
    const blobDir = join(dir, 'nested', 'blobs');
    const store = createBlobStore({ BLOB_STORE_DIR: blobDir });
    expect(store).toBeInstanceOf(LocalBlobStore);
    expect((store as LocalBlobStore).root).toBe(blobDir);
    expect(existsSync(blobDir)).toBe(true);
    await store.put('k', Buffer.from('v'));
    expect(existsSync(join(blobDir, 'k'))).toBe(true);
  });

  it('defaults to .aperture/blobs in the repository', () => {
    const store = createBlobStore({ BLOB_STORE_DIR: '  ' }) as LocalBlobStore;
    const expected = resolve(__dirname, '../../..', '.aperture', 'blobs');
    expect(store.root).toBe(expected);
    expect(existsSync(expected)).toBe(true);
  });

  it('uses an S3 bucket with BLOB_STORE=s3, and names a bad setting', () => {
    const store = createBlobStore({
      BLOB_STORE: 's3',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'images',
    });
    expect(store).toBeInstanceOf(S3BlobStore);
    expect((store as S3BlobStore).bucket).toBe('images');
    expect(() => createBlobStore({ BLOB_STORE: 's3', S3_BUCKET: 'No' })).toThrow('S3_BUCKET');
  });
});
