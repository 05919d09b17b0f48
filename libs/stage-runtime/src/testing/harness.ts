import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type commonV1, pipelineTopics } from '@aperture/contracts';
import { createKafka, ensureTopics, withRetries } from '@aperture/messaging';
import {
  type ImageRecords,
  initialRecord,
  type NewImageRecord,
  OutboxClaims,
  projectRecordModel,
} from '@aperture/persistence';
import { resolvePolicy } from '@aperture/policy';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { blobRef } from '../events';
import { type RunningStage, type StageContext, type StageOptions, startStage } from '../run-stage';

/**
 * For integration tests only: runs a stage in-process, exactly as `runStage` wires it, against the
 * real broker and database of the Jest global setup (KAFKA_BROKERS, MONGODB_URI), with a database,
 * a blob directory and consumer groups of its own. Its input and output consumers start at the
 * topics' current ends, so messages of other runs are never seen.
 */
export interface StageHarness<S extends object = object> {
  stage: RunningStage<S>;
  ctx: StageContext & S;
  records: ImageRecords;
  createProject(tenantId: string, projectId: string, policy?: unknown): Promise<void>;
  /**
   * Stores raw bytes and an image record as ingest would (its own creation event counted as
   * published already), and returns the record's ImageContext for the stage's input event.
   */
  createImage(
    imageId: string,
    bytes: Buffer,
    owner: { tenantId: string; projectId: string; consentIds?: string[]; region?: string; batchId?: string },
  ): Promise<commonV1.ImageContext>;
  produce(topic: string, key: string, payload: Uint8Array): Promise<void>;
  /** A new API key of the tenant, stored as ingest stores it (its SHA-256 in `api_keys`). */
  createApiKey(tenantId: string): Promise<string>;
  /** A new annotator of the tenant with its token, stored as ingest stores it (`annotators`). */
  createAnnotator(tenantId: string): Promise<{ annotatorId: string; token: string }>;
  /** The metadata/headers of an internal caller: the service identity of the test run. */
  serviceHeaders: Record<string, string>;
  /** host:port of the stage's gRPC server. */
  grpcAddress: string;
  /**
   * Waits until the stage has committed every input message produced so far, the image's outbox
   * is published, and every message on the output topics has reached `received`.
   */
  settle(imageId: string): Promise<void>;
  /** The payloads read from an output topic under one key, in order (a tombstone as an empty buffer). */
  received(topic: string, key: string): Buffer[];
  /** How many tombstones (null values) an output topic carried for a key. */
  tombstones(topic: string, key: string): number;
  close(): Promise<void>;
}

/** `env` adds to (or overrides) the stage's environment, e.g. BLOB_STORE=s3 for the S3 store. */
export async function startStageHarness<S extends object>(
  options: StageOptions<S>,
  outputTopics: string[],
  env: Record<string, string> = {},
): Promise<StageHarness<S>> {
  if (!options.consumes) throw new Error(`${options.service} consumes nothing: start it without the harness`);
  const inputTopic = options.consumes.topic;
  const brokers = process.env['KAFKA_BROKERS']?.split(',');
  const mongoUri = process.env['MONGODB_URI'];
  if (!brokers || !mongoUri) throw new Error('KAFKA_BROKERS and MONGODB_URI are not set (jest global setup)');
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const blobDir = await mkdtemp(join(tmpdir(), `${options.service}-blobs-`));
  const kafka = createKafka({ clientId: `it-${options.service}`, brokers, log: () => undefined });
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  await ensureTopics(admin, pipelineTopics());

  const groupId = `it-${options.service}-${suffix}`;
  const collectorGroup = `it-${options.service}-out-${suffix}`;
  await startAtEnd(admin, groupId, [inputTopic]);
  // topic/partition → the next offset the collector will read (it starts at the current end)
  const nextOffset = await startAtEnd(admin, collectorGroup, outputTopics);
  const seen: Array<{ topic: string; key: string; value: Buffer; tombstone: boolean }> = [];
  const collector: Consumer = kafka.consumer({ groupId: collectorGroup });
  await collector.connect();
  await collector.subscribe({ topics: outputTopics, fromBeginning: false });
  await collector.run({
    eachMessage: ({ topic, partition, message }) => {
      seen.push({
        topic,
        key: message.key?.toString() ?? '',
        value: message.value ?? Buffer.alloc(0),
        tombstone: message.value === null,
      });
      nextOffset.set(`${topic}/${partition}`, BigInt(message.offset) + 1n);
      return Promise.resolve();
    },
  });

  const stage = await startStage(options, {
    groupId,
    env: {
      ...process.env,
      MONGODB_URI: withDatabase(
        mongoUri,
        `it_${options.service.replace(/-/g, '_')}_${suffix.replace(/-/g, '_')}`,
      ),
      BLOB_STORE_DIR: blobDir,
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      ...env,
    },
  });
  const { records, connection } = stage.ctx.pipeline;
  const claims = new OutboxClaims(connection);

  return {
    stage,
    ctx: stage.ctx,
    records,
    createProject: async (tenantId, projectId, policy) => {
      const resolved = resolvePolicy(policy);
      if (resolved.errors.length > 0) throw new Error(`bad test policy: ${JSON.stringify(resolved.errors)}`);
      const now = new Date();
      await projectRecordModel(connection).create({
        _id: projectId,
        tenantId,
        name: projectId,
        policy: resolved.policy,
        createdAt: now,
        updatedAt: now,
      });
    },
    createImage: async (imageId, bytes, owner) => {
      const stored = await stage.ctx.blobs.put(`raw/it/${imageId}`, bytes, 'image/jpeg');
      const record: NewImageRecord = {
        _id: imageId,
        tenantId: owner.tenantId,
        projectId: owner.projectId,
        batchId: owner.batchId ?? 'batch-it',
        filename: `${imageId}.jpg`,
        raw: {
          key: stored.key,
          contentType: 'image/jpeg',
          sizeBytes: stored.sizeBytes,
          sha256: stored.sha256,
        },
        declarations: { region: owner.region ?? 'EU', consentIds: owner.consentIds ?? [] },
        receivedAt: new Date(),
      };
      // As ingest left it once its event was out (the test produces the stage's input itself).
      await records.model.create(initialRecord(record, []));
      return {
        imageId,
        tenantId: owner.tenantId,
        projectId: owner.projectId,
        batchId: record.batchId,
        filename: record.filename,
        raw: blobRef(stored, 'image/jpeg'),
        declarations: record.declarations,
        receivedAt: record.receivedAt.toISOString(),
      };
    },
    createApiKey: async (tenantId) => {
      const apiKey = `apk_${randomBytes(24).toString('base64url')}`;
      await connection.collection('api_keys').insertOne({
        _id: `key_${randomBytes(8).toString('hex')}` as never,
        tenantId,
        hash: sha256(apiKey),
        prefix: apiKey.slice(0, 12),
        createdAt: new Date(),
        revokedAt: null,
      });
      return apiKey;
    },
    createAnnotator: async (tenantId) => {
      const token = `atk_${randomBytes(24).toString('base64url')}`;
      const annotatorId = `ann_${randomBytes(8).toString('hex')}`;
      await connection.collection('annotators').insertOne({
        _id: annotatorId as never,
        tenantId,
        name: annotatorId,
        hash: sha256(token),
        prefix: token.slice(0, 12),
        createdAt: new Date(),
        revokedAt: null,
      });
      return { annotatorId, token };
    },
    serviceHeaders: { 'x-service-token': stage.ctx.serviceToken },
    grpcAddress: `127.0.0.1:${stage.grpcPort}`,
    produce: async (topic, key, payload) => {
      await producer.send({ topic, acks: -1, messages: [{ key, value: Buffer.from(payload) }] });
    },
    settle: async (imageId) => {
      const inputEnds = await admin.fetchTopicOffsets(inputTopic);
      await until('the stage to commit its input', async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [inputTopic] });
        return inputEnds.every((end) => {
          const offset = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          return BigInt(offset) >= BigInt(end.high);
        });
      });
      await until('the outbox to be published', async () => (await claims.count({ imageId })) === 0);
      for (const topic of outputTopics) {
        const ends = await admin.fetchTopicOffsets(topic);
        await until(`the collector to read ${topic}`, () =>
          ends.every((end) => (nextOffset.get(`${topic}/${end.partition}`) ?? 0n) >= BigInt(end.high)),
        );
      }
    },
    received: (topic, key) => seen.filter((m) => m.topic === topic && m.key === key).map((m) => m.value),
    tombstones: (topic, key) => seen.filter((m) => m.topic === topic && m.key === key && m.tombstone).length,
    close: async () => {
      await connection.dropDatabase().catch(() => undefined);
      await stage.stop();
      await collector.disconnect();
      await producer.disconnect();
      await admin.disconnect();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}

/** Commits the topics' current end offsets for a group that has no member yet; returns them. */
async function startAtEnd(admin: Admin, groupId: string, topics: string[]): Promise<Map<string, bigint>> {
  const starts = new Map<string, bigint>();
  for (const topic of topics) {
    // Retried: on a broker that has just created the topic, a partition may briefly answer "not the leader".
    const ends = await withRetries({ maxAttempts: 20, initialDelayMs: 100, maxDelayMs: 1000 }, () =>
      admin.fetchTopicOffsets(topic),
    );
    for (const end of ends) starts.set(`${topic}/${end.partition}`, BigInt(end.high));
    await admin.setOffsets({
      groupId,
      topic,
      partitions: ends.map((end) => ({ partition: end.partition, offset: end.high })),
    });
  }
  return starts;
}

const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

function withDatabase(uri: string, dbName: string): string {
  const [base = uri, query] = uri.split('?');
  const hosts = /^(mongodb(?:\+srv)?:\/\/[^/]+)/.exec(base)?.[1];
  if (!hosts) throw new Error(`cannot parse MONGODB_URI ${uri}`);
  return `${hosts}/${dbName}${query ? `?${query}` : ''}`;
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
