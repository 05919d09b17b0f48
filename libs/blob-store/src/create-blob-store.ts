import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BlobStore } from './blob-store';
import { LocalBlobStore } from './local-blob-store';

/**
 * The blob store the environment asks for. Today that is always the local filesystem:
 * `BLOB_STORE_DIR` (resolved against the working directory), else `<repo root>/.aperture/blobs`.
 * The directory is created if need be.
 */
export function createBlobStore(env: NodeJS.ProcessEnv = process.env): BlobStore {
  const dir = resolve(env['BLOB_STORE_DIR']?.trim() || join(repoRoot(), '.aperture', 'blobs'));
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
