import { pipelineTopics } from '@aperture/contracts';
import {
  createKafka,
  createProducer,
  ensureTopics,
  type LogSink,
  withProducerSpan,
} from '@aperture/messaging';
import {
  connectMongo,
  ImageRecords,
  type OutboxPublisher,
  OutboxRelay,
  syncModelIndexes,
} from '@aperture/persistence';
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
  const connection = await connectMongo({ uri: options.mongoUri });
  const records = new ImageRecords(connection);
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
          (headers) =>
            producer.send({
              topic,
              acks,
              messages: [{ ...message, headers: { ...message.headers, ...headers } }],
            }),
          message.headers,
        );
      }
    },
  };
  const relay = new OutboxRelay(connection, publisher, {
    onError: (error) => options.log('error', 'outbox relay round failed', { err: String(error) }),
  });
  relay.start();

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
    close: async () => {
      await relay.stop();
      await producer.disconnect();
      await admin.disconnect();
      await connection.close();
    },
  };
}
