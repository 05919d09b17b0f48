import { StageApiError, type StageApiErrorCode } from '@aperture/stage-runtime';

/** A refusal of the compliance API: 400, 401, 404 or 409 over REST, the matching gRPC status. */
export class ComplianceError extends StageApiError {
  constructor(code: StageApiErrorCode, message: string, details?: Array<{ field: string; message: string }>) {
    super(code, message, details);
    this.name = 'ComplianceError';
  }
}
