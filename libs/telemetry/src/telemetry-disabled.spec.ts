import { createLogger, shutdownTelemetry, startTelemetry } from '@aperture/telemetry';
import { trace } from '@opentelemetry/api';

describe('startTelemetry with OTEL_SDK_DISABLED=true', () => {
  afterAll(() => {
    delete process.env['OTEL_SDK_DISABLED'];
  });

  it('does nothing: spans are no-ops and logs carry no trace ids', async () => {
    process.env['OTEL_SDK_DISABLED'] = 'true';
    startTelemetry('disabled-spec');

    const lines: string[] = [];
    const log = createLogger('disabled-spec', { destination: { write: (line: string) => lines.push(line) } });
    trace.getTracer('disabled-spec').startActiveSpan('noop', (span) => {
      expect(span.isRecording()).toBe(false);
      log.info('inside');
      span.end();
    });
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('trace_id');
    await expect(shutdownTelemetry()).resolves.toBeUndefined();
  });

  it('shutdownTelemetry is a no-op when nothing was started', async () => {
    await expect(shutdownTelemetry()).resolves.toBeUndefined();
  });
});
