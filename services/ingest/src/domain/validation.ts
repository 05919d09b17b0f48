import type { PolicyError } from '@aperture/policy';
import type { ApiErrorDetail } from '../errors';

/** resolvePolicy's errors as API details, each field under `policy.`. */
export function policyDetails(errors: PolicyError[]): ApiErrorDetail[] {
  return errors.map(({ field, message }) => ({
    field: field === 'policy' ? 'policy' : `policy.${field}`,
    message,
  }));
}
