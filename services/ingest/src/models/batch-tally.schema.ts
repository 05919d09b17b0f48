import { type Connection, type Model, Schema } from 'mongoose';
import type { TallyCounters } from '../domain/batch-tally';

/**
 * A batch's counts from one partition of the status topic: only the consumer that owns partition
 * `partition` writes this document, and each write applies one event together with that event's
 * offset, so a redelivered event (offset <= `offset`) is never counted twice. One writer per
 * document keeps `$inc` correct on FerretDB (where it is a read, modify, write back), and the
 * single-document write keeps the counts and the offset together without a transaction.
 */
export interface BatchTallyRecord {
  /** `<batchId>/<partition>` */
  _id: string;
  batchId: string;
  tenantId: string;
  partition: number;
  /** The offset of the last event applied from the partition. */
  offset: number;
  n: TallyCounters;
  updatedAt: Date;
}

const tallySchema = new Schema<BatchTallyRecord>(
  {
    _id: { type: String, required: true },
    batchId: { type: String, required: true },
    tenantId: { type: String, required: true },
    partition: { type: Number, required: true },
    offset: { type: Number, required: true },
    n: { type: Schema.Types.Mixed, default: {} },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'batch_tallies', minimize: false, versionKey: false },
);
tallySchema.index({ batchId: 1 }, { name: 'batch' });

export function batchTallyModel(connection: Connection): Model<BatchTallyRecord> {
  return (
    (connection.models['IngestBatchTally'] as Model<BatchTallyRecord> | undefined) ??
    connection.model<BatchTallyRecord>('IngestBatchTally', tallySchema)
  );
}
