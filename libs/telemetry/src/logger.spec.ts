import { createLogger, shutdownTelemetry, startTelemetry } from '@aperture/telemetry';
import { trace } from '@opentelemetry/api';

/** A pino destination that keeps every line in memory, parsed. */
function memoryDestination() {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
}

describe('createLogger', () => {
  const savedLogLevel = process.env['LOG_LEVEL'];

  beforeAll(() => {
    // Tracing on in-process, nothing exported.
    delete process.env['OTEL_SDK_DISABLED'];
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    delete process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
    startTelemetry('logger-spec');
  });

  afterAll(async () => {
    await shutdownTelemetry();
  });

  afterEach(() => {
    if (savedLogLevel === undefined) delete process.env['LOG_LEVEL'];
    else process.env['LOG_LEVEL'] = savedLogLevel;
  });

  it('writes JSON lines with the service, the level label and the message', () => {
    const destination = memoryDestination();
    const log = createLogger('quality', { destination });
    log.info({ imageId: 'img-1' }, 'assessed');
    expect(destination.lines).toHaveLength(1);
    expect(destination.lines[0]).toMatchObject({
      service: 'quality',
      level: 'info',
      imageId: 'img-1',
      msg: 'assessed',
    });
    expect(typeof destination.lines[0]!['time']).toBe('string');
  });

  it('adds trace_id and span_id inside a span, and not outside one', () => {
    const destination = memoryDestination();
    const log = createLogger('quality', { destination });
    const tracer = trace.getTracer('logger-spec');

    log.info('before');
    let outer: { traceId: string; spanId: string } | undefined;
    let inner: { traceId: string; spanId: string } | undefined;
    tracer.startActiveSpan('outer', (span) => {
      outer = span.spanContext();
      log.info('in outer');
      tracer.startActiveSpan('inner', (child) => {
        inner = child.spanContext();
        log.info('in inner');
        child.end();
      });
      span.end();
    });
    log.info('after');

    const [before, inOuter, inInner, after] = destination.lines;
    expect(before).not.toHaveProperty('trace_id');
    expect(before).not.toHaveProperty('span_id');
    expect(outer!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(outer!.traceId).not.toBe('00000000000000000000000000000000');
    expect(inOuter).toMatchObject({ trace_id: outer!.traceId, span_id: outer!.spanId });
    expect(inInner).toMatchObject({ trace_id: outer!.traceId, span_id: inner!.spanId });
    expect(inner!.spanId).not.toBe(outer!.spanId);
    expect(after).not.toHaveProperty('trace_id');
    expect(after).not.toHaveProperty('span_id');
  });

  it('keeps the span across awaits', async () => {
    const destination = memoryDestination();
    const log = createLogger('quality', { destination });
    const spanId = await trace.getTracer('logger-spec').startActiveSpan('async', async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.info('later');
      span.end();
      return span.spanContext().spanId;
    });
    expect(destination.lines[0]).toMatchObject({ span_id: spanId });
  });

  it('redacts credentials, headers and payloads', () => {
    const destination = memoryDestination();
    const log = createLogger('ingest', { destination });
    log.info(
      {
        apiKey: 'ak_live_secret',
        tenant: { id: 't1', apiKey: 'ak_nested_secret' },
        key: 'raw-key',
        headers: { 'x-api-key': 'hdr-secret', authorization: 'Bearer token', accept: 'application/json' },
        req: { method: 'POST', headers: { 'x-api-key': 'req-secret', authorization: 'Basic abc' } },
        content: 'bytes',
        file: { name: 'a.jpg', content: 'more bytes', chunk: 'part' },
        payload: 'event',
        message: { payload: 'nested event' },
      },
      'upload',
    );
    const line = destination.lines[0]!;
    const text = JSON.stringify(line);
    for (const secret of [
      'ak_live_secret',
      'ak_nested_secret',
      'raw-key',
      'hdr-secret',
      'Bearer token',
      'req-secret',
      'Basic abc',
      'more bytes',
      'nested event',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(line).toMatchObject({
      apiKey: '[redacted]',
      tenant: { id: 't1', apiKey: '[redacted]' },
      key: '[redacted]',
      headers: { 'x-api-key': '[redacted]', authorization: '[redacted]', accept: 'application/json' },
      req: { method: 'POST', headers: { 'x-api-key': '[redacted]', authorization: '[redacted]' } },
      content: '[redacted]',
      file: { name: 'a.jpg', content: '[redacted]', chunk: '[redacted]' },
      payload: '[redacted]',
      message: { payload: '[redacted]' },
    });
  });

  it('redacts personal data and replaces binary values (image bytes) by their size, at any name', () => {
    const destination = memoryDestination();
    const log = createLogger('standardize', { destination });
    const jpegStart = Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x41, 0x42]);
    log.info(
      {
        gps: { latitude: 51.50322, longitude: -0.11957 },
        exif: { Artist: 'Jane Photographer', SerialNumber: 'SN-889900' },
        subject: { subjectRef: 'person-4711', email: 'jane@example.com' },
        thumbnail: jpegStart,
        nested: { deeper: { pixels: new Uint8Array(1024), list: [jpegStart] } },
        imageId: 'img-1',
      },
      'standardized',
    );
    const line = destination.lines[0]!;
    const text = JSON.stringify(line);
    for (const personal of [
      '51.50322',
      '-0.11957',
      'Jane Photographer',
      'SN-889900',
      'person-4711',
      'jane@',
    ]) {
      expect(text).not.toContain(personal);
    }
    expect(line).toMatchObject({
      gps: '[redacted]',
      exif: '[redacted]',
      subject: { subjectRef: '[redacted]', email: '[redacted]' },
      thumbnail: '[6 bytes]',
      nested: { deeper: { pixels: '[1024 bytes]', list: ['[6 bytes]'] } },
      imageId: 'img-1',
    });
  });

  it('filters by the level given, else LOG_LEVEL, else info', () => {
    const given = memoryDestination();
    const warnOnly = createLogger('s', { level: 'warn', destination: given });
    warnOnly.info('dropped');
    warnOnly.warn('kept');
    warnOnly.error('kept too');
    expect(given.lines.map((line) => line['msg'])).toEqual(['kept', 'kept too']);

    process.env['LOG_LEVEL'] = 'debug';
    const fromEnv = memoryDestination();
    const debug = createLogger('s', { destination: fromEnv });
    debug.trace('dropped');
    debug.debug('kept');
    expect(fromEnv.lines.map((line) => [line['level'], line['msg']])).toEqual([['debug', 'kept']]);

    delete process.env['LOG_LEVEL'];
    const byDefault = memoryDestination();
    const info = createLogger('s', { destination: byDefault });
    info.debug('dropped');
    info.info('kept');
    expect(byDefault.lines.map((line) => line['msg'])).toEqual(['kept']);
  });

  it('refuses an unknown level, naming it', () => {
    expect(() => createLogger('s', { level: 'loud' })).toThrow(/unknown log level "loud"/);
  });
});
