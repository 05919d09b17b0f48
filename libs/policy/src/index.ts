// A project's policy: its sections, their defaults and validation (pure: no database, no pixels).
export {
  defaultPolicy,
  MOTION_BLUR_MIN_WIDTH,
  policyJsonSchema,
  storedPolicy,
  resolvePolicy,
  standardizeMetadataFields,
} from './project-policy';
export type {
  PolicyError,
  ProjectPolicy,
  QualityPolicy,
  StandardizeFit,
  StandardizeFormat,
  StandardizeMetadataField,
  StandardizePolicy,
} from './project-policy';
export {
  annotationTaskTypes,
  attributeTypes,
  defaultAnnotationPolicy,
  defaultDatasetPolicy,
} from './annotation-policy';
export type {
  AnnotationPolicy,
  AnnotationTaskType,
  AttributeType,
  DatasetPolicy,
  DiversityTargets,
  LabelAttribute,
  RoutingRule,
} from './annotation-policy';
export {
  compliancePresets,
  defaultCompliancePolicy,
  peopleRules,
  presetRegions,
  redactionMethods,
  regionGroups,
  regionLineage,
  regionRuleFor,
} from './compliance-policy';
export type {
  CompliancePolicy,
  CompliancePreset,
  PeopleRule,
  RedactionMethod,
  RedactionPolicy,
  RegionRule,
} from './compliance-policy';
