import { ANNOTATORS_COLLECTION } from '@aperture/runtime';
import { type Connection, type Model, Schema } from 'mongoose';

/**
 * An annotator of a tenant: a person or a tool with its own token, scoped to leasing and submitting
 * annotation tasks (never the tenant's API key). Only the SHA-256 of the token and a short prefix
 * are kept; every service reads this collection directly (`findAnnotator` in @aperture/runtime).
 */
export interface AnnotatorRecord {
  _id: string;
  tenantId: string;
  name: string;
  /** Lower-case hex SHA-256 of the token; unique, it is what a request is looked up by. */
  hash: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const annotatorSchema = new Schema<AnnotatorRecord>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    name: { type: String, required: true },
    hash: { type: String, required: true },
    prefix: { type: String, required: true },
    createdAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  { collection: ANNOTATORS_COLLECTION, versionKey: false },
);
annotatorSchema.index({ hash: 1 }, { unique: true, name: 'hash_unique' });
annotatorSchema.index({ tenantId: 1 }, { name: 'tenant' });

export function annotatorModel(connection: Connection): Model<AnnotatorRecord> {
  return (
    (connection.models['IngestAnnotator'] as Model<AnnotatorRecord> | undefined) ??
    connection.model<AnnotatorRecord>('IngestAnnotator', annotatorSchema)
  );
}
