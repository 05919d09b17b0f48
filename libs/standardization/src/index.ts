export { planGeometry, targetBox } from './geometry';
export type { Edges, GeometryPlan, Region, Size } from './geometry';
export { readSourceMetadata } from './metadata';
export type { SourceMetadata } from './metadata';
export { encodings, specMessage, standardizeImage, StandardizeRefused } from './standardize';
export type { Operation, Standardized, StandardizeSpec } from './standardize';
export { clearMetadata } from './clear';
export type { Cleared } from './clear';
