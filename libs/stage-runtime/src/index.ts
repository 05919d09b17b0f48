export { startStage, runStage } from './run-stage';
export type { RunningStage, StageContext, StageOptions, StartOverrides } from './run-stage';
export {
  blobRef,
  completeStage,
  decodeEvent,
  pendingEvent,
  projectNotFound,
  rejection,
  readStageRecord,
} from './events';
export type { StageStart } from './events';
export { decodeOptions, MAX_INPUT_PIXELS, sharp } from '@aperture/imaging';
export { startStageHarness } from './harness';
export type { StageHarness } from './harness';
export { StageApiError, StageApiErrorFilter } from './api';
export {
  ANNOTATOR_TOKEN_HEADER,
  annotatorFor,
  annotatorOfToken,
  API_KEY_HEADER,
  authenticateCaller,
  grpcAuthenticator,
  httpHeaders,
  metadataHeaders,
  tenantFor,
  tenantOfApiKey,
} from './caller';
export type { Caller, CallerKind, ExtraCredential, HeaderOf } from './caller';
export type { StageApiErrorCode } from './api';
