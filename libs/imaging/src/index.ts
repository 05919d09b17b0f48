export { decodeOptions, MAX_INPUT_PIXELS, sharp } from './sharp';
