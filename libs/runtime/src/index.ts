export { instrumentBlobStore } from './blob-metrics';
export { startGrpcServer, grpcError } from './grpc-server';
export type { GrpcServiceBinding, RunningGrpcServer } from './grpc-server';
export { evaluateReadiness, HealthModule } from './health';
export type { ReadinessChecks } from './health';
export { connectPipeline, trackConsumerLag } from './pipeline';
export type { PipelineIo } from './pipeline';
export { onShutdown } from './shutdown';
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
