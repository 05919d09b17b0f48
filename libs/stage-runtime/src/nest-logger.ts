import type { Logger } from '@aperture/telemetry';
import type { LoggerService } from '@nestjs/common';

/** Nest's own log lines (start-up, routes) through the service's pino logger, as JSON. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...context: unknown[]): void {
    this.logger.debug({ component: context.at(-1) }, String(message));
  }

  error(message: unknown, ...context: unknown[]): void {
    this.logger.error(
      { component: context.at(-1), detail: context.length > 1 ? context[0] : undefined },
      String(message),
    );
  }

  warn(message: unknown, ...context: unknown[]): void {
    this.logger.warn({ component: context.at(-1) }, String(message));
  }

  debug(message: unknown, ...context: unknown[]): void {
    this.logger.debug({ component: context.at(-1) }, String(message));
  }

  verbose(message: unknown, ...context: unknown[]): void {
    this.logger.trace({ component: context.at(-1) }, String(message));
  }
}
