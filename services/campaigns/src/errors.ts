import { status } from '@grpc/grpc-js';

export type CampaignErrorCode =
  'invalid_request' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict';

const httpStatusOf: Record<CampaignErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
};
const grpcStatusOf: Record<CampaignErrorCode, status> = {
  invalid_request: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  conflict: status.FAILED_PRECONDITION,
};

/** A refusal of the campaigns API: REST `{"error": {code, message, field?}}`, or a gRPC status. */
export class CampaignError extends Error {
  constructor(
    readonly code: CampaignErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'CampaignError';
  }
  get httpStatus(): number {
    return httpStatusOf[this.code];
  }
  get grpcStatus(): status {
    return grpcStatusOf[this.code];
  }
}
