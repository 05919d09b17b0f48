import type { ServerResponse } from 'node:http';
import type { Logger } from '@aperture/telemetry';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { ApiError } from './api-error';
import { type ErrorBody, httpErrorResponse } from './http-errors';

interface HttpResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
}

/**
 * Any exception as the API's error answer: `{"error": {"code", "message", "details"?, "field"?}}`
 * with its status. ApiError keeps its code (and the field it names, campaigns' API); Nest's HttpExceptions (unknown route, bad JSON) and body-parser
 * errors (too large, too deep, bad encoding) get what every service answers (`httpErrorResponse`);
 * anything else is a 500 whose message reveals nothing.
 */
export function toErrorResponse(exception: unknown): { status: number; body: ErrorBody } {
  if (exception instanceof ApiError) {
    return {
      status: exception.httpStatus,
      body: {
        error: {
          code: exception.code,
          message: exception.message,
          ...(exception.details && { details: exception.details }),
          ...(exception.field && { field: exception.field }),
        },
      },
    };
  }
  return (
    httpErrorResponse(exception) ?? {
      status: 500,
      body: { error: { code: 'internal', message: 'internal error' } },
    }
  );
}

/**
 * The body with every secret taken out of its messages: anything shaped like an API key, and each
 * of `secrets` (the admin token). The messages are built not to repeat what a client sent, but a
 * library's message might (a parser quoting its input); this is the last guard.
 */
export function redactSecrets(body: ErrorBody, secrets: readonly string[]): ErrorBody {
  const redact = (text: string) => {
    let clean = text.replace(/apk_[A-Za-z0-9_-]{4,}/g, 'apk_[redacted]');
    for (const secret of secrets) if (secret.length >= 8) clean = clean.split(secret).join('[redacted]');
    return clean;
  };
  const { details, ...error } = body.error;
  return {
    error: {
      ...error,
      code: redact(error.code),
      message: redact(error.message),
      ...(details !== undefined && { details: JSON.parse(redact(JSON.stringify(details))) as unknown }),
    },
  };
}

/**
 * The one exception filter of every service's HTTP routes (health's included): the error answer of
 * `toErrorResponse` with secrets redacted, `Retry-After` on rate_limited, server faults logged.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  /** `secrets`: values never to appear in an error body (the admin token, the service token). */
  constructor(
    private readonly log: Pick<Logger, 'error'>,
    private readonly secrets: readonly string[] = [],
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const { status, body } = toErrorResponse(exception);
    if (status >= 500 && status !== 503) this.log.error({ err: exception }, 'request failed');
    if (response.headersSent) {
      response.end();
      return;
    }
    if (exception instanceof ApiError && exception.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    response.status(status).json(redactSecrets(body, this.secrets));
  }
}
