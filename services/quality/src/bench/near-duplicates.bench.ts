// Near-duplicate search at scale (services/quality/docs/near-duplicates.md):
//  1. fingerprint cost per image on the corpus' camera JPEGs, against a floor: SHA-256 of the same
//     raster (the pixel hash the stage computes anyway);
//  2. MemoryDuplicateIndex lookup latency (checkAndAdd: search, then insert) at 10^5 and 10^6
//     indexed pictures of synthetic random fingerprints, half the lookups planted near copies of
//     indexed pictures, and the memory the index takes;
//  3. MongoDuplicateIndex lookup latency at 10^5 records, when MONGODB_URI is set.
//   scripts/bench near-duplicates [--sizes 100000,1000000] [--lookups 2000] [--mongo 100000] [--mongo-lookups 3]
// (--mongo 0 skips MongoDB. On FerretDB 1.24 every lookup scans the collection: ~2 min at 10^5.)
import { sharp } from '@aperture/imaging';
import { connectMongo, syncModelIndexes } from '@aperture/persistence';
import { corpusFiles } from '@aperture/testing';
import { createHash, randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  computeFingerprint,
  DEFAULT_NEAR_DUPLICATE_DISTANCE,
  MemoryDuplicateIndex,
  REGION_COUNT,
  REGION_SCALES,
  type DuplicateEntry,
  type Fingerprint,
  type GreyRaster,
} from '@aperture/image-quality';
import { fingerprintRecordModel, MongoDuplicateIndex, newRecord } from '../duplicates';

const MAX = DEFAULT_NEAR_DUPLICATE_DISTANCE;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

// ---- synthetic fingerprints: random hashes, as an index of unrelated pictures sees them ----

const randomWord = (): string =>
  Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
const randomHex = (): string => randomWord() + randomWord();
/** A stand-in for a SHA-256 pixel hash: 64 hex digits, so the index holds strings of the real size. */
const randomPixelHash = (): string => randomBytes(32).toString('hex');

/** Flips `bits` random bits of a hex hash: an edited copy's hash. */
function nudged(hex: string, bits: number): string {
  const value = BigInt(`0x${hex}`);
  let flipped = value;
  const positions = new Set<number>();
  while (positions.size < bits) positions.add(Math.floor(Math.random() * 64));
  for (const bit of positions) flipped ^= 1n << BigInt(bit);
  return flipped.toString(16).padStart(16, '0');
}

function storedPart(): Pick<Fingerprint, 'whole' | 'regions'> {
  return { whole: randomHex(), regions: Array.from({ length: REGION_COUNT }, randomHex) };
}

/** A full fingerprint (with probes) whose stored hashes are `stored`, each probe a nudged copy. */
function probingFingerprint(stored: Pick<Fingerprint, 'whole' | 'regions'>, bits: number): Fingerprint {
  const whole = stored.whole === null ? null : nudged(stored.whole, bits);
  return {
    whole,
    regions: stored.regions.map((hash) => nudged(hash, bits)),
    probes: {
      whole: whole === null ? [] : [whole],
      regions: REGION_SCALES.map((scale) =>
        stored.regions.map((hash) => [scale === 1 ? nudged(hash, bits) : randomHex()]),
      ),
    },
  };
}

// ---- 1. fingerprint cost ----

async function greyRaster(path: string): Promise<GreyRaster> {
  const { data, info } = await sharp(path, { failOn: 'error' })
    .rotate()
    .resize(512, 512, { fit: 'inside', withoutEnlargement: true })
    .greyscale()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height),
  };
}

async function fingerprintCost(): Promise<void> {
  const rasters: GreyRaster[] = [];
  for (const path of corpusFiles('cameras/jpg')) {
    const raster = await greyRaster(path).catch(() => undefined);
    if (raster && raster.width >= 16 && raster.height >= 16) rasters.push(raster);
  }
  const perImage = (run: (raster: GreyRaster) => unknown): number => {
    const started = performance.now();
    for (const raster of rasters) run(raster);
    return (performance.now() - started) / rasters.length;
  };
  const sha256 = (raster: GreyRaster) => createHash('sha256').update(raster.data).digest('hex');
  perImage(computeFingerprint); // warm-up: compiled code paths
  const rounds = Array.from({ length: 5 }, () => [perImage(sha256), perImage(computeFingerprint)] as const);
  const floor = [...rounds.map(([f]) => f)].sort((a, b) => a - b)[2]!;
  const fingerprint = [...rounds.map(([, f]) => f)].sort((a, b) => a - b)[2]!;
  const pixels = rasters.reduce((sum, r) => sum + r.width * r.height, 0) / rasters.length / 1e3;
  console.log(
    `\nfingerprint cost: ${rasters.length} corpus JPEGs as grey rasters (≤ 512 px, mean ${pixels.toFixed(0)} kpx), median of 5 rounds`,
  );
  console.log(`  floor: SHA-256 of the raster   ${floor.toFixed(3)} ms/image`);
  console.log(
    `  computeFingerprint             ${fingerprint.toFixed(3)} ms/image  (${(fingerprint / floor).toFixed(1)}× the floor)`,
  );
}

// ---- 2. the in-memory index ----

interface LatencyRow {
  store: string;
  indexed: number;
  p50: number;
  p99: number;
  found: string;
  memory: string;
}

async function memoryIndex(size: number, lookups: number): Promise<LatencyRow> {
  collectGarbage();
  const before = process.memoryUsage();
  const index = new MemoryDuplicateIndex();
  const kept: Array<Pick<Fingerprint, 'whole' | 'regions'>> = [];
  const loadStarted = performance.now();
  for (let n = 0; n < size; n++) {
    const fingerprint = storedPart();
    // Every 1000th picture is remembered to plant copies of it later.
    if (n % 1000 === 0) kept.push(fingerprint);
    index.restore({
      imageId: `img_${n}`,
      order: `a/${String(n).padStart(8, '0')}`,
      pixelHash: randomPixelHash(),
      fingerprint,
    });
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  collectGarbage();
  const after = process.memoryUsage();

  const queries: Array<{ entry: DuplicateEntry; planted: boolean }> = Array.from(
    { length: lookups },
    (_, q) => {
      const planted = q % 2 === 0;
      const fingerprint = planted
        ? probingFingerprint(kept[q % kept.length]!, 1 + (q % 5))
        : probingFingerprint(storedPart(), 0);
      return {
        entry: { imageId: `query_${q}`, order: `b/${q}`, pixelHash: randomPixelHash(), fingerprint },
        planted,
      };
    },
  );
  for (const { entry } of queries.slice(0, 50)) await index.find(entry, MAX); // warm-up: compiled code paths
  const latencies: number[] = [];
  let found = 0;
  let falseMatches = 0;
  for (const { entry, planted } of queries) {
    const started = performance.now();
    const match = index.checkAndAddNow(entry, MAX);
    latencies.push(performance.now() - started);
    if (planted && match) found++;
    if (!planted && match) falseMatches++;
  }
  latencies.sort((a, b) => a - b);
  const heap = after.heapUsed - before.heapUsed;
  const buffers = after.arrayBuffers - before.arrayBuffers;
  console.log(
    `  memory index, ${size.toLocaleString('en')} pictures: loaded in ${loadSeconds.toFixed(1)} s; heap +${mb(heap)}, typed arrays +${mb(buffers)}, RSS ${mb(after.rss)}; false matches among random lookups: ${falseMatches}`,
  );
  return {
    store: 'memory',
    indexed: size,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    found: `${found}/${Math.ceil(lookups / 2)}`,
    memory: `heap +${mb(heap)}, arrays +${mb(buffers)}, RSS ${mb(after.rss)}`,
  };
}

// ---- 3. the MongoDB index ----

async function mongoIndex(uri: string, size: number, lookups: number): Promise<LatencyRow> {
  const dbName = `bench_near_dups_${Date.now().toString(36)}`;
  const connection = await connectMongo({ uri, dbName });
  try {
    const records = fingerprintRecordModel(connection);
    await syncModelIndexes(connection);
    const scope = { tenantId: 'bench', projectId: 'p1' };
    const kept: Array<Pick<Fingerprint, 'whole' | 'regions'>> = [];
    const insertStarted = performance.now();
    for (let n = 0; n < size; n += 1000) {
      const batch = Array.from({ length: Math.min(1000, size - n) }, (_, i) => {
        const fingerprint = storedPart();
        if ((n + i) % 1000 === 0) kept.push(fingerprint);
        const entry = {
          imageId: `img_${n + i}`,
          order: `a/${String(n + i).padStart(8, '0')}`,
          pixelHash: randomPixelHash(),
          fingerprint,
        };
        return { ...newRecord(scope, entry), verdict: { kind: 'unique' } };
      });
      await records.insertMany(batch, { ordered: false, lean: true });
    }
    const insertSeconds = (performance.now() - insertStarted) / 1000;
    // FerretDB says in its explain output whether it pushed the filter down to its backend.
    const explain: unknown = await records.find({ ...scope, bandKeys: { $in: [1, 2] } }).explain();
    const plan = explain as Record<string, unknown>;
    const pushdown =
      'filterPushdown' in plan ? `FerretDB filterPushdown=${String(plan['filterPushdown'])}` : 'MongoDB';
    console.log(
      `  MongoDB index, ${size.toLocaleString('en')} records: inserted in ${insertSeconds.toFixed(1)} s (${pushdown})`,
    );

    const index = new MongoDuplicateIndex(connection, scope);
    const latencies: number[] = [];
    let found = 0;
    for (let q = 0; q < lookups; q++) {
      const planted = q % 2 === 0;
      const fingerprint = planted
        ? probingFingerprint(kept[q % kept.length]!, 1 + (q % 5))
        : probingFingerprint(storedPart(), 0);
      const started = performance.now();
      const match = await index.find(
        { imageId: `query_${q}`, order: `b/${q}`, pixelHash: randomPixelHash(), fingerprint },
        MAX,
      );
      latencies.push(performance.now() - started);
      if (planted && match) found++;
      console.log(
        `    lookup ${q + 1}/${lookups}: ${(latencies.at(-1)! / 1000).toFixed(1)} s${planted ? `, planted copy ${match ? 'found' : 'missed'}` : ''}`,
      );
    }
    latencies.sort((a, b) => a - b);
    return {
      store: 'MongoDB',
      indexed: size,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      found: `${found}/${Math.ceil(lookups / 2)}`,
      memory: '-',
    };
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  }
}

async function main(): Promise<void> {
  const sizes = option('sizes', '100000,1000000').split(',').map(Number);
  const lookups = Number(option('lookups', '2000'));
  const mongoSize = Number(option('mongo', '100000'));
  const mongoLookups = Number(option('mongo-lookups', '3'));

  await fingerprintCost();

  console.log(
    `\nlookups at maximum distance ${MAX}: half of them planted copies (1-5 bits flipped per hash) of indexed pictures`,
  );
  const rows: LatencyRow[] = [];
  for (const size of sizes) rows.push(await memoryIndex(size, lookups));
  const uri = process.env['MONGODB_URI'];
  if (!uri)
    console.log('  MongoDB index: skipped (MONGODB_URI is not set; `eval "$(scripts/infra env)"` sets it)');
  else if (mongoSize > 0) rows.push(await mongoIndex(uri, mongoSize, mongoLookups));

  console.log(`\n| store | indexed pictures | lookups | p50 | p99 | planted copies found | memory |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const count = row.store === 'memory' ? lookups : mongoLookups;
    console.log(
      `| ${row.store} | ${row.indexed.toLocaleString('en')} | ${count} | ${row.p50.toFixed(2)} ms | ${row.p99.toFixed(2)} ms | ${row.found} | ${row.memory} |`,
    );
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
