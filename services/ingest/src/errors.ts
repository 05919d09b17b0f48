// The ingest API's errors are every service's (one class, one code table: @aperture/runtime).
export { ApiError } from '@aperture/runtime';
export type { ApiErrorCode, ApiErrorDetail } from '@aperture/runtime';
