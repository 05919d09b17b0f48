import { ApiError, type ApiErrorCode, type ErrorBody, errorBody, httpErrorResponse } from '@aperture/runtime';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { StageContext } from './run-stage';

/** The stages' API errors are every service's: one class, one code table (@aperture/runtime). */
export { ApiError as StageApiError };
export type StageApiErrorCode = ApiErrorCode;

interface Reply {
  status(code: number): Reply;
  json(body: unknown): void;
  headersSent?: boolean;
  end(): void;
}

/**
 * Errors as `{"error": {"code", "message", "details"?}}`, like ingest's API: a StageApiError with its
 * code, Nest's and body-parser's errors as every service answers them (`httpErrorResponse`), anything
 * unexpected a logged 500.
 */
@Catch()
export class StageApiErrorFilter implements ExceptionFilter {
  constructor(private readonly ctx: StageContext) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<Reply>();
    let status = 500;
    let body: ErrorBody = errorBody('internal', 'internal error');
    if (exception instanceof ApiError) {
      status = exception.httpStatus;
      body = {
        error: {
          code: exception.code,
          message: exception.message,
          ...(exception.details && { details: exception.details }),
        },
      };
    } else {
      const answer = httpErrorResponse(exception);
      if (answer) ({ status, body } = answer);
      else this.ctx.log.error({ err: exception }, 'request failed');
    }
    if (reply.headersSent) return reply.end();
    reply.status(status).json(body);
  }
}
