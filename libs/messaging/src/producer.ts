import { type Kafka, Partitioners, type Producer } from 'kafkajs';

/**
 * A producer that waits for the broker to acknowledge every write and never duplicates or
 * reorders a message because of its own retries (idempotent, one request in flight). Messages
 * with the same key go to the same partition, so per-key order holds end to end.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}
