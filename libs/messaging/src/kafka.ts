import { Kafka, logLevel as KafkaLogLevel, type LogEntry, type logCreator } from 'kafkajs';
import './kafkajs-idle-loop';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogSink = (level: LogLevel, message: string, fields: Record<string, unknown>) => void;

export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  /** Where kafkajs's own log lines go; by default JSON lines on stderr. */
  log?: LogSink;
  logLevel?: LogLevel;
}

const toKafkaLevel: Record<LogLevel, KafkaLogLevel> = {
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

const fromKafkaLevel = (level: KafkaLogLevel): LogLevel =>
  level <= KafkaLogLevel.ERROR
    ? 'error'
    : level === KafkaLogLevel.WARN
      ? 'warn'
      : level === KafkaLogLevel.INFO
        ? 'info'
        : 'debug';

const stderrSink: LogSink = (level, message, fields) =>
  process.stderr.write(`${JSON.stringify({ level, msg: message, ...fields })}\n`);

/** The one place a kafkajs client is constructed, so every service gets the same settings. */
export function createKafka(options: KafkaOptions): Kafka {
  const sink = options.log ?? stderrSink;
  const creator: logCreator =
    () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      sink(fromKafkaLevel(level), message, { component: `kafkajs.${namespace}`, ...fields });
    };
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: toKafkaLevel[options.logLevel ?? 'warn'],
    logCreator: creator,
    connectionTimeout: 3000,
    // Transient broker errors (a coordinator still loading, a leader moving) are retried with backoff.
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 },
  });
}
