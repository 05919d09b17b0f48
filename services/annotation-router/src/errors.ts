import { status } from '@grpc/grpc-js';

export type AnnotationErrorCode =
  'invalid_request' | 'unauthenticated' | 'not_found' | 'conflict' | 'failed_precondition';

const httpStatusOf: Record<AnnotationErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  not_found: 404,
  conflict: 409,
  failed_precondition: 409,
};
const grpcStatusOf: Record<AnnotationErrorCode, status> = {
  invalid_request: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  not_found: status.NOT_FOUND,
  conflict: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
};

/** A refusal of the annotation API, the same over REST (`{"error": {code, message, details}}`) and gRPC. */
export class AnnotationError extends Error {
  constructor(
    readonly code: AnnotationErrorCode,
    message: string,
    readonly details?: Array<{ field: string; message: string }>,
  ) {
    super(message);
    this.name = 'AnnotationError';
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
