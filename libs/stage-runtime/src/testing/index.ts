// Test support (not built into the services): a stage started against the real infrastructure.
export { startStageHarness } from './harness';
export type { StageHarness } from './harness';
