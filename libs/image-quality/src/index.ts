// The quality stage's judgement, as pure code over bytes and pixels: the quality service runs it on
// the stream, the CLI on local files. Storage of the duplicate index is the caller's (a MongoDB
// implementation lives in the quality service; MemoryDuplicateIndex serves one process).
export { assessImage, DEFAULT_DELIVERED_LONG_SIDE } from './assess';
export type { AssessOptions, Assessment, DuplicateScope } from './assess';
export { analysisLongSide, deliveredLongSide } from './analysis-raster';
export { OVEREXPOSED_SHADOW_FLOOR } from './judge';
export { MAX_ANALYSIS_SIZE, MIN_ANALYSIS_SIZE } from './metrics';
export type { QualityMetrics } from './metrics';
export * from './duplicates';
