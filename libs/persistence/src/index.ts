export { connectMongo, syncModelIndexes } from './connection';
export type { MongoConnectionOptions } from './connection';
export { DuplicateKeyError, isDuplicateKeyError, translateWriteError } from './errors';
export { duplicateKeyErrorPlugin } from './plugins';
