export { ConfigError, hostPortList, int, loadConfig, mongoUri, oneOf, str } from './config';
export type { ConfigOf, Env, Field } from './config';
export { blobStoreSchema, infraSchema, serviceIdentitySchema } from './infra';
