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
    const message = (exception as { expose?: boolean; message?: string }).expose
      ? String((exception as { message?: string }).message)
      : 'bad request';
    return { status, body: { error: { code: codeForHttpStatus(status), message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const { status, body } = toErrorResponse(exception);
    if (status >= 500 && status !== 503) this.log.error({ err: exception }, 'request failed');
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(status).json(body);
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
    // body-parser's SyntaxError arrives as a BadRequestException carrying the parser's message.
    if (status === 400 && /JSON/.test(message)) return `malformed JSON body: ${message}`;
    return message;
  }
  if (Array.isArray(message)) return message.map(String).join('; ');
  return `HTTP ${status}`;
}

/** The 4xx status of an error raised by Express middleware (body-parser's http-errors), if any. */
function clientErrorStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { status, statusCode } = exception as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : undefined;
  return value !== undefined && value >= 400 && value < 500 ? value : undefined;
}
