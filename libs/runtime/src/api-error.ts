import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * The machine codes of every service's API errors (REST `{"error": {code, message, details?}}` and
 * gRPC), each with its one HTTP status and one gRPC status: `conflict` (the thing exists already)
 * is ALREADY_EXISTS, a state that forbids the call `failed_precondition` (or a named code).
 */
export type ApiErrorCode =
  | 'invalid_request'
  | 'malformed_multipart'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'batch_closed'
  | 'conflict'
  | 'failed_precondition'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'campaign_not_found'
  | 'campaign_closed'
  | 'campaign_cell_full'
  | 'campaign_no_cell'
  | 'collector_not_verified'
  | 'collector_cap_reached'
  | 'unavailable'
  | 'internal';

export interface ApiErrorDetail {
  field: string;
  message: string;
}

const httpStatusOf: Record<ApiErrorCode, number> = {
  invalid_request: 400,
  malformed_multipart: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  batch_closed: 409,
  conflict: 409,
  failed_precondition: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  campaign_not_found: 404,
  campaign_closed: 409,
  campaign_cell_full: 409,
  campaign_no_cell: 409,
  collector_not_verified: 403,
  collector_cap_reached: 409,
  unavailable: 503,
  internal: 500,
};

const grpcStatusOf: Record<ApiErrorCode, GrpcStatus> = {
  invalid_request: GrpcStatus.INVALID_ARGUMENT,
  malformed_multipart: GrpcStatus.INVALID_ARGUMENT,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  forbidden: GrpcStatus.PERMISSION_DENIED,
  not_found: GrpcStatus.NOT_FOUND,
  batch_closed: GrpcStatus.FAILED_PRECONDITION,
  conflict: GrpcStatus.ALREADY_EXISTS,
  failed_precondition: GrpcStatus.FAILED_PRECONDITION,
  too_large: GrpcStatus.RESOURCE_EXHAUSTED,
  unsupported_media_type: GrpcStatus.INVALID_ARGUMENT,
  rate_limited: GrpcStatus.RESOURCE_EXHAUSTED,
  campaign_not_found: GrpcStatus.NOT_FOUND,
  campaign_closed: GrpcStatus.FAILED_PRECONDITION,
  campaign_cell_full: GrpcStatus.FAILED_PRECONDITION,
  campaign_no_cell: GrpcStatus.FAILED_PRECONDITION,
  collector_not_verified: GrpcStatus.PERMISSION_DENIED,
  collector_cap_reached: GrpcStatus.FAILED_PRECONDITION,
  unavailable: GrpcStatus.UNAVAILABLE,
  internal: GrpcStatus.INTERNAL,
};

/**
 * A refusal of a service's domain, independent of the transport: the REST exception filters turn it
 * into `{"error": {"code", "message", "details"?}}` with its HTTP status, the gRPC handlers into a
 * status code (with `fullMessage`).
 */
export class ApiError extends Error {
  /** For rate_limited: whole seconds until a retry can succeed (the Retry-After header). */
  retryAfterSeconds?: number;
  /** The one request field the refusal is about, answered as `field` (the campaigns API). */
  field?: string;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ApiErrorDetail[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get httpStatus(): number {
    return httpStatusOf[this.code];
  }

  get grpcStatus(): GrpcStatus {
    return grpcStatusOf[this.code];
  }

  /** The message with its field details, for transports without structured details (gRPC). */
  get fullMessage(): string {
    return this.details?.length
      ? `${this.message}: ${this.details.map((detail) => `${detail.field} ${detail.message}`).join('; ')}`
      : this.message;
  }

  static invalid(message: string, details?: ApiErrorDetail[]): ApiError {
    return new ApiError('invalid_request', message, details);
  }

  static unauthenticated(message = 'missing, invalid or revoked API key'): ApiError {
    return new ApiError('unauthenticated', message);
  }

  /**
   * The id is repeated in the message only when it has the shape of one of our ids: a client that
   * pasted something else (a key, a token) into the path does not get it echoed back.
   */
  static notFound(what: string, id: string): ApiError {
    const named = /^(ten|key|prj|bat|img)_[a-z0-9]{1,64}$/.test(id) ? ` ${JSON.stringify(id)}` : '';
    return new ApiError('not_found', `${what}${named} not found`);
  }

  static rateLimited(retryAfterSeconds: number): ApiError {
    const error = new ApiError(
      'rate_limited',
      `too many requests for this tenant: retry in ${retryAfterSeconds} s`,
    );
    error.retryAfterSeconds = retryAfterSeconds;
    return error;
  }
}
