export {
  FINGERPRINT_COLLECTION,
  fingerprintRecordModel,
  fingerprintRecordSchema,
} from './fingerprint-record';
export type { FingerprintRecord, StoredVerdict } from './fingerprint-record';
export { MongoDuplicateIndex, mongoDuplicateIndex, newRecord } from './mongo-duplicate-index';
export type { DuplicateScopeKey, MongoDuplicateIndexOptions } from './mongo-duplicate-index';
