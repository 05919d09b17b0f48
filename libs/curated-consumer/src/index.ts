export { CuratedDecodeError, decodeCurated } from './curated-image';
export type { Box, CuratedImage, Label, Split } from './curated-image';
