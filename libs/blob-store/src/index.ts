export { BlobNotFoundError, BlobTooLargeError, contentAddressedKey, InvalidBlobKeyError } from './blob-store';
export type { BlobStore, StoredBlob } from './blob-store';
export { createBlobStore } from './create-blob-store';
export { LocalBlobStore } from './local-blob-store';
