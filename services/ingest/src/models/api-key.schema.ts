import { API_KEYS_COLLECTION } from '@aperture/runtime';
import { type Connection, type Model, Schema } from 'mongoose';

/** An API key of a tenant. Only the SHA-256 of the key and a short prefix are kept. */
export interface ApiKeyRecord {
  _id: string;
  tenantId: string;
  /** Lower-case hex SHA-256 of the key; unique, it is what a request is looked up by. */
  hash: string;
  /** The key's first characters, for people to tell keys apart. */
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export const apiKeySchema = new Schema<ApiKeyRecord>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    hash: { type: String, required: true },
    prefix: { type: String, required: true },
    createdAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  { collection: API_KEYS_COLLECTION, versionKey: false },
);
apiKeySchema.index({ hash: 1 }, { unique: true, name: 'hash_unique' });
apiKeySchema.index({ tenantId: 1 }, { name: 'tenant' });

export function apiKeyModel(connection: Connection): Model<ApiKeyRecord> {
  return (
    (connection.models['IngestApiKey'] as Model<ApiKeyRecord> | undefined) ??
    connection.model<ApiKeyRecord>('IngestApiKey', apiKeySchema)
  );
}
