import * as fs from 'node:fs';
import * as path from 'node:path';
import { Topics } from '@aperture/contracts';
import { createKafka } from '@aperture/messaging';
import {
  corpusPath,
  freePort,
  type PrivateInfra,
  seededRandom,
  startPrivateInfra,
  waitFor,
} from '@aperture/testing';
import mongoose from 'mongoose';
import { CAMERA_PHOTOS, withJpegComment } from '../photos';
import { type ServiceProcess, startService, stopService, waitReady } from '../processes';

/**
 * The chaos run of issue 10: a batch of images per tenant flows through the five services (as
 * processes) on a Kafka broker and a database of the run's own, while each service, then the
 * broker, then the database is killed with SIGKILL and restarted at seeded random moments.
 * Afterwards it checks that nothing was lost or doubled. Used by chaos.int-spec.ts (in the test
 * suite) and scripts/chaos (larger).
 */
export interface ChaosOptions {
  /** Images per tenant. */
  images: number;
  tenants: number;
  seed: number;
  /** Where logs, blobs and the services' files go (kept after the run for a post-mortem). */
  workDir: string;
  /** Parallel uploads per tenant. */
  uploadConcurrency?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  /** What was killed and when, in ms since the start. */
  events: Array<{ atMs: number; what: string }>;
  /** Uploads ingest answered 201 for. */
  acknowledged: number;
  /** Image records in the database (a killed ingest may have accepted an upload it never answered). */
  accepted: number;
  curated: number;
  rejected: number;
  /** Image ids not curated or rejected when the run gave up waiting. */
  notTerminal: string[];
  /** Acknowledged uploads without an image record. */
  lost: string[];
  curatedTopicRecords: number;
  curatedTopicKeys: number;
  /** Curated images without a record on the curated topic, and keys on it that are not curated. */
  curatedMismatch: string[];
  missingBlobs: string[];
  orphanBlobs: string[];
  /** Batches whose counts disagree with their images. */
  badBatchCounts: string[];
  durationMs: number;
  imagesPerSecond: number;
}

const SERVICES = ['ingest', 'quality', 'standardize', 'compliance', 'annotation-router'] as const;
type ServiceName = (typeof SERVICES)[number];
const ADMIN_TOKEN = 'chaos-admin-token';

/** The run's uploads: real camera photos, and a corrupt file for the rejected path. */
const SOURCES = [...CAMERA_PHOTOS, 'formats/truncated.jpg'];

export function isClean(report: ChaosReport): boolean {
  return (
    report.notTerminal.length === 0 &&
    report.lost.length === 0 &&
    report.curatedTopicRecords === report.curated &&
    report.curatedTopicKeys === report.curated &&
    report.curatedMismatch.length === 0 &&
    report.missingBlobs.length === 0 &&
    report.orphanBlobs.length === 0 &&
    report.badBatchCounts.length === 0 &&
    report.accepted === report.curated + report.rejected
  );
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const random = mulberry32(options.seed);
  const started = Date.now();
  const events: ChaosReport['events'] = [];
  const event = (what: string) => {
    events.push({ atMs: Date.now() - started, what });
    log(`[chaos] +${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
  };
  log(`[chaos] seed ${options.seed}: ${options.tenants} tenant(s) × ${options.images} images`);

  const blobDir = path.join(options.workDir, 'blobs');
  fs.mkdirSync(blobDir, { recursive: true });
  const infra = await startPrivateInfra();
  const running = new Map<ServiceName, ServiceProcess>();
  try {
    const ports = new Map<ServiceName, number>();
    for (const name of SERVICES) ports.set(name, await freePort());
    const envOf = async (name: ServiceName): Promise<NodeJS.ProcessEnv> => ({
      ...process.env,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      MONGODB_URI: infra.mongoUri,
      BLOB_STORE: 'local',
      BLOB_STORE_DIR: blobDir,
      HTTP_PORT: String(ports.get(name)),
      // A fresh gRPC port at each start: a killed server's port may linger in TIME_WAIT.
      GRPC_PORT: String(await freePort()),
      ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      OTEL_SDK_DISABLED: 'true',
    });
    const start = async (name: ServiceName) => {
      const service = startService(name, await envOf(name), options.workDir, ports.get(name)!);
      running.set(name, service);
      await waitReady(service, 180_000);
    };
    for (const name of SERVICES) await start(name);
    const api = `http://127.0.0.1:${ports.get('ingest')}`;

    // Tenants, projects that keep copies (each upload should travel every stage) and batches.
    const batches: Array<{ apiKey: string; batchId: string }> = [];
    for (let t = 0; t < options.tenants; t++) {
      const { apiKey } = await call<{ apiKey: string }>(api, 'POST', '/v1/tenants', { name: `chaos-${t}` });
      const project = await call<{ projectId: string }>(
        api,
        'POST',
        '/v1/projects',
        {
          name: `chaos-${t}`,
          policy: {
            quality: { rejectDuplicates: false, rejectNearDuplicates: false },
            standardize: { maxLongSide: 320 },
          },
        },
        apiKey,
      );
      const batch = await call<{ batchId: string }>(
        api,
        'POST',
        '/v1/batches',
        { projectId: project.projectId },
        apiKey,
      );
      batches.push({ apiKey, batchId: batch.batchId });
    }

    // Uploads: each file's bytes made distinct by a JPEG comment, retried until ingest answers.
    const sources = SOURCES.map((file) => fs.readFileSync(path.join(corpusPath(), file)));
    const acknowledged: string[] = [];
    let uploadsDone = 0;
    const totalUploads = options.images * options.tenants;
    const uploads = batches.map(async ({ apiKey, batchId }, tenant) => {
      let next = 0;
      const worker = async () => {
        while (next < options.images) {
          const index = next++;
          const source = sources[index % sources.length]!;
          const bytes = withJpegComment(source, `chaos ${options.seed} ${tenant} ${index}`);
          const imageId = await uploadUntilAnswered(api, apiKey, batchId, `chaos-${index}.jpg`, bytes);
          acknowledged.push(imageId);
          uploadsDone++;
        }
      };
      await Promise.all(Array.from({ length: options.uploadConcurrency ?? 2 }, worker));
    });
    const uploading = Promise.all(uploads).then(() => event(`all ${totalUploads} uploads answered`));
    const terminal = new Set<string>();
    const terminalReader = await readKeys(infra, [Topics.imageCurated, Topics.imageRejected], terminal);

    // The chaos: every service, then the broker, then the database, killed and restarted.
    await waitFor('the first uploads', () => uploadsDone >= Math.min(10, totalUploads), 300_000);
    const pause = (minMs: number, maxMs: number) =>
      new Promise((resolve) => setTimeout(resolve, minMs + Math.floor(random() * (maxMs - minMs))));
    for (const name of shuffled([...SERVICES], random)) {
      await pause(2_000, 8_000);
      running.get(name)!.child.kill('SIGKILL');
      event(`SIGKILL ${name}`);
      await pause(500, 3_000);
      await start(name);
      event(`${name} restarted and ready`);
    }
    // The database is two processes: FerretDB (the wire protocol) and PostgreSQL (the data).
    for (const server of ['kafka', 'ferretdb', 'postgres'] as const) {
      await pause(2_000, 8_000);
      await infra.kill(server);
      event(`SIGKILL ${server}`);
      await pause(1_000, 5_000);
      await infra.start(server);
      event(`${server} restarted`);
    }
    await uploading;
    for (const { apiKey, batchId } of batches)
      await call(api, 'POST', `/v1/batches/${batchId}/close`, {}, apiKey);

    // Wait for every image to reach a terminal state, watched on the topics (cheap), then checked in
    // the database (a count by status, run rarely).
    const deadline = Date.now() + Math.max(600_000, totalUploads * 2_000);
    await waitFor(
      'a terminal event for every acknowledged upload',
      () => acknowledged.every((id) => terminal.has(id)),
      Math.max(0, deadline - Date.now()),
    ).catch(() => undefined);
    await terminalReader.disconnect();
    const db = await mongoose.createConnection(infra.mongoUri).asPromise();
    const images = db.collection<ImageDoc>('images');
    let pending = await images.countDocuments({ status: { $nin: ['curated', 'rejected'] } });
    while (pending > 0 && Date.now() < deadline) {
      // Uploads a killed ingest accepted without answering: still on their way.
      log(`[chaos] ${pending} image(s) not terminal yet`);
      await new Promise((resolve) => setTimeout(resolve, 30_000));
      pending = await images.countDocuments({ status: { $nin: ['curated', 'rejected'] } });
    }
    const durationMs = Date.now() - started;
    event(pending === 0 ? 'every image terminal' : `gave up waiting: ${pending} not terminal`);
    // Let the relays publish what a killed writer left (its outbox claims) before the topic is counted.
    await waitFor(
      'the outbox to drain',
      async () => (await db.collection('outbox_claims').countDocuments({})) === 0,
      120_000,
    ).catch(() => undefined);

    const all = await images.find({}).toArray();
    const curatedIds = new Set(all.filter((image) => image.status === 'curated').map((image) => image._id));
    const topic = await readTopic(infra, Topics.imageCurated);
    const topicKeys = new Set(topic);
    const blobs = checkBlobs(blobDir, all);
    const badBatchCounts: string[] = [];
    for (const { apiKey, batchId } of batches) {
      const mine = all.filter((image) => image.batchId === batchId);
      const expected = {
        uploaded: mine.length,
        curated: mine.filter((image) => image.status === 'curated').length,
        rejected: mine.filter((image) => image.status === 'rejected').length,
        processing: 0,
      };
      // The counts are tallied from the status events, so they trail the records by the tally
      // consumer's lag (a killed ingest's share waits for its partitions to be reassigned): they
      // must reach the records' counts, and never pass them.
      let counts: Record<string, unknown> = {};
      const agree = async () => {
        const batch = await call<{
          counts: { uploaded: number; curated: number; rejected: number; processing: number };
        }>(api, 'GET', `/v1/batches/${batchId}`, undefined, apiKey);
        const { uploaded, curated, rejected, processing } = batch.counts;
        counts = batch.counts;
        return JSON.stringify({ uploaded, curated, rejected, processing }) === JSON.stringify(expected);
      };
      if (
        !(await waitFor('the batch counts to add up', agree, 120_000).then(
          () => true,
          () => false,
        ))
      ) {
        badBatchCounts.push(`${batchId}: ${JSON.stringify(counts)} vs ${JSON.stringify(expected)}`);
      }
    }
    await db.close();

    const ids = new Set(all.map((image) => image._id));
    return {
      seed: options.seed,
      events,
      acknowledged: acknowledged.length,
      accepted: all.length,
      curated: curatedIds.size,
      rejected: all.filter((image) => image.status === 'rejected').length,
      notTerminal: all
        .filter((image) => !['curated', 'rejected'].includes(image.status))
        .map((image) => image._id),
      lost: acknowledged.filter((id) => !ids.has(id)),
      curatedTopicRecords: topic.length,
      curatedTopicKeys: topicKeys.size,
      curatedMismatch: [
        ...[...curatedIds].filter((id) => !topicKeys.has(id)).map((id) => `curated, not on the topic: ${id}`),
        ...[...topicKeys].filter((id) => !curatedIds.has(id)).map((id) => `on the topic, not curated: ${id}`),
      ],
      missingBlobs: blobs.missing,
      orphanBlobs: blobs.orphans,
      badBatchCounts,
      durationMs,
      imagesPerSecond: all.length / (durationMs / 1000),
    };
  } finally {
    await Promise.all([...running.values()].map((service) => stopService(service).catch(() => null)));
    await infra.destroy();
  }
}

interface ImageDoc {
  _id: string;
  batchId: string;
  status: string;
  raw?: { key?: string };
  stages?: Record<string, unknown>;
}

async function call<T>(
  api: string,
  method: string,
  url: string,
  body?: unknown,
  apiKey?: string,
): Promise<T> {
  const response = await fetch(`${api}${url}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(apiKey ? { 'x-api-key': apiKey } : { 'x-admin-token': ADMIN_TOKEN }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * Uploads one file, again and again while ingest is down or answers 5xx, as a client would. A
 * response lost to a kill can leave an accepted image the client never heard of; it must still
 * reach a terminal state (the report counts records, not answers).
 */
async function uploadUntilAnswered(
  api: string,
  apiKey: string,
  batchId: string,
  filename: string,
  bytes: Buffer,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), filename);
      const response = await fetch(`${api}/v1/batches/${batchId}/images`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey },
        body: form,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      if (response.status === 201) {
        return (JSON.parse(text) as { images: Array<{ imageId: string }> }).images[0]!.imageId;
      }
      if (response.status < 500) throw new Error(`upload of ${filename} refused: ${response.status} ${text}`);
    } catch (error) {
      if (error instanceof Error && error.message.includes('refused:')) throw error;
      if (attempt > 600) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Follows topics of the run's own broker from their start, adding each record's key to `keys`. */
async function readKeys(infra: PrivateInfra, topics: string[], keys: Set<string> | string[]) {
  const kafka = createKafka({ clientId: 'chaos-reader', brokers: infra.kafkaBrokers, log: () => undefined });
  const consumer = kafka.consumer({ groupId: `chaos-reader-${Date.now()}-${topics.length}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const key = message.key?.toString() ?? '';
      if (keys instanceof Set) keys.add(key);
      else keys.push(key);
      return Promise.resolve();
    },
  });
  return consumer;
}

/** Every record on a topic of the run's own broker, by key. */
async function readTopic(infra: PrivateInfra, topic: string): Promise<string[]> {
  const kafka = createKafka({ clientId: 'chaos-counter', brokers: infra.kafkaBrokers, log: () => undefined });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = ends.reduce((sum, end) => sum + Number(end.high) - Number(end.low), 0);
  const keys: string[] = [];
  const consumer = await readKeys(infra, [topic], keys);
  await waitFor(`all ${total} records of ${topic}`, () => keys.length >= total, 60_000);
  await consumer.disconnect();
  return keys;
}

/** Blob keys the records name (raw uploads and every stored derivative) against the files there. */
function checkBlobs(blobDir: string, images: ImageDoc[]): { missing: string[]; orphans: string[] } {
  const referenced = new Set<string>();
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      if (typeof object['key'] === 'string' && typeof object['sizeBytes'] !== 'undefined') {
        referenced.add(object['key']);
      }
      Object.values(object).forEach(collect);
    }
  };
  for (const image of images) {
    if (image.raw?.key) referenced.add(image.raw.key);
    collect(image.stages);
  }
  const files = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.tmp') walk(full);
      } else files.add(path.relative(blobDir, full).split(path.sep).join('/'));
    }
  };
  walk(blobDir);
  return {
    missing: [...referenced].filter((key) => !files.has(key)).sort(),
    orphans: [...files].filter((key) => !referenced.has(key)).sort(),
  };
}

/** The testing lib's seeded generator as fractions in [0, 1): the same seed, the same chaos. */
export function mulberry32(seed: number): () => number {
  const next = seededRandom(seed);
  return () => next() / 4294967296;
}

function shuffled<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
