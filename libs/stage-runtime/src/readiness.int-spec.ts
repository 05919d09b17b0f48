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
const OUTAGE_MS = 30_000;

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
        },
        handle: (message) => {
          handled.push(message.key ?? '');
          return Promise.resolve('done');
        },
      },
      {
        env: {
          KAFKA_BROKERS: infra.kafkaBrokers.join(','),
          MONGODB_URI: infra.mongoUri,
          BLOB_STORE_DIR: blobDir,
          HTTP_PORT: '0',
          GRPC_PORT: '0',
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
    await infra.stop('kafka');
    await waitFor('readiness to report kafka down', async () => (await readiness()).status === 503, 60_000);
    expect(await readiness()).toEqual({ status: 503, checks: { mongodb: true, kafka: false } });
    // Long enough for the consumer to use up its connection retries and restart itself.
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    expect((await readiness()).status).toBe(503);

    await infra.start('kafka');
    await waitFor('readiness to recover', async () => (await readiness()).status === 200, 120_000);
    await handles('after-broker-outage');
  }, 360_000);

  it('turns not-ready while the database is down, and ready again when it returns', async () => {
    await infra.stop('ferretdb');
    await waitFor('readiness to report mongodb down', async () => (await readiness()).status === 503, 60_000);
    expect(await readiness()).toEqual({ status: 503, checks: { mongodb: false, kafka: true } });
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    expect((await readiness()).status).toBe(503);

    await infra.start('ferretdb');
    await waitFor('readiness to recover', async () => (await readiness()).status === 200, 120_000);
    await handles('after-database-outage');
  }, 360_000);

  it('counts what it handled and shows its consumer lag in /metrics', async () => {
    const scrape = async () => (await fetch(`http://127.0.0.1:${stage.httpPort}/metrics`)).text();
    const lagLines = (text: string) =>
      text.split('\n').filter((line) => line.startsWith('aperture_kafka_consumer_lag{'));
    expect(await scrape()).toContain(
      `aperture_stage_messages_total{topic="${Topics.imageIngested}",outcome="done",service="quality"} 3`,
    );
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
