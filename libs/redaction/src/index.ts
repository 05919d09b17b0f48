export { expandBox, iou, mergeBoxes, planTiles } from './boxes';
export type { Box, ScoredBox, Tile, TilePlanOptions } from './boxes';
export { createFaceDetector, DEFAULT_MIN_SCORE } from './face-detector.repository';
export type {
  DetectorModel,
  FaceDetection,
  FaceDetector,
  FaceDetectorOptions,
  RawImage,
} from './face-detector.repository';
export { blockSize, DEFAULT_REDACTION, REDACTION_METHODS, redactPixels } from './redact';
export type { RawPixels, RedactionMethod, RedactionOptions } from './redact';
export { detectAndRedact, encodePixels, redactEncoded } from './redact-image';
export type { EncodedImage } from './redact-image';
