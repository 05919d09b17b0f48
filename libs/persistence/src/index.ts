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
export {
  defaultPolicy,
  MOTION_BLUR_MIN_WIDTH,
  policyJsonSchema,
  resolvePolicy,
  standardizeMetadataFields,
} from './records/project-policy';
export type {
  PolicyError,
  ProjectPolicy,
  QualityPolicy,
  StandardizeFit,
  StandardizeFormat,
  StandardizeMetadataField,
  StandardizePolicy,
} from './records/project-policy';
export {
  annotationTaskTypes,
  attributeTypes,
  defaultAnnotationPolicy,
  defaultDatasetPolicy,
} from './records/annotation-policy';
export type {
  AnnotationPolicy,
  AnnotationTaskType,
  AttributeType,
  DatasetPolicy,
  DiversityTargets,
  LabelAttribute,
  RoutingRule,
} from './records/annotation-policy';
export {
  ProjectPolicies,
  projectRecordModel,
  projectRecordSchema,
  storedPolicy,
} from './records/project-record';
export type { ProjectRecord } from './records/project-record';
export {
  compliancePresets,
  defaultCompliancePolicy,
  peopleRules,
  presetRegions,
  redactionMethods,
  regionGroups,
  regionLineage,
  regionRuleFor,
} from './records/compliance-policy';
export type {
  CompliancePolicy,
  CompliancePreset,
  PeopleRule,
  RedactionMethod,
  RedactionPolicy,
  RegionRule,
} from './records/compliance-policy';
