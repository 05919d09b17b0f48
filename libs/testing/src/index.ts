export { containerEngineAvailable, resolveTestInfra } from './infra';
export type { InfraSource, TestInfra } from './infra';
export { testInfraEnv } from './env';
export { uniqueName } from './names';
export { waitFor } from './wait';
export { corpusPath } from './corpus';
