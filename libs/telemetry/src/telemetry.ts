import type { IncomingMessage } from 'node:http';
import {
  CompositePropagator,
  getBooleanFromEnv,
  getNumberFromEnv,
  getStringFromEnv,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongooseInstrumentation } from '@opentelemetry/instrumentation-mongoose';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** Probes and scrapes that would otherwise make one trace each, every few seconds. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

let sdk: NodeSDK | undefined;
let started = false;

/**
 * Starts OpenTelemetry tracing for this process. Call it first in `main.ts`, before NestJS,
 * kafkajs or grpc-js is loaded, so the HTTP and gRPC instrumentations can patch them.
 *
 * - Tracing always runs in-process (W3C trace-context and baggage propagators, the async-hooks
 *   context manager, HTTP, gRPC and mongoose instrumentation; Kafka spans are made by
 *   @aperture/messaging), so logs carry trace ids and context crosses
 *   Kafka headers, HTTP and gRPC.
 * - Spans are exported (OTLP over HTTP, batched) only when `OTEL_EXPORTER_OTLP_ENDPOINT` or
 *   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; the exporter and batching read the standard
 *   `OTEL_EXPORTER_OTLP_*` and `OTEL_BSP_*` variables. Metrics and logs are not exported by the SDK.
 * - `OTEL_SDK_DISABLED=true` turns all of it off: nothing is started.
 *
 * Idempotent: only the first call in a process does anything (also after `shutdownTelemetry`).
 */
export function startTelemetry(serviceName: string): void {
  if (started) return;
  started = true;
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) return;

  sdk = new NodeSDK({
    // OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES (read by the default detectors) still override it.
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName })),
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: isProbe }),
      new GrpcInstrumentation(),
      // Only queries made on behalf of traced work: the outbox relay's polling would otherwise be a
      // new trace every few hundred milliseconds. No query text is recorded (it can hold personal data).
      new MongooseInstrumentation({ requireParentSpan: true }),
    ],
    spanProcessors: [spanProcessorFromEnv()],
    // Without these the SDK would default to exporting metrics and logs over OTLP.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
}

/** Flushes pending spans and shuts the SDK down; a no-op if tracing was never started. */
export async function shutdownTelemetry(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  if (running) await running.shutdown();
}

/**
 * A span processor is always installed (an SDK with none registers no tracer provider at all, and
 * every span would be a no-op without ids); only with an OTLP endpoint does it export anything.
 */
function spanProcessorFromEnv(): SpanProcessor {
  const endpoint =
    getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!endpoint) return new NoopSpanProcessor();
  return new BatchSpanProcessor({
    exporter: new OTLPTraceExporter(),
    maxQueueSize: positiveNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE'),
    maxExportBatchSize: positiveNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
    scheduledDelayMillis: positiveNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: positiveNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT'),
  });
}

function positiveNumberFromEnv(name: string): number | undefined {
  const value = getNumberFromEnv(name);
  return value !== undefined && value > 0 ? value : undefined;
}

function isProbe(request: IncomingMessage): boolean {
  const path = (request.url ?? '').split('?', 1)[0] ?? '';
  return request.method === 'GET' && UNTRACED_PATHS.has(path);
}
