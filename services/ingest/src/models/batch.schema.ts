import { type Connection, type Model, Schema } from 'mongoose';
import type { StoredBatchState } from '../domain/batch-status';

/**
 * A batch of uploads in a project. Its counts are tallied from the status events of its images
 * (batches/batch-tallies.ts); a batch stored before the tallies existed is counted from its records.
 */
export interface BatchRecord {
  _id: string;
  tenantId: string;
  projectId: string;
  idempotencyKey: string | null;
  /**
   * Unique in every document: `<tenantId>/key/<idempotencyKey>`, or `<tenantId>/id/<batchId>` when
   * the client sent no key. FerretDB has no partial indexes, so "unique per tenant where a key was
   * given" is modelled as a field that is unique everywhere.
   */
  idempotencyScope: string;
  declarations: { region: string; consentIds: string[] };
  state: StoredBatchState;
  createdAt: Date;
  closedAt: Date | null;
  /** True when the batch's counts come from its tallies (every batch created since they exist). */
  tallied?: boolean;
  /**
   * How many images the batch accepted, counted once when it was first seen closed with nothing
   * processing in its tallies: it is complete only once the tallies have counted that many uploads
   * (until then the tally consumer is behind).
   */
  accepted?: number | null;
}

export const batchSchema = new Schema<BatchRecord>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    idempotencyKey: { type: String, default: null },
    idempotencyScope: { type: String, required: true },
    declarations: {
      region: { type: String, default: '' },
      consentIds: { type: [String], default: [] },
    },
    state: { type: String, required: true, enum: ['open', 'closed'] },
    createdAt: { type: Date, required: true },
    closedAt: { type: Date, default: null },
    tallied: { type: Boolean, default: false },
    accepted: { type: Number, default: null },
  },
  { collection: 'batches', minimize: false, versionKey: false },
);
batchSchema.index({ idempotencyScope: 1 }, { unique: true, name: 'idempotency_scope_unique' });
batchSchema.index({ tenantId: 1, projectId: 1 }, { name: 'tenant_project' });

export function idempotencyScope(tenantId: string, batchId: string, idempotencyKey: string | null): string {
  return idempotencyKey === null ? `${tenantId}/id/${batchId}` : `${tenantId}/key/${idempotencyKey}`;
}

export function batchModel(connection: Connection): Model<BatchRecord> {
  return (
    (connection.models['IngestBatch'] as Model<BatchRecord> | undefined) ??
    connection.model<BatchRecord>('IngestBatch', batchSchema)
  );
}
