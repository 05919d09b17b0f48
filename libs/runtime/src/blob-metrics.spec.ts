import { Readable } from 'node:stream';
import { BlobNotFoundError, type BlobStore, BlobTooLargeError } from '@aperture/blob-store';
import { instrumentBlobStore } from '@aperture/runtime';
import { createServiceMetrics } from '@aperture/telemetry';

/** A store whose calls fail the way the test says. */
function failingStore(): BlobStore {
  const unreachable = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9000'));
  return {
    putContentAddressed: () => Promise.reject(new BlobTooLargeError(10)),
    put: unreachable,
    get: (key) => Promise.reject(new BlobNotFoundError(key)),
    exists: () => Promise.resolve(true),
    delete: unreachable,
    open: () =>
      new Readable({
        read() {
          this.destroy(new Error('socket hang up'));
        },
      }),
  };
}

async function errorSeries(metrics: ReturnType<typeof createServiceMetrics>): Promise<string[]> {
  return (await metrics.registry.metrics())
    .split('\n')
    .filter((line) => line.startsWith('aperture_blob_store_errors_total{'))
    .sort();
}

describe('instrumentBlobStore', () => {
  it('counts store failures by operation and kind, passes results and errors through, ignores bad input', async () => {
    const metrics = createServiceMetrics('ingest');
    const store = instrumentBlobStore(failingStore(), metrics);

    await expect(store.exists('a/b')).resolves.toBe(true);
    await expect(store.put('a/b', Buffer.from('x'))).rejects.toThrow('ECONNREFUSED');
    await expect(store.delete('a/b')).rejects.toThrow('ECONNREFUSED');
    await expect(store.get('a/missing')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(
      store.putContentAddressed(Readable.from([Buffer.alloc(20)]), { prefix: 'raw', maxBytes: 10 }),
    ).rejects.toBeInstanceOf(BlobTooLargeError);
    const chunks: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of store.open('a/b')) chunks.push(chunk as Buffer);
      })(),
    ).rejects.toThrow('socket hang up');

    expect(await errorSeries(metrics)).toEqual([
      'aperture_blob_store_errors_total{operation="delete",kind="failure",service="ingest"} 1',
      'aperture_blob_store_errors_total{operation="get",kind="not_found",service="ingest"} 1',
      'aperture_blob_store_errors_total{operation="open",kind="failure",service="ingest"} 1',
      'aperture_blob_store_errors_total{operation="put",kind="failure",service="ingest"} 1',
    ]);
  });
});
