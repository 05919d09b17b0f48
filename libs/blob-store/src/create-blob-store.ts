import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { blobStoreSchema, loadConfig } from '@aperture/config';
import type { BlobStore } from './blob-store';
import { LocalBlobStore } from './local-blob-store';
import { S3BlobStore } from './s3-blob-store';

/**
 * The blob store the environment asks for (`blobStoreSchema` of @aperture/config; a bad value
 * throws a ConfigError naming it):
 * - `BLOB_STORE=s3`: the bucket `S3_BUCKET` (created if missing) at `S3_ENDPOINT` (unset: AWS)
 *   in `S3_REGION`, with `S3_ACCESS_KEY_ID` / `S3_SECRET_ACCESS_KEY` (unset: the SDK's chain);
 * - otherwise the local filesystem: `BLOB_STORE_DIR` (resolved against the working directory),
 *   else `<repo root>/.aperture/blobs`, created if need be.
 */
export function createBlobStore(env: NodeJS.ProcessEnv = process.env): BlobStore {
  const config = loadConfig(blobStoreSchema, env);
  if (config.BLOB_STORE === 's3') {
    const credentials =
      config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
        : undefined;
    return new S3BlobStore({
      bucket: config.S3_BUCKET,
      region: config.S3_REGION,
      ...(config.S3_ENDPOINT && { endpoint: config.S3_ENDPOINT }),
      ...(credentials && { credentials }),
      createBucket: true,
    });
  }
  const dir = resolve(config.BLOB_STORE_DIR || join(repoRoot(), '.aperture', 'blobs'));
  mkdirSync(dir, { recursive: true });
  return new LocalBlobStore(dir);
}

/**
 * The repository root: `libs/blob-store/src/../../..` when run from source. Compiled code sits one
 * level deeper (`dist/libs/blob-store/src`), so look upwards for `nx.json` first.
 */
function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
  }
  return resolve(__dirname, '../../..');
}
