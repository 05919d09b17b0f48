import type { ConsumerConfig, Kafka } from 'kafkajs';
import { AtLeastOnceConsumer } from './at-least-once-consumer';

/** A kafkajs stand-in that records the consumer's config; enough to start and stop the consumer. */
function recordingKafka() {
  const seen: { config?: ConsumerConfig } = {};
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: () => () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => undefined,
    disconnect: async () => undefined,
  };
  const kafka = {
    consumer: (config: ConsumerConfig) => {
      seen.config = config;
      return consumer;
    },
  } as unknown as Kafka;
  return { kafka, seen };
}

describe('AtLeastOnceConsumer restart after a crash', () => {
  const options = { groupId: 'g', topics: ['t'], handler: async () => 'done' as const };

  it('lets kafkajs restart a crashed consumer while it runs, never after stop()', async () => {
    const { kafka, seen } = recordingKafka();
    const consumer = new AtLeastOnceConsumer(kafka, options);
    await consumer.start();
    const restartOnFailure = seen.config?.retry?.restartOnFailure;
    expect(restartOnFailure).toBeDefined();
    await expect(restartOnFailure!(new Error('crash'))).resolves.toBe(true);
    await consumer.stop();
    await expect(restartOnFailure!(new Error('crash'))).resolves.toBe(false);
  });

  it("still asks the caller's own restartOnFailure while running", async () => {
    const { kafka, seen } = recordingKafka();
    const consumer = new AtLeastOnceConsumer(kafka, {
      ...options,
      consumerConfig: { retry: { retries: 0, restartOnFailure: async () => false } },
    });
    await consumer.start();
    await expect(seen.config!.retry!.restartOnFailure!(new Error('crash'))).resolves.toBe(false);
    expect(seen.config!.retry!.retries).toBe(0);
  });
});
