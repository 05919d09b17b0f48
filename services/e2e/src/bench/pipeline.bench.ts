// scripts/bench-pipeline [--images N] [--concurrency C]: images per second through the running
// pipeline (five services as processes on the local Kafka and FerretDB), latency from upload to
// terminal state, and, in the same run, the floor: the same images through the same stage
// functions called in sequence in one process, with no broker, database or network. The ratio is
// what the distribution costs. Then where the time went: each service's handler time and CPU (from
// its /metrics) and the broker's and the database's CPU.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commonV1, curatedV1, Topics } from '@aperture/contracts';
import { assessImage } from '@aperture/image-quality';
import { createKafka } from '@aperture/messaging';
import { resolvePolicy } from '@aperture/persistence';
import { clearMetadata, standardizeImage } from '@aperture/standardization';
import { corpusPath, freePort, testInfraEnv, waitFor } from '@aperture/testing';
import { CAMERA_PHOTOS, withJpegComment } from '../photos';
import { parseMetrics, seriesOf, sumOf } from '../metrics-text';
import { type ServiceProcess, startService, stopService, waitReady } from '../processes';

const SERVICES = ['ingest', 'quality', 'standardize', 'compliance', 'annotation-router'] as const;
const ADMIN_TOKEN = 'bench-admin-token';
// Duplicate checks off on both sides: every copy then travels every stage (copies of a few photos
// would otherwise stop at quality as duplicates), and the floor's in-memory index would not be
// comparable with the shared one in the database.
const POLICY = { quality: { rejectDuplicates: false, rejectNearDuplicates: false } };

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

async function main(): Promise<void> {
  const count = option('images', 500);
  const concurrency = option('concurrency', 4);
  const sources = CAMERA_PHOTOS.map((file) => fs.readFileSync(path.join(corpusPath(), file)));
  const images = Array.from({ length: count }, (_, index) =>
    withJpegComment(sources[index % sources.length]!, `bench ${Date.now()} ${index}`),
  );
  console.log(
    `${count} images (${CAMERA_PHOTOS.length} camera photos with distinct bytes), ${os.cpus().length} cores`,
  );

  const floor = await measureFloor(images);
  console.log(
    `floor (stage functions in sequence, one process): ${floor.imagesPerSecond.toFixed(2)} images/s ` +
      `(quality ${floor.msPerImage.quality.toFixed(0)} ms, standardize ${floor.msPerImage.standardize.toFixed(0)} ms, ` +
      `compliance ${floor.msPerImage.compliance.toFixed(0)} ms per image)`,
  );
  const pipeline = await measurePipeline(images, concurrency);
  const ratio = pipeline.imagesPerSecond / floor.imagesPerSecond;
  console.log(
    `pipeline (five services, Kafka, FerretDB, local blob store): ${pipeline.imagesPerSecond.toFixed(2)} images/s; ` +
      `upload→terminal p50 ${pipeline.p50.toFixed(2)} s, p95 ${pipeline.p95.toFixed(2)} s, p99 ${pipeline.p99.toFixed(2)} s`,
  );
  console.log(`ratio pipeline/floor: ${ratio.toFixed(2)} (goal ≥ 0.70)`);
  console.log('where the time went (per image):');
  for (const line of pipeline.profile) console.log(`  ${line}`);
  console.log('database commands per image, by service (command monitoring: aperture_db_commands_total):');
  for (const line of pipeline.dbCommands) console.log(`  ${line}`);
  console.log(JSON.stringify({ count, floor, pipeline, ratio }));
}

interface Floor {
  imagesPerSecond: number;
  msPerImage: { quality: number; standardize: number; compliance: number };
}

async function measureFloor(images: Buffer[]): Promise<Floor> {
  const { policy, errors } = resolvePolicy(POLICY);
  if (errors.length > 0) throw new Error(`bad bench policy: ${JSON.stringify(errors)}`);
  const spent = { quality: 0, standardize: 0, compliance: 0 };
  const timed = async <T>(stage: keyof typeof spent, work: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      spent[stage] += Number(process.hrtime.bigint() - start) / 1e6;
    }
  };
  const started = process.hrtime.bigint();
  for (const bytes of images) {
    const assessment = await timed('quality', () => assessImage(bytes, policy.quality));
    if (!assessment.accepted) continue;
    const standardized = await timed('standardize', () => standardizeImage(bytes, policy.standardize));
    await timed('compliance', () => clearMetadata(standardized.bytes, bytes, policy.standardize.quality));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    imagesPerSecond: images.length / seconds,
    msPerImage: {
      quality: spent.quality / images.length,
      standardize: spent.standardize / images.length,
      compliance: spent.compliance / images.length,
    },
  };
}

interface Pipeline {
  imagesPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  profile: string[];
  dbCommands: string[];
}

async function measurePipeline(images: Buffer[], concurrency: number): Promise<Pipeline> {
  const { kafkaBrokers, mongoUri } = testInfraEnv();
  const run = `bench_${Date.now().toString(36)}`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-bench-pipeline-'));
  const database = new URL(mongoUri);
  database.pathname = `/${run}`;
  const running: ServiceProcess[] = [];
  const cpuBefore = infraCpuSeconds();
  try {
    for (const name of SERVICES) {
      const httpPort = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        MONGODB_URI: database.toString(),
        BLOB_STORE: 'local',
        BLOB_STORE_DIR: path.join(workDir, 'blobs'),
        HTTP_PORT: String(httpPort),
        GRPC_PORT: String(await freePort()),
        KAFKA_GROUP_ID: `${name}-${run}`,
        ADMIN_TOKEN,
        LOG_LEVEL: 'warn',
        OTEL_SDK_DISABLED: 'true',
      };
      running.push(startService(name, env, workDir, httpPort));
    }
    await Promise.all(running.map((service) => waitReady(service, 180_000)));
    const api = `http://127.0.0.1:${running[0]!.httpPort}`;
    const call = async <T>(url: string, body: unknown, apiKey?: string): Promise<T> => {
      const response = await fetch(`${api}${url}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(apiKey ? { 'x-api-key': apiKey } : { 'x-admin-token': ADMIN_TOKEN }),
        },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    const { apiKey } = await call<{ apiKey: string }>('/v1/tenants', { name: run });
    const { projectId } = await call<{ projectId: string }>(
      '/v1/projects',
      { name: run, policy: POLICY },
      apiKey,
    );
    const { batchId } = await call<{ batchId: string }>('/v1/batches', { projectId }, apiKey);

    // Terminal events of this batch, as a downstream consumer sees them.
    const finishedAt = new Map<string, number>();
    const kafka = createKafka({ clientId: `bench-${run}`, brokers: kafkaBrokers, log: () => undefined });
    const consumer = kafka.consumer({ groupId: `bench-reader-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.imageCurated, Topics.imageRejected], fromBeginning: false });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    await consumer.run({
      eachMessage: ({ topic, message }) => {
        // A tombstone (an erased image on the compacted curated topic) is no outcome.
        if (!message.value) return Promise.resolve();
        const image =
          topic === Topics.imageCurated
            ? curatedV1.ImageCurated.decode(message.value).image
            : commonV1.ImageRejected.decode(message.value).image;
        if (image?.batchId === batchId && !finishedAt.has(image.imageId))
          finishedAt.set(image.imageId, Date.now());
        return Promise.resolve();
      },
    });
    await waitFor('the reader to join its group', () => joined, 60_000);
    const metricsBefore = await scrape(running);

    const startedAt = new Map<string, number>();
    let next = 0;
    const first = Date.now();
    const uploader = async () => {
      while (next < images.length) {
        const index = next++;
        const form = new FormData();
        form.append(
          'file',
          new Blob([new Uint8Array(images[index]!)], { type: 'image/jpeg' }),
          `bench-${index}.jpg`,
        );
        const start = Date.now();
        const response = await fetch(`${api}/v1/batches/${batchId}/images`, {
          method: 'POST',
          headers: { 'x-api-key': apiKey },
          body: form,
        });
        if (response.status !== 201)
          throw new Error(`upload ${index}: ${response.status} ${await response.text()}`);
        const { images: accepted } = (await response.json()) as { images: Array<{ imageId: string }> };
        startedAt.set(accepted[0]!.imageId, start);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, uploader));
    await waitFor(`${images.length} terminal events`, () => finishedAt.size >= images.length, 3_600_000);
    const last = Math.max(...finishedAt.values());
    await consumer.disconnect();

    const latencies = [...startedAt].map(([id, start]) => ((finishedAt.get(id) ?? last) - start) / 1000);
    latencies.sort((a, b) => a - b);
    const quantile = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;

    const metricsAfter = await scrape(running);
    const cpuAfter = infraCpuSeconds();
    const delta = (name: string, labels: Record<string, string>) =>
      sumOf(metricsAfter, name, labels) - sumOf(metricsBefore, name, labels);
    const profile = SERVICES.map((service) => {
      const cpu = delta('process_cpu_seconds_total', { service });
      const handled = delta('aperture_stage_duration_seconds_count', { service });
      const handlerSeconds = delta('aperture_stage_duration_seconds_sum', { service });
      return (
        `${service.padEnd(17)} CPU ${((cpu * 1000) / images.length).toFixed(0).padStart(4)} ms` +
        (handled > 0 ? `, handler ${((handlerSeconds * 1000) / handled).toFixed(0).padStart(4)} ms wall` : '')
      );
    });
    const dbCommands = SERVICES.map((service) => {
      const moved = new Map<string, number>();
      for (const sample of seriesOf(metricsAfter, 'aperture_db_commands_total', { service })) {
        const before = seriesOf(metricsBefore, 'aperture_db_commands_total', sample.labels)[0]?.value ?? 0;
        const key = `${sample.labels['command']} ${sample.labels['collection']}`.trim();
        moved.set(key, (moved.get(key) ?? 0) + sample.value - before);
      }
      const total = [...moved.values()].reduce((sum, count) => sum + count, 0);
      const parts = [...moved]
        .filter(([, count]) => count > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([key, count]) => `${key} ${(count / images.length).toFixed(2)}`);
      return `${service.padEnd(17)} ${(total / images.length).toFixed(2).padStart(6)}  (${parts.join(', ')})`;
    });
    for (const server of ['kafka', 'ferretdb'] as const) {
      const seconds = (cpuAfter[server] ?? 0) - (cpuBefore[server] ?? 0);
      profile.push(
        `${server.padEnd(17)} CPU ${((seconds * 1000) / images.length).toFixed(0).padStart(4)} ms`,
      );
    }
    return {
      imagesPerSecond: images.length / ((last - first) / 1000),
      p50: quantile(0.5),
      p95: quantile(0.95),
      p99: quantile(0.99),
      profile,
      dbCommands,
    };
  } finally {
    await Promise.all(running.map((service) => stopService(service).catch(() => null)));
  }
}

async function scrape(services: ServiceProcess[]) {
  const pages = await Promise.all(
    services.map(async (service) => (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text()),
  );
  return pages.flatMap(parseMetrics);
}

/** CPU seconds used so far by the local broker and database (scripts/infra's pid files). */
function infraCpuSeconds(): Partial<Record<'kafka' | 'ferretdb', number>> {
  const home = process.env['APERTURE_HOME'] || path.resolve(__dirname, '../../../../../.aperture');
  const ticks = 100; // USER_HZ on Linux
  const result: Partial<Record<'kafka' | 'ferretdb', number>> = {};
  for (const server of ['kafka', 'ferretdb'] as const) {
    try {
      const pid = fs.readFileSync(path.join(home, 'run', `${server}.pid`), 'utf8').trim();
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime and stime are fields 14 and 15 of /proc/PID/stat (11 and 12 after the command name).
      result[server] = (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // Not started by scripts/infra (KAFKA_BROKERS / MONGODB_URI point elsewhere): not profiled.
    }
  }
  return result;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
