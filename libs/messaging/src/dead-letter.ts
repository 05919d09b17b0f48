import type { Producer } from 'kafkajs';
import type { ConsumedMessage, PoisonHandler } from './at-least-once-consumer';
import type { RetriesExhaustedError } from './retry';

/** Headers added to a dead-lettered message (beside all of its original headers). */
export const DeadLetterHeaders = {
  error: 'aperture-dlq-error',
  originalTopic: 'aperture-dlq-original-topic',
  originalPartition: 'aperture-dlq-original-partition',
  originalOffset: 'aperture-dlq-original-offset',
  attempts: 'aperture-dlq-attempts',
  failedAt: 'aperture-dlq-failed-at',
} as const;

/**
 * A poison handler that sends the message, unchanged, with its original headers and the reason it
 * failed, to the service's dead-letter topic; an operator can inspect and re-drive it from there.
 */
export function sendToDeadLetter(producer: Producer, deadLetterTopic: string): PoisonHandler {
  return async (message: ConsumedMessage, error: RetriesExhaustedError) => {
    const lastError = error.lastError instanceof Error ? error.lastError.message : String(error.lastError);
    await producer.send({
      topic: deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DeadLetterHeaders.error]: lastError.slice(0, 2000),
            [DeadLetterHeaders.originalTopic]: message.topic,
            [DeadLetterHeaders.originalPartition]: String(message.partition),
            [DeadLetterHeaders.originalOffset]: message.offset,
            [DeadLetterHeaders.attempts]: String(error.attempts),
            [DeadLetterHeaders.failedAt]: new Date().toISOString(),
          },
        },
      ],
    });
  };
}
