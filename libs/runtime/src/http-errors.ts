import { HttpException } from '@nestjs/common';

/** Every service's error answer: `{"error": {"code", "message", "details"?, "field"?}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; field?: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** The machine code of an HTTP status that did not come from a service's own error type. */
export function codeForHttpStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 408:
      return 'request_timeout';
    case 409:
      return 'conflict';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'too_many_requests';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : 'invalid_request';
  }
}

/** The 413 every service answers, whether refused by Content-Length or while reading. */
export function tooLargeMessage(limit: number): string {
  return `the request body is larger than the limit of ${limit} bytes`;
}

/**
 * The answer to an exception that is not a service's own error type, the same on every service:
 * Nest's HttpExceptions (an unknown route: 404 `not_found`) with the code of their status, and the
 * errors of Express middleware (body-parser: 413 `too_large` naming the limit, malformed or too
 * deeply nested JSON: 400 `invalid_request`) with theirs. Undefined for anything else: the caller
 * logs it and answers 500 `internal` with no detail.
 */
export function httpErrorResponse(exception: unknown): { status: number; body: ErrorBody } | undefined {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    // Already in the API's shape (the readiness probe's 503 is).
    if (isErrorBody(response)) return { status, body: response };
    return { status, body: errorBody(codeForHttpStatus(status), httpMessage(status, response)) };
  }
  const status = clientErrorStatus(exception);
  if (status === undefined) return undefined;
  return { status, body: errorBody(codeForHttpStatus(status), clientErrorMessage(exception)) };
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
 * The message of a body-parser (http-errors) error: the size limit named with its figure;
 * otherwise its own message when it is meant for clients (`expose`) and does not quote the body.
 */
function clientErrorMessage(exception: unknown): string {
  const { type, limit, expose, message } = exception as {
    type?: unknown;
    limit?: unknown;
    expose?: boolean;
    message?: unknown;
  };
  if (type === 'entity.too.large' && typeof limit === 'number') return tooLargeMessage(limit);
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
