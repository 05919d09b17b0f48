import type { PolicyError } from '@aperture/policy';
import type { ValidationError } from 'class-validator';
import type { ApiErrorDetail } from '../errors';

/**
 * class-validator's nested errors as a flat list of `{field, message}`, the field a dotted path
 * (`declarations.consentIds`), one entry per failed constraint.
 */
export function validationDetails(errors: ValidationError[], parent = ''): ApiErrorDetail[] {
  const details: ApiErrorDetail[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      details.push({ field, message: stripProperty(message, error.property) });
    }
    if (error.children && error.children.length > 0)
      details.push(...validationDetails(error.children, field));
  }
  return details;
}

/** class-validator messages start with the property name ("name must be a string"); the field says it already. */
function stripProperty(message: string, property: string): string {
  for (const lead of [`${property} `, `property ${property} `]) {
    if (message.startsWith(lead)) return message.slice(lead.length);
  }
  return message;
}

/** resolvePolicy's errors as API details, each field under `policy.`. */
export function policyDetails(errors: PolicyError[]): ApiErrorDetail[] {
  return errors.map(({ field, message }) => ({
    field: field === 'policy' ? 'policy' : `policy.${field}`,
    message,
  }));
}
