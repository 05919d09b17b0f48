import { type Connection, type Model, Schema } from 'mongoose';

/** A client organisation: every project, batch and image belongs to exactly one. */
export interface TenantRecord {
  _id: string;
  name: string;
  createdAt: Date;
}

export const tenantSchema = new Schema<TenantRecord>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'tenants', versionKey: false },
);

export function tenantModel(connection: Connection): Model<TenantRecord> {
  return (
    (connection.models['IngestTenant'] as Model<TenantRecord> | undefined) ??
    connection.model<TenantRecord>('IngestTenant', tenantSchema)
  );
}
