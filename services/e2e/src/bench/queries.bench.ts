// scripts/bench queries [--images N] [--runs R] [--before-runs B]: the reads a client and the
// console make of a big batch, against ingest running as a process on the local Kafka and FerretDB.
// The batch's image records are SEEDED straight into the database (~12 KB settled records: stage
// results and five outbox events each), and the status events their moves would have published
// (an upload and a final move per image, built by the records' own statusEvent) are produced to the
// status topic: ingest's own tally consumer counts them, and the time it takes is reported.
// Measured: GET /v1/batches/{id} (goal p95 < 50 ms at 10,000 images), the first and second pages of
// its image list (goal < 100 ms) and of its rejected images, and, for comparison, the queries the
// service ran before the tallies (a count per status and the reasons' aggregation; the list's
// find-sort-limit), run directly on the same data.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipelineTopics } from '@aperture/contracts';
import { createKafka, createProducer, ensureTopics } from '@aperture/messaging';
import {
  imageRecordModel,
  type ImageRecord,
  type ImageStatus,
  initialRecord,
  listKeyOf,
  type RecordState,
  statusEvent,
} from '@aperture/persistence';
import { freePort, testInfraEnv, waitFor } from '@aperture/testing';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import {
  processCpuSeconds,
  processGroupCpuSeconds,
  repoRoot,
  startService,
  stopService,
  waitReady,
} from '../processes';
import { option, percentile } from './args';

const ADMIN_TOKEN = 'bench-admin-token';
const REASONS = ['blurry', 'too_small', 'near_duplicate', 'underexposed', 'corrupt'];
const STAGES = ['quality', 'standardize', 'compliance'];

/** CPU seconds so far of ingest, FerretDB and PostgreSQL (all its backends), from scripts/infra's pid files. */
function serverCpu(ingestPid: number): number {
  const home = process.env['APERTURE_HOME'] || path.join(repoRoot, '.aperture');
  let total = processCpuSeconds(ingestPid);
  for (const server of ['ferretdb', 'postgres']) {
    try {
      total += processGroupCpuSeconds(
        Number(fs.readFileSync(path.join(home, 'run', `${server}.pid`), 'utf8')),
      );
    } catch {
      // not started by scripts/infra: not counted
    }
  }
  return total;
}

interface Series {
  ms: number[];
  /** CPU of ingest + FerretDB + PostgreSQL per request (ms): what the load of the machine does not change. */
  cpuMs: number;
}

const fixed = (n: number) => n.toFixed(1).padStart(7);
const summary = (label: string, { ms, cpuMs }: Series, goal?: number) =>
  `${label.padEnd(46)} CPU ${fixed(cpuMs)} ms   p50 ${fixed(percentile(ms, 50))} ms   p95 ${fixed(percentile(ms, 95))} ms   ` +
  `max ${fixed(Math.max(...ms))} ms  (${ms.length} runs)` +
  (goal === undefined ? '' : `   goal p95 < ${goal} ms: ${percentile(ms, 95) < goal ? 'met' : 'NOT met'}`);

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** An image id as ingest makes them (time-ordered: 9 base-36 characters of ms, 12 random). */
function imageId(ms: number): string {
  const random = Array.from(
    randomBytes(12),
    (byte) => '0123456789abcdefghijklmnopqrstuvwxyz'[byte % 36],
  ).join('');
  return `img_${ms.toString(36).padStart(9, '0')}${random}`;
}

/** Where a seeded image ends: mostly curated, some rejected, a few still moving. */
function finalState(i: number): RecordState {
  const r = i % 100;
  if (r < 84) return { status: 'curated', stage: 'annotation', reasons: [] };
  if (r < 96) {
    const code = REASONS[i % REASONS.length]!;
    return {
      status: 'rejected',
      stage: 'quality',
      reasons: [{ code, message: `${code}: below the threshold` }],
    };
  }
  if (r < 98) return { status: 'pending_annotation', stage: 'annotation', reasons: [] };
  return { status: 'processing', stage: STAGES[i % 3]!, reasons: [] };
}

/** A settled record of about 12 KB, like the pipeline's: stage results and five outbox events. */
function seededRecord(
  id: string,
  scope: { tenantId: string; projectId: string; batchId: string },
  at: Date,
  state: RecordState,
): ImageRecord {
  const event = () => ({
    id: randomBytes(16).toString('hex'),
    topic: 'aperture.image.x.v1',
    key: id,
    payload: randomBytes(1600),
    headers: { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` },
    createdAt: at,
  });
  const base = initialRecord(
    {
      _id: id,
      ...scope,
      filename: `IMG_${id.slice(-6)}.jpg`,
      raw: {
        key: `raw/sha256/${randomBytes(32).toString('hex')}`,
        contentType: 'image/jpeg',
        sizeBytes: 2_400_000,
        sha256: randomBytes(32).toString('hex'),
      },
      declarations: { region: 'EU', consentIds: [] },
      receivedAt: at,
    },
    [event(), event(), event(), event(), event()],
  );
  const metrics = Object.fromEntries(
    ['blur', 'brightnessP50', 'brightnessP99', 'clipped', 'contrast', 'entropy', 'colourfulness'].map((k) => [
      k,
      Math.random(),
    ]),
  );
  const operations = [
    'decode',
    'auto-orient',
    'icc-transform',
    'resize',
    'strip-metadata',
    'encode',
    'thumbnail',
  ];
  return {
    ...base,
    ...state,
    stages: {
      quality: {
        width: 4032,
        height: 3024,
        metrics,
        fingerprint: randomBytes(8).toString('hex'),
        sha256: randomBytes(32).toString('hex'),
      },
      standardize: {
        width: 1024,
        height: 768,
        operations: operations.map((name) => ({
          name,
          params: { width: '1024', height: '768', format: 'jpeg', quality: '85' },
        })),
      },
    },
    listKey: listKeyOf(scope.batchId, id),
    version: 5,
  };
}

async function main(): Promise<void> {
  const images = Number(option('images', '10000'));
  const runs = Number(option('runs', '40'));
  const { kafkaBrokers, mongoUri } = testInfraEnv();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-bench-queries-'));
  const run = `bench_queries_${Date.now().toString(36)}`;
  const db = new URL(mongoUri);
  db.pathname = `/${run}`;
  const ports = [await freePort(), await freePort()];
  const ingest = startService(
    'ingest',
    {
      ...process.env,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      MONGODB_URI: db.toString(),
      BLOB_STORE_DIR: path.join(workDir, 'blobs'),
      HTTP_PORT: String(ports[0]),
      GRPC_PORT: String(ports[1]),
      ADMIN_TOKEN,
      KAFKA_GROUP_ID: run,
      LOG_LEVEL: 'warn',
    },
    workDir,
    ports[0]!,
  );
  const connection = await mongoose.createConnection(db.toString()).asPromise();
  const kafka = createKafka({ clientId: 'bench-queries', brokers: kafkaBrokers, log: () => undefined });
  const producer = createProducer(kafka);
  try {
    await waitReady(ingest);
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, pipelineTopics());
    await admin.disconnect();
    const api = `http://127.0.0.1:${ports[0]}`;
    const call = async <T>(method: string, url: string, headers: Record<string, string>, body?: unknown) => {
      const response = await fetch(`${api}${url}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    const { apiKey, tenantId } = await call<{ apiKey: string; tenantId: string }>(
      'POST',
      '/v1/tenants',
      { 'x-admin-token': ADMIN_TOKEN },
      { name: 'bench' },
    );
    const key = { 'x-api-key': apiKey };
    const { projectId } = await call<{ projectId: string }>('POST', '/v1/projects', key, { name: 'bench' });
    const { batchId } = await call<{ batchId: string }>('POST', '/v1/batches', key, { projectId });
    const scope = { tenantId, projectId, batchId };

    // Seed the records, and publish the status events of their moves (upload, then final state).
    const started = performance.now();
    const t0 = Date.now() - images * 20; // uploads 20 ms apart: 50 per second
    const chunk: ImageRecord[] = [];
    const events: Array<{ topic: string; key: string; value: Buffer | null }> = [];
    const collection = imageRecordModel(connection).collection;
    const uploaded: RecordState = { status: 'processing', stage: 'ingest', reasons: [] };
    const expected: Partial<Record<ImageStatus, number>> = {};
    for (let i = 0; i < images; i++) {
      const id = imageId(t0 + i * 20);
      const state = finalState(i);
      expected[state.status] = (expected[state.status] ?? 0) + 1;
      chunk.push(seededRecord(id, scope, new Date(t0 + i * 20), state));
      for (const event of [
        statusEvent(chunk.at(-1)!, null, uploaded),
        statusEvent(chunk.at(-1)!, uploaded, state),
      ])
        events.push({ topic: event.topic, key: event.key, value: event.payload });
      if (chunk.length === 500 || i === images - 1) {
        await collection.insertMany(chunk.splice(0) as never[], { ordered: false });
      }
    }
    const seedSeconds = (performance.now() - started) / 1000;
    const sample = await collection.findOne({});
    console.log(
      `seeded ${images} image records (${(JSON.stringify(sample).length / 1024).toFixed(1)} KB each as JSON) in ${seedSeconds.toFixed(1)} s`,
    );
    const published = performance.now();
    for (let i = 0; i < events.length; i += 1000) {
      const slice = events.slice(i, i + 1000);
      await producer.send({
        topic: slice[0]!.topic,
        messages: slice.map(({ key, value }) => ({ key, value })),
      });
    }
    const batchView = () =>
      call<{ counts: { uploaded: number; curated: number; processing: number } }>(
        'GET',
        `/v1/batches/${batchId}`,
        key,
      );
    await waitFor(
      'the tallies to count every status event',
      async () => {
        const { counts } = await batchView();
        return counts.uploaded === images && counts.curated === (expected.curated ?? 0);
      },
      3_600_000,
    );
    const tallySeconds = (performance.now() - published) / 1000;
    console.log(
      `ingest's tally consumer counted ${events.length} status events in ${tallySeconds.toFixed(1)} s ` +
        `(${(events.length / tallySeconds).toFixed(0)} events/s; load average ${loadAverage()})`,
    );

    const time = async (fn: () => Promise<unknown>, n: number, warmUp = 3): Promise<Series> => {
      for (let i = 0; i < warmUp; i++) await fn();
      const ms: number[] = [];
      const cpuBefore = serverCpu(ingest.child.pid!);
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        await fn();
        ms.push(performance.now() - start);
      }
      return { ms, cpuMs: ((serverCpu(ingest.child.pid!) - cpuBefore) * 1000) / n };
    };
    const batch = await batchView();
    console.log(`GET /v1/batches/${batchId} counts: ${JSON.stringify(batch.counts)}`);
    console.log(`expected by status: ${JSON.stringify(expected)}`);
    console.log(
      `\n${images} images in the batch; ${new Date().toISOString()}; load average ${loadAverage()}`,
    );
    const show = (label: string, series: Series, goal?: number) => console.log(summary(label, series, goal));
    show('GET /v1/batches/{id}', await time(batchView, runs), 50);
    const page = await call<{ nextCursor: string }>('GET', `/v1/batches/${batchId}/images`, key);
    show(
      'GET /v1/batches/{id}/images (first page, 50)',
      await time(() => call('GET', `/v1/batches/${batchId}/images`, key), runs),
      100,
    );
    show(
      '  ... second page (by cursor)',
      await time(() => call('GET', `/v1/batches/${batchId}/images?cursor=${page.nextCursor}`, key), runs),
      100,
    );
    show(
      '  ... ?status=rejected (first page)',
      await time(() => call('GET', `/v1/batches/${batchId}/images?status=rejected`, key), runs),
    );
    // What the service ran before the tallies, on the same data (each run reads the whole batch).
    const model = imageRecordModel(connection);
    const filter = { tenantId, batchId };
    const statuses: ImageStatus[] = ['processing', 'pending_annotation', 'curated', 'rejected', 'erased'];
    const before = Number(option('before-runs', '1'));
    if (before > 0) {
      show(
        'before: the counts (6 countDocuments + reasons)',
        await time(
          () =>
            Promise.all([
              model.countDocuments(filter).exec(),
              ...statuses.map((status) => model.countDocuments({ ...filter, status }).exec()),
              model
                .aggregate([
                  { $match: { ...filter, status: 'rejected' } },
                  { $unwind: '$reasons' },
                  { $group: { _id: '$reasons.code', count: { $sum: 1 } } },
                ])
                .exec(),
            ]),
          before,
          0,
        ),
      );
      show(
        'before: the first page (find, sort, limit 51)',
        await time(
          () => model.find(filter, { outbox: 0 }).sort({ _id: 1 }).limit(51).lean().exec(),
          before,
          0,
        ),
      );
    }
    console.log(`load average at the end ${loadAverage()}`);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
    await stopService(ingest);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
