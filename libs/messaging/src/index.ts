export { createKafka } from './kafka';
export type { KafkaOptions, LogLevel, LogSink } from './kafka';
export { createProducer } from './producer';
export { ensureTopics, TopicMismatchError } from './topics';
export type { TopicSpec } from './topics';
export { AtLeastOnceConsumer } from './at-least-once-consumer';
export type {
  AtLeastOnceConsumerOptions,
  ConsumedMessage,
  HandlerOutcome,
  MessageHandler,
  PoisonHandler,
} from './at-least-once-consumer';
export {
  backoffDelay,
  defaultRetryPolicy,
  RetriesExhaustedError,
  RetryAbortedError,
  withRetries,
} from './retry';
export type { RetryPolicy } from './retry';
export { DeadLetterHeaders, sendToDeadLetter } from './dead-letter';
export { traceHeaders, withConsumerSpan, withProducerSpan } from './tracing';
export type { ConsumedMessageInfo } from './tracing';
export { findPublishedEvents } from './published-events';
export { redriveDeadLetters, redriveGroupId } from './redrive';
export type { DeadLetteredMessage, RedriveOptions } from './redrive';
