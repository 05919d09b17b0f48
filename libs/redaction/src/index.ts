export { DEFAULT_TILE_PLAN, expandBox, iou, mergeBoxes, planTiles } from './boxes';
export type { Box, ScoredBox, Tile, TilePlanOptions } from './boxes';
export { createPrivacyDetector, decodeUpright, DEFAULT_DETECTION } from './detector';
export type {
  DetectionSettings,
  PrivacyDetection,
  PrivacyDetector,
  PrivacyDetectorOptions,
  RawImage,
} from './detector';
export { DEFAULT_POOL_SIZE } from './detector-pool';
export { FACE_MODEL, modelFiles, ModelFileError, OBJECT_MODEL, TEXT_MODEL, verifyModelFile } from './models';
export { COCO_CLASSES, objectBoxes } from './objects';
export type { CocoClass, ObjectBox } from './objects';
export type { ModelFile, ModelInfo } from './models';
export { blockSize, DEFAULT_REDACTION, REDACTION_METHODS, redactPixels } from './redact';
export type { RawPixels, RedactionMethod, RedactionOptions } from './redact';
export { detectAndRedact, detectAndRedactPixels, encodePixels } from './redact-image';
export type { EncodedImage } from './redact-image';
export { evalDir, evalPhotos } from './eval/eval-set';
export type { EvalPhoto, LabelledBox } from './eval/eval-set';
