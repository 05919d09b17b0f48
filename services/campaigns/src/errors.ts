import { ApiError, type ApiErrorCode } from '@aperture/runtime';

/**
 * A refusal of the campaigns API: REST `{"error": {code, message, field?}}`, or the gRPC status of
 * the shared code table (@aperture/runtime ApiError).
 */
export class CampaignError extends ApiError {
  constructor(code: ApiErrorCode, message: string, field?: string) {
    super(code, message);
    this.name = 'CampaignError';
    if (field) this.field = field;
  }
}
