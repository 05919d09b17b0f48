// scripts/bench-pipeline [--images N] [--concurrency C] [--cpu-profile DIR]: in one run, on a realistic mix (every
// camera JPEG of the corpus plus its 8-12 MP phone photos, JPEG and HEIC, each made distinct),
//  - the floor: the quality, standardize and compliance stage functions (face and plate detection
//    and redaction included, floor.ts) run in one process on bytes in memory, C images at a time;
//  - the pipeline: the five services as processes on the local Kafka, FerretDB and PostgreSQL,
//    C uploads at a time, until every image has its terminal event;
// then the cost of distribution: all CPU the pipeline's processes spent per image (every service,
// Kafka, FerretDB, PostgreSQL with its backends, read from /proc) minus the floor's CPU per image;
// images/s of both and their ratio; upload-to-terminal latency; CPU per image of each process; and
// the database commands per image of each stage (the driver's command monitoring).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commonV1, curatedV1, Topics } from '@aperture/contracts';
import { createKafka } from '@aperture/messaging';
import { resolvePolicy } from '@aperture/policy';
import { corpusPath, freePort, testInfraEnv, waitFor } from '@aperture/testing';
import { cameraJpegs, PHONE_PHOTOS, withDistinctBytes } from '../photos';
import { parseMetrics, seriesOf, sumOf } from '../metrics-text';
import { type ServiceProcess, startService, stopService, waitReady } from '../processes';
import { treeCpuSeconds } from '../proc-cpu';
import { type FloorOutcome, StageFunctions, type StageMilliseconds } from './floor';

const SERVICES = ['ingest', 'quality', 'standardize', 'compliance', 'annotation-router'] as const;
/** The servers scripts/infra starts (pid files under .aperture/run), whose CPU the pipeline spends. */
const SERVERS = ['kafka', 'ferretdb', 'postgres'] as const;
const ADMIN_TOKEN = 'bench-admin-token';
// Duplicate checks off on both sides: every copy then travels every stage (copies of a few photos
// would otherwise stop at quality as duplicates), and the floor's in-memory index would not be
// comparable with the shared one in the database.
const POLICY = { quality: { rejectDuplicates: false, rejectNearDuplicates: false } };
/** The issue's goal: what distribution may cost per image, in CPU milliseconds. */
const GOAL_MS_PER_IMAGE = 150;
/** How long the idle processes are measured before the uploads. */
const IDLE_SECONDS = 15;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

function stringOption(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : path.resolve(process.argv[index + 1] ?? '.');
}

interface BenchImage {
  bytes: Buffer;
  filename: string;
}

async function main(): Promise<void> {
  const corpus = corpusPath();
  // In an order fixed by their names' hashes, so that the first N of them are a mix too.
  const files = [...new Set([...cameraJpegs(corpus), ...PHONE_PHOTOS])].sort((a, b) =>
    sha256(a).localeCompare(sha256(b)),
  );
  const count = option('images', files.length);
  const concurrency = option('concurrency', 2);
  const sources = files.map((file) => fs.readFileSync(path.join(corpus, file)));
  const stamp = Date.now();
  const images: BenchImage[] = Array.from({ length: count }, (_, index) => ({
    bytes: withDistinctBytes(sources[index % sources.length]!, `bench ${stamp} ${index}`),
    filename: `bench-${index}${path.extname(files[index % files.length]!).toLowerCase()}`,
  }));
  const megabytes = images.reduce((sum, image) => sum + image.bytes.length, 0) / 2 ** 20;
  console.log(
    `${count} images, ${megabytes.toFixed(1)} MiB (cycling through ${files.length} corpus files: ` +
      `every camera JPEG and ${PHONE_PHOTOS.length} phone photos of 8-12 MP), concurrency ${concurrency}, ` +
      `${os.cpus().length} cores, load average ${loadAverage()}`,
  );

  const floor = await measureFloor(images, concurrency);
  console.log(
    `floor (stage functions in one process): ${floor.imagesPerSecond.toFixed(2)} images/s, ` +
      `CPU ${floor.cpuMsPerImage.toFixed(0)} ms per image (wall per image: quality ${floor.msPerImage.quality.toFixed(0)} ms, ` +
      `standardize ${floor.msPerImage.standardize.toFixed(0)} ms, compliance ${floor.msPerImage.compliance.toFixed(0)} ms); ` +
      `outcomes ${describe(floor.outcomes)}; load average ${loadAverage()}`,
  );
  const pipeline = await measurePipeline(images, concurrency, stringOption('cpu-profile'));
  const ratio = pipeline.imagesPerSecond / floor.imagesPerSecond;
  const distributionMs = pipeline.cpuMsPerImage - floor.cpuMsPerImage;
  console.log(
    `pipeline (five services, Kafka, FerretDB on PostgreSQL, local blob store): ${pipeline.imagesPerSecond.toFixed(2)} images/s; ` +
      `upload→terminal p50 ${pipeline.p50.toFixed(2)} s, p95 ${pipeline.p95.toFixed(2)} s, p99 ${pipeline.p99.toFixed(2)} s; ` +
      `outcomes ${describe(pipeline.outcomes)}; load average ${loadAverage()}`,
  );
  console.log(`ratio pipeline/floor (images/s): ${ratio.toFixed(2)}`);
  console.log(
    `cost of distribution: ${pipeline.cpuMsPerImage.toFixed(0)} ms CPU per image in the pipeline's processes - ` +
      `${floor.cpuMsPerImage.toFixed(0)} ms in the floor = ${distributionMs.toFixed(0)} ms per image ` +
      `(goal ≤ ${GOAL_MS_PER_IMAGE} ms)`,
  );
  console.log(
    `  of which idle: ${pipeline.idleMsPerImage.toFixed(0)} ms per image (the processes' CPU rate with nothing to do, ` +
      `times the run's duration, over the images: it shrinks as throughput grows)`,
  );
  console.log('CPU per image of each process (/proc/PID/stat, with its children), and its idle rate:');
  for (const [name, ms] of Object.entries(pipeline.cpuMsByProcess))
    console.log(
      `  ${name.padEnd(17)} ${ms.toFixed(0).padStart(5)} ms   idle ${pipeline.idleMsPerSecond[name]!.toFixed(1).padStart(5)} ms/s`,
    );
  console.log('handler wall time per handled message (aperture_stage_duration_seconds):');
  for (const line of pipeline.handlers) console.log(`  ${line}`);
  console.log('database commands per image, by service (command monitoring: aperture_db_commands_total):');
  for (const line of pipeline.dbCommands) console.log(`  ${line}`);
  console.log(JSON.stringify({ count, concurrency, floor, pipeline, ratio, distributionMs }));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
}

function describe(outcomes: Record<string, number>): string {
  return Object.entries(outcomes)
    .sort()
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(', ');
}

interface Floor {
  imagesPerSecond: number;
  cpuMsPerImage: number;
  msPerImage: StageMilliseconds;
  outcomes: Partial<Record<FloorOutcome, number>>;
}

async function measureFloor(images: BenchImage[], concurrency: number): Promise<Floor> {
  const { policy, errors } = resolvePolicy(POLICY);
  if (errors.length > 0) throw new Error(`bad bench policy: ${JSON.stringify(errors)}`);
  const stages = new StageFunctions(policy);
  await stages.ready();
  const outcomes: Floor['outcomes'] = {};
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < images.length) {
      const image = images[next++]!;
      // What ingest computes on an upload besides streaming it: its checksum.
      createHash('sha256').update(image.bytes).digest();
      const outcome = await stages.run(image.bytes);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // The whole process: this thread, libvips' threads and the detector's worker threads.
  const cpu = process.cpuUsage(cpuBefore);
  await stages.close();
  const perImage = (ms: number) => ms / images.length;
  return {
    imagesPerSecond: images.length / seconds,
    cpuMsPerImage: perImage((cpu.user + cpu.system) / 1000),
    msPerImage: {
      quality: perImage(stages.spent.quality),
      standardize: perImage(stages.spent.standardize),
      compliance: perImage(stages.spent.compliance),
    },
    outcomes,
  };
}

interface Pipeline {
  imagesPerSecond: number;
  /** Each process's CPU ms per second with nothing to do, measured just before the uploads. */
  idleMsPerSecond: Record<string, number>;
  /** The idle rate of all the processes times the run's duration, per image. */
  idleMsPerImage: number;
  p50: number;
  p95: number;
  p99: number;
  cpuMsPerImage: number;
  cpuMsByProcess: Record<string, number>;
  outcomes: Record<string, number>;
  handlers: string[];
  dbCommands: string[];
}

/** The pids whose process trees make up the pipeline: the services and scripts/infra's servers. */
function pipelinePids(services: ServiceProcess[]): Record<string, number> {
  const home = process.env['APERTURE_HOME'] || path.resolve(__dirname, '../../../../../.aperture');
  const pids: Record<string, number> = {};
  for (const service of services) pids[service.name] = service.child.pid!;
  for (const server of SERVERS) {
    const file = path.join(home, 'run', `${server}.pid`);
    if (!fs.existsSync(file))
      throw new Error(
        `${file} is missing: run the bench on scripts/infra's servers (scripts/bench-pipeline does)`,
      );
    pids[server] = Number(fs.readFileSync(file, 'utf8').trim());
  }
  return pids;
}

function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const seconds = treeCpuSeconds(pid);
      if (seconds === undefined) throw new Error(`${name} (pid ${pid}) is not running`);
      return [name, seconds];
    }),
  );
}

async function measurePipeline(
  images: BenchImage[],
  concurrency: number,
  cpuProfileDir: string | undefined,
): Promise<Pipeline> {
  const { kafkaBrokers, mongoUri } = testInfraEnv();
  const run = `bench_${Date.now().toString(36)}`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-bench-pipeline-'));
  const database = new URL(mongoUri);
  database.pathname = `/${run}`;
  const running: ServiceProcess[] = [];
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
        // --cpu-profile DIR: each service writes a V8 CPU profile there when it stops.
        ...(cpuProfileDir && {
          NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --cpu-prof --cpu-prof-dir=${path.join(cpuProfileDir, name)}`,
        }),
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
    const outcomes: Record<string, number> = {};
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
        if (image?.batchId === batchId && !finishedAt.has(image.imageId)) {
          finishedAt.set(image.imageId, Date.now());
          const outcome =
            topic === Topics.imageCurated
              ? 'curated'
              : `rejected by ${commonV1.ImageRejected.decode(message.value).stage}`;
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        }
        return Promise.resolve();
      },
    });
    await waitFor('the reader to join its group', () => joined, 60_000);
    // A new consumer group reads its topic from the start: the events of earlier runs (no record in
    // this run's database) are skipped before the measurement, not during it.
    await waitFor(
      "the services to skip earlier runs' events",
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return sumOf(await scrape(running), 'aperture_kafka_consumer_lag') === 0;
      },
      1_200_000,
    );
    // What the processes spend with nothing to do (consumers' long polls and heartbeats, relays'
    // polls, the broker's and database's own timers): over a run of S seconds, S times this rate
    // is spent whatever the number of images, so its share per image depends on the throughput.
    const pids = pipelinePids(running);
    const idleStart = cpuSnapshot(pids);
    const idleStarted = Date.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const idleEnd = cpuSnapshot(pids);
    const idleSeconds = (Date.now() - idleStarted) / 1000;
    const idleMsPerSecond = Object.fromEntries(
      Object.keys(pids).map((name) => [name, ((idleEnd[name]! - idleStart[name]!) * 1000) / idleSeconds]),
    );
    const metricsBefore = await scrape(running);
    const cpuBefore = cpuSnapshot(pids);

    const startedAt = new Map<string, number>();
    let next = 0;
    const first = Date.now();
    const uploader = async () => {
      while (next < images.length) {
        const index = next++;
        const form = new FormData();
        const { bytes, filename } = images[index]!;
        // The type is sniffed from the bytes; the client's claim is not read.
        form.append('file', new Blob([new Uint8Array(bytes)]), filename);
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
    const cpuAfter = cpuSnapshot(pids);
    const metricsAfter = await scrape(running);
    await consumer.disconnect();

    const latencies = [...startedAt].map(([id, start]) => ((finishedAt.get(id) ?? last) - start) / 1000);
    latencies.sort((a, b) => a - b);
    const quantile = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;

    const delta = (name: string, labels: Record<string, string>) =>
      sumOf(metricsAfter, name, labels) - sumOf(metricsBefore, name, labels);
    const perImage = (seconds: number) => (seconds * 1000) / images.length;
    const cpuMsByProcess = Object.fromEntries(
      Object.keys(pids).map((name) => [name, perImage(cpuAfter[name]! - cpuBefore[name]!)]),
    );
    const handlers = SERVICES.map((service) => {
      const handled = delta('aperture_stage_duration_seconds_count', { service });
      const seconds = delta('aperture_stage_duration_seconds_sum', { service });
      return `${service.padEnd(17)} ${handled > 0 ? `${((seconds * 1000) / handled).toFixed(0).padStart(5)} ms` : '    -'}`;
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
    const seconds = (last - first) / 1000;
    const idleTotal = Object.values(idleMsPerSecond).reduce((sum, ms) => sum + ms, 0);
    return {
      imagesPerSecond: images.length / seconds,
      idleMsPerSecond,
      idleMsPerImage: (idleTotal * seconds) / images.length,
      p50: quantile(0.5),
      p95: quantile(0.95),
      p99: quantile(0.99),
      cpuMsPerImage: Object.values(cpuMsByProcess).reduce((sum, ms) => sum + ms, 0),
      cpuMsByProcess,
      outcomes,
      handlers,
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

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
