// Test support (not built into the services): a stage started against the real infrastructure, and
// a StageContext without one for unit tests of stage handlers.
export { startStageHarness } from './harness';
export type { StageHarness } from './harness';
export { fakeStageContext } from './fake-context';
export type { FakeStageContext } from './fake-context';
