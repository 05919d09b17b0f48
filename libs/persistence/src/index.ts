export { connectMongo, syncModelIndexes } from './connection';
export type { MongoConnectionOptions } from './connection';
export { DuplicateKeyError, isDuplicateKeyError, translateWriteError } from './errors';
export { duplicateKeyErrorPlugin } from './plugins';
export {
  imageRecordModel,
  imageRecordSchema,
  isSettledStatus,
  listBucketOf,
  listKeyOf,
} from './records/image-record';
export type {
  CampaignUploadRecord,
  ErasureMark,
  ImageRecord,
  ImageStatus,
  OutboxEntry,
  RawBlob,
  StoredReason,
} from './records/image-record';
export { ImageRecordNotFoundError, ImageRecords, initialRecord, statusEvent } from './records/image-records';
export type {
  ImageRecordsOptions,
  NewImageRecord,
  PendingEvent,
  RecordSeen,
  RecordState,
  StageCompletion,
} from './records/image-records';
export { OUTBOX_EVENT_ID_HEADER, OutboxClaims } from './records/outbox-claims';
export type { OutboxClaim, OutboxPublisher } from './records/outbox-claims';
export { OutboxRelay } from './records/outbox-relay';
export type { OutboxRelayOptions } from './records/outbox-relay';
export { ProjectPolicies, projectRecordModel, projectRecordSchema } from './records/project-record';
export type { ProjectRecord } from './records/project-record';
export { CoverageCounters } from './content-coverage/coverage-counters';
export type {
  CoverageCounterDoc,
  CoverageIncrement,
  CoverageScope,
} from './content-coverage/coverage-counters';
