import { StageApiError, type StageApiErrorCode } from '@aperture/stage-runtime';

export type AnnotationErrorCode = StageApiErrorCode;

/** A refusal of the annotation API, the same over REST (`{"error": {code, message, details}}`) and gRPC. */
export class AnnotationError extends StageApiError {
  constructor(
    code: AnnotationErrorCode,
    message: string,
    details?: Array<{ field: string; message: string }>,
  ) {
    super(code, message, details);
    this.name = 'AnnotationError';
  }
}
