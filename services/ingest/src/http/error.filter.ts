import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Logger } from '@aperture/telemetry';
import { ApiError, codeForHttpStatus } from '../errors';
import type { HttpResponse } from './types';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * Any exception as the API's error answer: `{"error": {"code", "message", "details"?}}` with its
 * status. ApiError keeps its code; Nest's HttpExceptions (unknown route, bad JSON) get the code of
 * their status; body-parser errors (too large, bad encoding) their status; anything else is a 500
 * whose message reveals nothing.
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
        },
      },
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    // Already in the API's shape (the readiness probe's 503 is).
    if (isErrorBody(response)) return { status, body: response };
    return {
      status,
      body: { error: { code: codeForHttpStatus(status), message: httpMessage(status, response) } },
    };
  }
  const status = clientErrorStatus(exception);
  if (status !== undefined) {
    return {
      status,
      body: { error: { code: codeForHttpStatus(status), message: clientErrorMessage(exception) } },
    };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
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

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  /** `secrets`: values never to appear in an error body (the admin token). */
  constructor(
    private readonly log: Logger,
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

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return (
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
  );
}

function httpMessage(status: number, response: unknown): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown } | null)?.message;
  if (typeof message === 'string') {
    // body-parser's SyntaxError arrives as a BadRequestException carrying the parser's message,
    // which quotes the body (V8: `Unexpected token 'x', "..." is not valid JSON`): only where the
    // error is, never what the body held, goes back.
    if (status === 400 && /JSON/.test(message)) return malformedJson(message);
    return message;
  }
  if (Array.isArray(message)) return message.map(String).join('; ');
  return `HTTP ${status}`;
}

function malformedJson(parserMessage: string): string {
  const position = /position (\d+)/.exec(parserMessage)?.[1];
  return position === undefined ? 'malformed JSON body' : `malformed JSON body (at position ${position})`;
}

/**
 * The message of a body-parser (http-errors) error: the JSON size limit named with its figure;
 * otherwise its own message when it is meant for clients (`expose`) and does not quote the body.
 */
function clientErrorMessage(exception: unknown): string {
  const { type, limit, expose, message } = exception as {
    type?: unknown;
    limit?: unknown;
    expose?: boolean;
    message?: unknown;
  };
  if (type === 'entity.too.large' && typeof limit === 'number') {
    return `the request body is larger than the limit of ${limit} bytes`;
  }
  if (type === 'entity.parse.failed' && typeof message === 'string') return malformedJson(message);
  return expose && typeof message === 'string' ? message : 'bad request';
}

/** The 4xx status of an error raised by Express middleware (body-parser's http-errors), if any. */
function clientErrorStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { status, statusCode } = exception as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : undefined;
  return value !== undefined && value >= 400 && value < 500 ? value : undefined;
}
