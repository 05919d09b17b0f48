import { IsArray, IsOptional, IsString } from 'class-validator';

// The compliance API's request bodies, validated by every service's pipe (apiValidationPipe):
// an unknown field or a value of the wrong type is a 400 naming the field.

/** POST /v1/consents: a consent record; the tenant is the caller's. */
export class RegisterConsentDto {
  @IsOptional() @IsString() consentId?: string;
  @IsOptional() @IsString() subjectRef?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) scopes?: string[];
  @IsOptional() @IsString() purpose?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) regions?: string[];
  @IsOptional() @IsString() grantedAt?: string;
  @IsOptional() @IsString() expiresAt?: string;
  @IsOptional() @IsString() evidenceRef?: string;
}

/** POST /v1/erasures: one of an image, a batch or a consent whose images are to be erased. */
export class RequestErasureDto {
  @IsOptional() @IsString() imageId?: string;
  @IsOptional() @IsString() batchId?: string;
  @IsOptional() @IsString() consentId?: string;
}
