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
export { hold, next, reject, retry, skip } from './stage-handler';
export type { EventOf, MessageContext, Settled, StageHandler, StageOutcome } from './stage-handler';
export { decodeOptions, MAX_INPUT_PIXELS, sharp } from '@aperture/imaging';
export { CallerGuard, CallerOf, Callers } from './http-auth';
export {
  ANNOTATOR_TOKEN_HEADER,
  annotatorFor,
  API_KEY_HEADER,
  authenticateCaller,
  grpcAuthenticator,
  httpHeaders,
  metadataHeaders,
  tenantFor,
} from './caller';
export type { Caller, CallerKind, ExtraCredential, HeaderOf } from './caller';
