import { shutdownTelemetry, startTelemetry } from '@aperture/telemetry';
import { context, propagation, trace } from '@opentelemetry/api';

describe('startTelemetry in this process (no exporter configured)', () => {
  beforeAll(() => {
    delete process.env['OTEL_SDK_DISABLED'];
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    delete process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
    startTelemetry('telemetry-spec');
  });

  afterAll(async () => {
    await shutdownTelemetry();
    await shutdownTelemetry(); // a second call is a no-op
  });

  it('is idempotent: a second call keeps the first set-up', () => {
    const provider = trace.getTracerProvider();
    expect(() => startTelemetry('another-name')).not.toThrow();
    expect(trace.getTracerProvider()).toBe(provider);
  });

  it('records spans with real ids even though nothing is exported', () => {
    trace.getTracer('telemetry-spec').startActiveSpan('work', (span) => {
      expect(span.isRecording()).toBe(true);
      expect(span.spanContext().traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
      span.end();
    });
  });

  it('propagates trace context and baggage through message headers (W3C)', () => {
    const tracer = trace.getTracer('telemetry-spec');
    const headers: Record<string, string> = {};
    const sent = tracer.startActiveSpan('produce', (span) => {
      const withBaggage = propagation.setBaggage(
        context.active(),
        propagation.createBaggage({ tenant: { value: 't1' } }),
      );
      propagation.inject(withBaggage, headers);
      span.end();
      return span.spanContext();
    });
    expect(headers['traceparent']).toBe(`00-${sent.traceId}-${sent.spanId}-01`);
    expect(headers['baggage']).toBe('tenant=t1');

    const extracted = propagation.extract(context.active(), headers);
    const child = tracer.startSpan('consume', {}, extracted);
    expect(child.spanContext().traceId).toBe(sent.traceId);
    expect(propagation.getBaggage(extracted)?.getEntry('tenant')?.value).toBe('t1');
    child.end();
  });
});
