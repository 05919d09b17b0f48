import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qualityV1 } from '@aperture/contracts';
import { createKafka, ensureTopics } from '@aperture/messaging';
import { type RunningStage, startStage } from '@aperture/stage-runtime';
import { testInfraEnv, uniqueName, waitFor } from '@aperture/testing';
import type { Producer } from 'kafkajs';

/**
 * Back-pressure: a stage slower than its input lets the backlog wait in Kafka. Its consumer lag
 * grows, its memory does not: the consumer holds one message at a time and kafkajs fetches a
 * bounded amount (1 MB per partition) ahead.
 */
describe('a slow stage under a flood of messages', () => {
  const messages = 3_000;
  const payload = Buffer.alloc(16 * 1024, 7); // 48 MB in all: far more than the consumer may buffer
  const topic = uniqueName('it-backpressure');
  let stage: RunningStage;
  let producer: Producer;
  let blobDir: string;
  let handled = 0;
  let rssBeforeStage = 0;

  beforeAll(async () => {
    const { kafkaBrokers, mongoUri } = testInfraEnv();
    const kafka = createKafka({ clientId: 'it-backpressure', brokers: kafkaBrokers, log: () => undefined });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: topic, partitions: 1 }]);
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
    // The flood is on the topic before the stage starts (in batches under the broker's 1 MB request limit).
    for (let sent = 0; sent < messages; sent += 50) {
      await producer.send({
        topic,
        messages: Array.from({ length: 50 }, (_, i) => ({ key: `m${sent + i}`, value: payload })),
      });
    }
    const database = new URL(mongoUri);
    database.pathname = `/${uniqueName('it_backpressure').replace(/-/g, '_')}`;
    blobDir = await mkdtemp(join(tmpdir(), 'backpressure-it-blobs-'));
    rssBeforeStage = process.memoryUsage().rss;
    stage = await startStage(
      {
        service: 'quality',
        inputTopic: topic,
        httpPort: 0,
        grpc: {
          port: 0,
          name: 'aperture.quality.v1.QualityService',
          definition: qualityV1.QualityServiceService,
          implementation: () => ({}),
          access: {},
        },
        // Slow on purpose: 20 messages a second at most.
        handle: async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          handled++;
          return 'done';
        },
      },
      {
        env: {
          KAFKA_BROKERS: kafkaBrokers.join(','),
          MONGODB_URI: database.toString(),
          BLOB_STORE_DIR: blobDir,
          HTTP_PORT: '0',
          GRPC_PORT: '0',
          // The service identity of the test run (Jest's global setup sets it), which every stage requires.
          APERTURE_SERVICE_TOKEN: process.env['APERTURE_SERVICE_TOKEN'] ?? '',
        },
        groupId: uniqueName('it-backpressure'),
      },
    );
  }, 180_000);

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await stage?.stop().catch(() => undefined);
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
  }, 60_000);

  it('leaves the backlog in Kafka: lag stays high, memory stays flat', async () => {
    const lag = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${stage.httpPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('aperture_kafka_consumer_lag{'));
      return line ? Number(line.split(' ').at(-1)) : Number.NaN;
    };
    await waitFor('the stage to start handling', () => handled > 20, 60_000);
    global.gc?.();
    const rssAtStart = process.memoryUsage().rss;
    const samples: Array<{ handled: number; lag: number; rssMb: number }> = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      samples.push({ handled, lag: await lag(), rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) });
    }
    process.stdout.write(
      `back-pressure: RSS before the stage ${Math.round(rssBeforeStage / 2 ** 20)} MB, samples ${JSON.stringify(samples)}\n`,
    );
    const last = samples.at(-1)!;
    // Most of the flood is still waiting on the broker, counted as lag...
    expect(last.handled).toBeLessThan(messages / 2);
    expect(last.lag).toBeGreaterThanOrEqual(messages - last.handled - 50);
    // ...and not in the process: RSS grew by far less than the 48 MB waiting.
    expect(process.memoryUsage().rss - rssAtStart).toBeLessThan(24 * 2 ** 20);
  }, 120_000);
});
