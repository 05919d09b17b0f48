import {
  type Attributes,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

const tracer = trace.getTracer('@aperture/messaging');

const headerGetter: TextMapGetter<IHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/**
 * The W3C trace context of the active span as Kafka headers. Stored with an outbox entry, so the
 * event continues the trace of the work that decided it, whenever the relay publishes it.
 */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

export interface ConsumedMessageInfo {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: IHeaders;
  groupId: string;
}

/**
 * Runs `work` in a CONSUMER span that continues the trace carried by the message's headers, with
 * the OpenTelemetry messaging attributes and the image id (the message key).
 */
export async function withConsumerSpan<T>(message: ConsumedMessageInfo, work: () => Promise<T>): Promise<T> {
  const parent = propagation.extract(context.active(), message.headers, headerGetter);
  return tracer.startActiveSpan(
    `process ${message.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.topic,
        'messaging.destination.partition.id': String(message.partition),
        'messaging.kafka.offset': Number(message.offset),
        'messaging.consumer.group.name': message.groupId,
        ...(message.key !== null && {
          'messaging.kafka.message.key': message.key,
          'aperture.image_id': message.key,
        }),
      },
    },
    parent,
    (span) => endSpanAfter(span, work),
  );
}

/**
 * Runs `send` in a PRODUCER span whose context is injected into the headers it is given; the span
 * is a child of `parentHeaders`' trace context when given, else of the active span.
 */
export async function withProducerSpan<T>(
  topic: string,
  headers: Record<string, string>,
  send: (headers: Record<string, string>) => Promise<T>,
  parentHeaders?: Record<string, string>,
  attributes: Attributes = {},
): Promise<T> {
  const parent = parentHeaders
    ? propagation.extract(context.active(), parentHeaders, headerGetter)
    : context.active();
  return tracer.startActiveSpan(
    `send ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
        ...attributes,
      },
    },
    parent,
    (span) => {
      const carrier = { ...headers };
      propagation.inject(context.active(), carrier);
      return endSpanAfter(span, () => send(carrier));
    },
  );
}

/** Runs `work`, records its failure on the span, and ends the span either way. */
async function endSpanAfter<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
