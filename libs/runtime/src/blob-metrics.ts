import {
  BlobNotFoundError,
  type BlobStore,
  BlobTooLargeError,
  InvalidBlobKeyError,
} from '@aperture/blob-store';
import type { ServiceMetrics } from '@aperture/telemetry';

type Operation = Exclude<keyof BlobStore, 'open'> | 'open';

/**
 * The same blob store, counting its failures in `aperture_blob_store_errors_total{operation,kind}`.
 * A refusal of bad input (too large, invalid key) is the caller's answer, not a store error, so it
 * is not counted; a missing blob is counted as `not_found`, anything else as `failure`.
 */
export function instrumentBlobStore(
  store: BlobStore,
  metrics: Pick<ServiceMetrics, 'blobStoreErrors'>,
): BlobStore {
  const count = (operation: Operation, error: unknown): void => {
    if (error instanceof BlobTooLargeError || error instanceof InvalidBlobKeyError) return;
    metrics.blobStoreErrors.inc({
      operation,
      kind: error instanceof BlobNotFoundError ? 'not_found' : 'failure',
    });
  };
  const counted =
    <A extends unknown[], R>(operation: Operation, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (error) {
        count(operation, error);
        throw error;
      }
    };
  return {
    putContentAddressed: counted('putContentAddressed', (source, options) =>
      store.putContentAddressed(source, options),
    ),
    put: counted('put', (key: string, data: Buffer, contentType?: string) =>
      store.put(key, data, contentType),
    ),
    get: counted('get', (key: string) => store.get(key)),
    exists: counted('exists', (key: string) => store.exists(key)),
    delete: counted('delete', (key: string) => store.delete(key)),
    open: (key) => {
      let stream;
      try {
        stream = store.open(key);
      } catch (error) {
        count('open', error);
        throw error;
      }
      // `once` adds a listener but the stream's readers still get the error through their own.
      return stream.once('error', (error) => count('open', error));
    },
  };
}
