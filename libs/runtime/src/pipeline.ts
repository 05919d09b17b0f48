import { commonV1, pipelineTopics, Topics } from '@aperture/contracts';
import {
  createKafka,
  createProducer,
  ensureTopics,
  findPublishedEvents,
  type LogSink,
  withProducerSpan,
} from '@aperture/messaging';
import {
  connectMongo,
  ImageRecords,
  OUTBOX_EVENT_ID_HEADER,
  type OutboxPublisher,
  OutboxRelay,
  syncModelIndexes,
} from '@aperture/persistence';
import { createServiceMetrics, type ServiceMetrics } from '@aperture/telemetry';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { ReadinessChecks } from './health';

/** What every pipeline service talks to: the database, its image records and outbox, and Kafka. */
export interface PipelineIo {
  connection: Connection;
  records: ImageRecords;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  relay: OutboxRelay;
  readiness: ReadinessChecks;
  metrics: ServiceMetrics;
  close(): Promise<void>;
}

/**
 * Connects to MongoDB (and syncs the indexes of every model registered by `registerModels`),
 * makes sure every pipeline topic exists, connects a producer and starts the outbox relay.
 */
export async function connectPipeline(options: {
  service: string;
  kafkaBrokers: string[];
  mongoUri: string;
  log: LogSink;
  registerModels?: (connection: Connection) => void;
}): Promise<PipelineIo> {
  const metrics = createServiceMetrics(options.service);
  const connection = await connectMongo({
    uri: options.mongoUri,
    onCommand: ({ name, collection }) => metrics.dbCommands.inc({ command: name, collection }),
  });
  options.registerModels?.(connection);
  await syncModelIndexes(connection);

  const kafka = createKafka({ clientId: options.service, brokers: options.kafkaBrokers, log: options.log });
  const admin = kafka.admin();
  const producer = createProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
  await ensureTopics(admin, pipelineTopics());

  // Each published event gets a PRODUCER span, child of the span that wrote it (its stored
  // headers), and carries that span's context on to the consumers.
  const publisher: OutboxPublisher = {
    send: async ({ topic, acks, messages }) => {
      for (const message of messages) {
        await withProducerSpan(
          topic,
          {},
          async (headers) => {
            await producer.send({
              topic,
              acks,
              messages: [{ ...message, headers: { ...message.headers, ...headers } }],
            });
            countPublished(metrics, topic, message);
          },
          message.headers,
          { 'messaging.kafka.message.key': message.key, 'aperture.image_id': message.key },
        );
      }
    },
  };
  // Each write publishes its own events; the relay publishes those of writers that died.
  const records = new ImageRecords(connection, {
    publisher,
    onPublishError: (error, imageId) =>
      options.log('warn', 'publishing failed; the outbox relay will publish', {
        imageId,
        err: String(error),
      }),
  });
  const relay = new OutboxRelay(connection, publisher, {
    onError: (error) => options.log('error', 'outbox relay round failed', { err: String(error) }),
    // After a crash, the relay that takes over a claim republishes only what never reached Kafka.
    findPublished: (topic, sinceMs, eventIds) =>
      findPublishedEvents(kafka, topic, sinceMs, eventIds, OUTBOX_EVENT_ID_HEADER),
  });
  relay.start();
  metrics.addCollectedGauge({
    name: 'aperture_outbox_backlog',
    help: 'Writes whose events are not yet published (their outbox claims, the whole pipeline).',
    collect: async (set) => set({}, await records.pendingOutboxCount()),
  });

  const readiness: ReadinessChecks = {
    mongodb: async () => {
      await connection.db!.admin().ping();
      return true;
    },
    kafka: async () => {
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0;
    },
  };

  return {
    connection,
    records,
    kafka,
    admin,
    producer,
    relay,
    readiness,
    metrics,
    close: async () => {
      await relay.stop();
      await producer.disconnect();
      await admin.disconnect();
      await connection.close();
    },
  };
}

/** Where each event's topic says an image went (aperture_images_total), beside rejections' reasons. */
const OUTCOME_OF_TOPIC: Record<string, { stage: string; outcome: string }> = {
  [Topics.imageIngested]: { stage: 'ingest', outcome: 'accepted' },
  [Topics.imageQualified]: { stage: 'quality', outcome: 'passed' },
  [Topics.imageStandardized]: { stage: 'standardize', outcome: 'passed' },
  [Topics.imageCleared]: { stage: 'compliance', outcome: 'passed' },
  [Topics.imageCurated]: { stage: 'annotation-router', outcome: 'curated' },
};

function countPublished(metrics: ServiceMetrics, topic: string, message: { value: Buffer | null }): void {
  // A tombstone (an erased image's key on the compacted curated topic) is no outcome.
  if (message.value === null) return;
  const passed = OUTCOME_OF_TOPIC[topic];
  if (passed) {
    metrics.images.inc(passed);
    return;
  }
  if (topic !== Topics.imageRejected) return;
  const rejected = commonV1.ImageRejected.decode(message.value);
  metrics.images.inc({ stage: rejected.stage, outcome: 'rejected' });
  for (const reason of rejected.reasons)
    metrics.rejections.inc({ stage: rejected.stage, reason: reason.code });
}

/**
 * Adds `aperture_kafka_consumer_lag{group,topic,partition}` to `metrics`: per partition, the
 * topic's end offset minus the group's committed offset (the whole partition when the group has
 * committed nothing yet), read from the broker at scrape time.
 */
export function trackConsumerLag(
  metrics: ServiceMetrics,
  admin: Admin,
  groupId: string,
  topics: string[],
): void {
  metrics.addCollectedGauge({
    name: 'aperture_kafka_consumer_lag',
    help: 'Messages of each partition not yet committed by the consumer group.',
    labelNames: ['group', 'topic', 'partition'] as const,
    collect: async (set) => {
      const committed = await admin.fetchOffsets({ groupId, topics });
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const end of ends) {
          const mine = partitions.find((entry) => entry.partition === end.partition);
          const from = mine && Number(mine.offset) >= 0 ? Number(mine.offset) : Number(end.low);
          set({ group: groupId, topic, partition: end.partition }, Math.max(0, Number(end.high) - from));
        }
      }
    },
  });
}
