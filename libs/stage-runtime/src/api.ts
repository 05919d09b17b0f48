import { status } from '@grpc/grpc-js';
import { type ErrorBody, errorBody, httpErrorResponse } from '@aperture/runtime';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { StageContext } from './run-stage';

export type StageApiErrorCode =
  'invalid_request' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'failed_precondition';

const httpStatusOf: Record<StageApiErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  failed_precondition: 409,
};
const grpcStatusOf: Record<StageApiErrorCode, status> = {
  invalid_request: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  conflict: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
};

/** A refusal of a stage's API, the same over REST (`{"error": {code, message, details}}`) and gRPC. */
export class StageApiError extends Error {
  constructor(
    readonly code: StageApiErrorCode,
    message: string,
    readonly details?: Array<{ field: string; message: string }>,
  ) {
    super(message);
    this.name = 'StageApiError';
  }
  get httpStatus(): number {
    return httpStatusOf[this.code];
  }
  get grpcStatus(): status {
    return grpcStatusOf[this.code];
  }
  /** The message with its field details, for transports without structured details (gRPC). */
  get fullMessage(): string {
    return this.details?.length
      ? `${this.message}: ${this.details.map((detail) => `${detail.field} ${detail.message}`).join('; ')}`
      : this.message;
  }
}

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
    if (exception instanceof StageApiError) {
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
