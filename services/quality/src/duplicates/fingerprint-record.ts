import { type Connection, type Model, Schema } from 'mongoose';

/** One checked image of a project in the duplicate index (collection `quality_fingerprints`). */
export interface FingerprintRecord {
  tenantId: string;
  projectId: string;
  imageId: string;
  /** The project's order of images ("earlier" is smaller). */
  order: string;
  pixelHash: string;
  /** The fingerprint's stored hashes (hex); its lookup probes are not kept. */
  whole: string | null;
  regions: string[];
  /** Multi-index hashing keys of `whole` and `regions`: four per hash (bandKeysOf). */
  bandKeys: number[];
  /** What this image's own check found; absent while the check runs (or if it died half-way). */
  verdict?: StoredVerdict;
  createdAt: Date;
}

export interface StoredVerdict {
  kind: 'unique' | 'duplicate' | 'near_duplicate';
  /** For a duplicate or near_duplicate: the image it copies, and the fingerprint distance. */
  imageId?: string;
  distance?: number;
}

export const FINGERPRINT_COLLECTION = 'quality_fingerprints';
const modelName = 'QualityFingerprint';

const verdictSchema = new Schema<StoredVerdict>(
  {
    kind: { type: String, required: true, enum: ['unique', 'duplicate', 'near_duplicate'] },
    imageId: { type: String },
    distance: { type: Number },
  },
  { _id: false },
);

export const fingerprintRecordSchema = new Schema<FingerprintRecord>(
  {
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    imageId: { type: String, required: true },
    order: { type: String, required: true },
    pixelHash: { type: String, required: true },
    whole: { type: String, default: null },
    regions: { type: [String], default: [] },
    bandKeys: { type: [Number], default: [] },
    verdict: { type: verdictSchema, required: false },
    createdAt: { type: Date, required: true },
  },
  { collection: FINGERPRINT_COLLECTION, versionKey: false },
);
// One record per image and project: the insert that a check starts with doubles as "seen".
fingerprintRecordSchema.index(
  { tenantId: 1, projectId: 1, imageId: 1 },
  { unique: true, name: 'scope_image_unique' },
);
// Fingerprint lookups: equality on band keys (a multikey index: one entry per key of the array).
fingerprintRecordSchema.index({ tenantId: 1, projectId: 1, bandKeys: 1 }, { name: 'scope_band_keys' });
// Exact duplicates. Not unique: every copy gets its own record, to answer its own repeated checks.
fingerprintRecordSchema.index({ tenantId: 1, projectId: 1, pixelHash: 1 }, { name: 'scope_pixel_hash' });

/** The model on a connection, registered on first use (register it before syncModelIndexes). */
export function fingerprintRecordModel(connection: Connection): Model<FingerprintRecord> {
  return (
    (connection.models[modelName] as Model<FingerprintRecord> | undefined) ??
    connection.model<FingerprintRecord>(modelName, fingerprintRecordSchema)
  );
}
