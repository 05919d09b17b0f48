export { AXES, BUCKETS, bucketsOf, DESCRIPTOR_VERSION, describeContent } from './describe';
export type { Axis, BucketSource, ContentDescriptors, DescribeInput, ViewpointBucket } from './describe';
export { ANIMALS, contentOf, occlusionOf, subjectDistance, touchesFrame, VEHICLES } from './framing';
export type { ContentBucket, DetectedBox, DetectedObject, DistanceBucket, OcclusionBucket } from './framing';
export { lightingOf } from './lighting';
export type { Lighting, Place, TimeOfDay } from './lighting';
export { DESCRIPTOR_SIDE, lumaOf, meanIn } from './pixels';
export type { SmallImage } from './pixels';
export { headPose, viewOf } from './pose';
export type { HeadPose, ViewBucket } from './pose';
export { cameraTilt, SCENE_DIMENSIONS, sceneCluster, sceneDescriptor, sceneDistance } from './scene';
export {
  addContribution,
  checkCoverage,
  contributionOf,
  coverageOf,
  emptyCounts,
  mergeCounts,
} from './coverage';
export type {
  BucketShare,
  Coverage,
  CoverageCheck,
  CoverageContribution,
  CoverageCounts,
  CoverageTargets,
} from './coverage';
