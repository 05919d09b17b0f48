import { ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { ApiError, type ApiErrorDetail } from './api-error';

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

/**
 * Every service's validation of request bodies declared as DTO classes (class-validator): an
 * unknown field or a bad value is `400 invalid_request` "invalid request body" with one
 * `{field, message}` detail per fault. A body declared `unknown` is left to its route.
 */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => ApiError.invalid('invalid request body', validationDetails(errors)),
  });
}
