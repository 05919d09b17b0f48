export { CuratedConsumer } from './consumer';
export type { CuratedConsumerOptions, CuratedHandler, ErasedHandler } from './consumer';
export { CuratedDecodeError, decodeCurated } from './curated-image';
export type { Box, CuratedImage, Label, Split } from './curated-image';
