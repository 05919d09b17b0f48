export { ApiError } from './api-error';
export type { ApiErrorCode, ApiErrorDetail } from './api-error';
export { instrumentBlobStore } from './blob-metrics';
export { startGrpcServer, grpcError } from './grpc-server';
export type { GrpcServiceBinding, RunningGrpcServer } from './grpc-server';
export { evaluateReadiness, HealthModule } from './health';
export type { ReadinessChecks } from './health';
export { connectPipeline, trackConsumerLag } from './pipeline';
export type { PipelineIo } from './pipeline';
export { onShutdown } from './shutdown';
export { codeForHttpStatus, errorBody, httpErrorResponse, tooLargeMessage } from './http-errors';
export type { ErrorBody } from './http-errors';
export { hardenHttp, httpLimitsSchema, jsonDepthExceeds, MAX_JSON_DEPTH } from './http-hardening';
export type { BodyLimitRoute, HardenHttpOptions, HttpLimits } from './http-hardening';
export { keepProcessAlive } from './process-guards';
export {
  authenticatedService,
  callerOf,
  secretsEqual,
  SERVICE_ANNOTATOR_HEADER,
  SERVICE_TENANT_HEADER,
  SERVICE_TOKEN_HEADER,
  serviceMetadata,
} from './grpc-auth';
export type { Authenticate } from './grpc-auth';
export {
  ANNOTATORS_COLLECTION,
  API_KEYS_COLLECTION,
  findAnnotator,
  findApiKey,
  generateApiKey,
  hashApiKey,
  KEY_PREFIX_LENGTH,
  looksLikeApiKey,
} from './credentials';
export type { AnnotatorIdentity, ApiKeyOwner, NewApiKey } from './credentials';
export { ApiExceptionFilter, redactSecrets, toErrorResponse } from './error-filter';
export { grpcStatusOf, unary } from './grpc-unary';
export { Tenant } from './tenant';
export type { TenantRequest } from './tenant';
export { apiValidationPipe, validationDetails } from './validation';
