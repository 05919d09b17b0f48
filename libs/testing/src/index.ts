export { containerEngineAvailable, resolveTestInfra, s3Env } from './infra';
export type { InfraSource, S3Settings, TestInfra } from './infra';
export { testInfraEnv } from './env';
export { uniqueName } from './names';
export { waitFor } from './wait';
export { corpusFiles, corpusPath } from './corpus';
export { startPrivateInfra } from './private-infra';
export type { PrivateInfra, PrivateServer } from './private-infra';
export { freePort } from './ports';
