import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as an OTLP/HTTP JSON export carries it, with the service that emitted it. */
export interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: OtlpAnyValue }> };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: Array<{ key: string; value: OtlpAnyValue }>;
      }>;
    }>;
  }>;
}

const plain = (value: OtlpAnyValue): string | number | boolean =>
  value.stringValue ??
  (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
  value.doubleValue ??
  value.boolValue ??
  '';

/** Flattens one OTLP/HTTP JSON trace export into spans. */
export function spansOf(body: OtlpExport): CollectedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resourceSpan) => {
    const service = String(
      plain(
        resourceSpan.resource?.attributes?.find((a) => a.key === 'service.name')?.value ?? {
          stringValue: '',
        },
      ),
    );
    return (resourceSpan.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        traceId: span.traceId,
        spanId: span.spanId,
        ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
        name: span.name,
        kind: span.kind,
        attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, plain(a.value)])),
      })),
    );
  });
}

/** A minimal OTLP/HTTP (JSON) trace receiver on loopback, for the end-to-end test. */
export class OtlpCollector {
  readonly spans: CollectedSpan[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url === '/v1/traces') {
          try {
            this.spans.push(...spansOf(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport));
          } catch {
            // a protobuf export would not parse; the services are configured for JSON
          }
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export type ImageTraceCheck =
  { ok: true; traceId: string; spans: CollectedSpan[] } | { ok: false; problem: string };

/** Whose image it is: every consumer span of the image must name them (aperture.* attributes). */
export interface ImageOwner {
  tenantId: string;
  batchId: string;
}

/**
 * Checks that one trace links an image's upload (ingest's HTTP server span) to every stage's
 * consumer span and to the final publish on the curated topic; that each consumer span carries the
 * messaging attributes and the image's tenant and batch; and that the database work done for the
 * image (mongoose CLIENT spans) is in the same trace.
 */
export function checkImageTrace(
  spans: CollectedSpan[],
  imageId: string,
  stageTopics: string[],
  curatedTopic: string,
  owner: ImageOwner,
): ImageTraceCheck {
  const consumerSpans = spans.filter(
    (span) => span.kind === 5 && span.attributes['aperture.image_id'] === imageId,
  );
  const traceIds = new Set(consumerSpans.map((span) => span.traceId));
  if (traceIds.size !== 1)
    return { ok: false, problem: `consumer spans of ${imageId} are in ${traceIds.size} traces` };
  const [traceId] = [...traceIds] as [string];
  const trace = spans.filter((span) => span.traceId === traceId);
  for (const topic of stageTopics) {
    if (!trace.some((span) => span.kind === 5 && span.attributes['messaging.destination.name'] === topic)) {
      return { ok: false, problem: `no consumer span for ${topic} in trace ${traceId}` };
    }
  }
  for (const span of consumerSpans) {
    const missing = CONSUMER_ATTRIBUTES.filter((name) => span.attributes[name] === undefined);
    if (missing.length > 0)
      return { ok: false, problem: `consumer span ${span.name} lacks ${missing.join(', ')}` };
    if (
      span.attributes['aperture.tenant_id'] !== owner.tenantId ||
      span.attributes['aperture.batch_id'] !== owner.batchId
    ) {
      return { ok: false, problem: `consumer span ${span.name} names another tenant or batch` };
    }
  }
  if (
    !trace.some((span) => span.kind === 4 && span.attributes['messaging.destination.name'] === curatedTopic)
  ) {
    return { ok: false, problem: `no producer span for ${curatedTopic} in trace ${traceId}` };
  }
  if (!trace.some((span) => span.kind === 2 && span.service === 'ingest')) {
    return { ok: false, problem: `no HTTP server span of ingest in trace ${traceId}` };
  }
  if (!trace.some((span) => span.kind === 3 && span.attributes['db.system.name'] === 'mongodb')) {
    return { ok: false, problem: `no database span in trace ${traceId}` };
  }
  return { ok: true, traceId, spans: trace };
}

/** The OpenTelemetry messaging attributes every consumer span has (semantic conventions 1.3x). */
const CONSUMER_ATTRIBUTES = [
  'messaging.system',
  'messaging.operation.type',
  'messaging.destination.name',
  'messaging.destination.partition.id',
  'messaging.kafka.offset',
  'messaging.consumer.group.name',
  'aperture.tenant_id',
  'aperture.batch_id',
];
