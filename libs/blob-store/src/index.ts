export { BlobNotFoundError, BlobTooLargeError, contentAddressedKey, InvalidBlobKeyError } from './blob-store';
export type { BlobStore, ContentAddressedOptions, StoredBlob } from './blob-store';
export { createBlobStore } from './create-blob-store';
export { LocalBlobStore } from './local-blob-store';
export { S3BlobStore } from './s3-blob-store';
export type { S3BlobStoreOptions } from './s3-blob-store';
