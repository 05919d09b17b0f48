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
];

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
      formatters: { level: (label) => ({ level: label }) },
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
