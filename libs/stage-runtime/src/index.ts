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
export { StageApiError, StageApiErrorFilter, tenantOfApiKey } from './api';
export type { StageApiErrorCode } from './api';
