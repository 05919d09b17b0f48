import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { inspectImage } from '../header';
import { decodeHeicWithWasm, wasmHeapBytes } from './wasm';

// The WASM decoder runs inside this process, so a leak in libheif-js (a context or image not
// freed) would grow every service that decodes HEIC. The long run over every HEIC file of the
// corpus is in the benchmark (scripts/bench heic 50); this is the short one.

const MB = 1024 * 1024;

// RSS is read after a full garbage collection, so that decoded images still waiting to be
// collected do not pass for a leak (Jest runs node without --expose-gc).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function rssAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().rss;
}

it('decodes the same HEIC files over and over without growing the WASM heap or the process', async () => {
  const files = ['cameras/heic/samplefilehub.heif', 'cameras/heic/IMG_5195.HEIC'];
  const images = await Promise.all(
    files.map(async (file) => {
      const bytes = readFileSync(corpusPath(file));
      return { bytes, inspected: await inspectImage(bytes) };
    }),
  );
  const decodeAll = async (): Promise<void> => {
    for (const { bytes, inspected } of images) await decodeHeicWithWasm(bytes, inspected);
  };

  // The first decodes grow the WASM heap to its high-water mark (it never shrinks) and let
  // libvips and V8 settle; from then on, memory must stay level.
  for (let pass = 0; pass < 3; pass++) await decodeAll();
  const heapBefore = await wasmHeapBytes();

  // 10 passes: each decodes the 8.5 MP photo once and the small one 5 times.
  const rssAfterPass: number[] = [];
  const smallFile = images[0]!;
  for (let pass = 0; pass < 10; pass++) {
    await decodeAll();
    for (let repeat = 0; repeat < 4; repeat++) await decodeHeicWithWasm(smallFile.bytes, smallFile.inspected);
    rssAfterPass.push(rssAfterGc());
  }

  // Any leak inside libheif, even of a few kB per decode, would grow the heap.
  expect(await wasmHeapBytes()).toBe(heapBefore);
  // RSS swings by ±60 MB between passes even after a GC (glibc and libvips keep freed memory for
  // a while), so the floors of the two halves are compared: a leak of one decoded image per decode
  // (26 MB for the 8.5 MP photo) would raise the floor by 130 MB.
  const floor = (passes: number[]): number => Math.min(...passes) / MB;
  expect(floor(rssAfterPass.slice(5)) - floor(rssAfterPass.slice(0, 5))).toBeLessThan(64);
}, 120_000);
