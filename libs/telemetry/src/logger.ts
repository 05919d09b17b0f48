import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';

/**
 * Paths whose values never reach a log line: credentials, and image bytes or message payloads
 * (large, and possibly personal data). `*` matches one level: `*.apiKey` covers `{ tenant: { apiKey } }`.
 */
const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  'key',
  'headers["x-api-key"]',
  'headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'content',
  '*.content',
  'chunk',
  '*.chunk',
  'payload',
  '*.payload',
  // Personal data: where a photo was taken and who is in it or took it.
  'gps',
  '*.gps',
  'exif',
  '*.exif',
  'latitude',
  '*.latitude',
  'longitude',
  '*.longitude',
  'email',
  '*.email',
  'subjectRef',
  '*.subjectRef',
];

/** Nesting depth down to which binary values are replaced (log fields are shallow objects). */
const BINARY_SCAN_DEPTH = 4;

/**
 * A JSON logger for `service`. Every line carries `service`, and, when written inside an active
 * span, `trace_id` and `span_id` (so a line can be found from its trace and the other way round).
 *
 * `options.level` is the minimum level written (default `LOG_LEVEL` from the environment, else
 * `info`); `options.destination` is where lines go (default stdout).
 */
export function createLogger(
  service: string,
  options: { level?: string; destination?: pino.DestinationStream } = {},
): pino.Logger {
  const level = options.level ?? (process.env['LOG_LEVEL']?.trim() || 'info');
  if (!Object.hasOwn(pino.levels.values, level) && level !== 'silent') {
    throw new Error(
      `unknown log level "${level}": expected one of ${Object.keys(pino.levels.values).join(', ')} or silent`,
    );
  }
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: withoutBinary },
      mixin: traceFields,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination,
  );
}

function traceFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * Replaces buffers and typed arrays (image bytes, encoded events) with their size, whatever the
 * field is called: a redaction list can only name the fields someone thought of.
 */
function withoutBinary(fields: Record<string, unknown>): Record<string, unknown> {
  return replaceBinary(fields, BINARY_SCAN_DEPTH) as Record<string, unknown>;
}

function replaceBinary(value: unknown, depth: number): unknown {
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (depth === 0 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => replaceBinary(item, depth - 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const replaced = replaceBinary(item, depth - 1);
    if (replaced !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = replaced;
  }
  return copy ?? value;
}
