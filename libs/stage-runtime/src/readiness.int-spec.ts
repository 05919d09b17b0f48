import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qualityV1, Topics } from '@aperture/contracts';
import { createKafka } from '@aperture/messaging';
import { type RunningStage, startStage } from '@aperture/stage-runtime';
import { type PrivateInfra, startPrivateInfra, waitFor } from '@aperture/testing';
import type { Producer } from 'kafkajs';

/**
 * Readiness follows the broker and the database, and a stage recovers by itself when they return:
 * a stage runs on a Kafka broker and a FerretDB server of this test's own, which the test stops
 * and starts again (the shared servers of the other tests are not touched).
 */
const OUTAGE_MS = 20_000;

describe('a stage while its broker or database is down', () => {
  let infra: PrivateInfra;
  let stage: RunningStage;
  let producer: Producer;
  let blobDir: string;
  const handled: string[] = [];

  const savedLogLevel = process.env['LOG_LEVEL'];

  beforeAll(async () => {
    // The outages make kafkajs and the relay log an error every few hundred milliseconds.
    process.env['LOG_LEVEL'] = 'fatal';
    infra = await startPrivateInfra();
    blobDir = await mkdtemp(join(tmpdir(), 'readiness-it-blobs-'));
    stage = await startStage(
      {
        service: 'quality',
        inputTopic: Topics.imageIngested,
        httpPort: 0,
        // Methods left unimplemented answer UNIMPLEMENTED; only health and consumption matter here.
        grpc: {
          port: 0,
          name: 'aperture.quality.v1.QualityService',
          definition: qualityV1.QualityServiceService,
          implementation: () => ({}),
          access: {},
        },
        // Reads the database, as every real stage does first, so a database outage fails it.
        handle: async (message, ctx) => {
          await ctx.pipeline.records.get(message.key ?? '');
          handled.push(message.key ?? '');
          return 'done';
        },
      },
      {
        env: {
          KAFKA_BROKERS: infra.kafkaBrokers.join(','),
          MONGODB_URI: infra.mongoUri,
          BLOB_STORE_DIR: blobDir,
          HTTP_PORT: '0',
          GRPC_PORT: '0',
          // The service identity of the test run (Jest's global setup sets it), which every stage requires.
          APERTURE_SERVICE_TOKEN: process.env['APERTURE_SERVICE_TOKEN'] ?? '',
        },
      },
    );
    const kafka = createKafka({
      clientId: 'readiness-it',
      brokers: infra.kafkaBrokers,
      log: () => undefined,
    });
    producer = kafka.producer({ retry: { retries: 30, maxRetryTime: 2_000 } });
    await producer.connect();
  }, 240_000);

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await stage?.stop().catch(() => undefined);
    await infra?.destroy();
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
    if (savedLogLevel === undefined) delete process.env['LOG_LEVEL'];
    else process.env['LOG_LEVEL'] = savedLogLevel;
  }, 120_000);

  const readiness = async (): Promise<{ status: number; checks: Record<string, boolean> }> => {
    const response = await fetch(`http://127.0.0.1:${stage.httpPort}/readyz`);
    const body = (await response.json()) as {
      checks?: Record<string, boolean>;
      error?: { checks: Record<string, boolean> };
    };
    return { status: response.status, checks: body.checks ?? body.error?.checks ?? {} };
  };

  const handles = async (key: string): Promise<void> => {
    await producer.send({ topic: Topics.imageIngested, messages: [{ key, value: Buffer.from(key) }] });
    await waitFor(`the stage to handle ${key}`, () => handled.includes(key), 120_000);
  };

  it('is ready and consumes while both answer', async () => {
    expect(await readiness()).toEqual({ status: 200, checks: { mongodb: true, kafka: true } });
    await handles('before-any-outage');
  }, 150_000);

  it('turns not-ready while the broker is down, and ready and consuming again when it returns', async () => {
    await infra.kill('kafka');
    await waitFor('readiness to report kafka down', async () => (await readiness()).status === 503, 60_000);
    expect(await readiness()).toEqual({ status: 503, checks: { mongodb: true, kafka: false } });
    // Long enough for the consumer to use up its connection retries and restart itself.
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    expect((await readiness()).status).toBe(503);

    await infra.start('kafka');
    await waitFor('readiness to recover', async () => (await readiness()).status === 200, 120_000);
    await handles('after-broker-outage');
  }, 360_000);

  it('turns not-ready while the database is down, holds the message in hand, and goes on when it returns', async () => {
    await infra.kill('ferretdb');
    await waitFor('readiness to report mongodb down', async () => (await readiness()).status === 503, 60_000);
    expect(await readiness()).toEqual({ status: 503, checks: { mongodb: false, kafka: true } });
    // A message arriving now fails against the database far more often than the retry policy
    // allows, yet it is an outage, not a poison message: it waits instead of being dead-lettered.
    await producer.send({
      topic: Topics.imageIngested,
      messages: [{ key: 'during-database-outage', value: Buffer.from('x') }],
    });
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    expect((await readiness()).status).toBe(503);
    expect(handled).not.toContain('during-database-outage');

    await infra.start('ferretdb');
    await waitFor('readiness to recover', async () => (await readiness()).status === 200, 120_000);
    await waitFor('the held message to be handled', () => handled.includes('during-database-outage'), 60_000);
    await handles('after-database-outage');
  }, 360_000);

  it('counts what it handled and shows its consumer lag in /metrics', async () => {
    const scrape = async () => (await fetch(`http://127.0.0.1:${stage.httpPort}/metrics`)).text();
    const lagLines = (text: string) =>
      text.split('\n').filter((line) => line.startsWith('aperture_kafka_consumer_lag{'));
    // At least once: a message whose commit the killed broker lost is handled again.
    expect([...new Set(handled)].sort()).toEqual(
      ['after-broker-outage', 'after-database-outage', 'before-any-outage', 'during-database-outage'].sort(),
    );
    const done = new RegExp(
      `^aperture_stage_messages_total\\{topic="${Topics.imageIngested}",outcome="done",service="quality"\\} (\\d+)$`,
      'm',
    );
    expect(Number(done.exec(await scrape())?.[1])).toBe(handled.length);
    expect(await scrape()).not.toContain('outcome="dead_lettered"');
    // One series per partition of the input topic; each reaches 0 once the last offset is committed.
    await waitFor('the consumer lag to reach 0', async () => {
      const lag = lagLines(await scrape());
      return lag.length === 3 && lag.every((line) => line.endsWith(' 0'));
    });
    for (const line of lagLines(await scrape())) {
      expect(line).toContain(`group="quality",topic="${Topics.imageIngested}"`);
    }
  }, 30_000);
});
