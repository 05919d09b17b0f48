import type { Connection, mongo } from 'mongoose';
import { isDuplicateKeyError } from '../errors';

/** A hint that an image record has outbox entries to publish (collection outbox_pending). */
export interface OutboxPendingMarker {
  _id: string;
  /** When it was last marked: a relay removes only the marker it saw, never a newer one. */
  since: Date;
}

/**
 * The relay's work list: one small document per image record with unsent events, written right
 * after the record's own write. It exists for speed, not for correctness: FerretDB on SQLite uses
 * no secondary index, so finding `outboxPending` records means decoding every image record (6 s for
 * 300 records on a busy machine, and every relay polls), while this collection holds only what is
 * pending. A process that dies between the record's write and the marker leaves a pending record
 * without a marker; the relay's periodic sweep of the records themselves finds it.
 */
export class OutboxPendingMarkers {
  readonly collection: mongo.Collection<OutboxPendingMarker>;

  constructor(connection: Connection) {
    this.collection = connection.collection<OutboxPendingMarker>('outbox_pending');
  }

  async mark(imageId: string): Promise<void> {
    try {
      await this.collection.updateOne({ _id: imageId }, { $set: { since: new Date() } }, { upsert: true });
    } catch (error) {
      // Two writers upserting the same new marker at once: one insert loses, the marker exists.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  get(imageId: string): Promise<OutboxPendingMarker | null> {
    return this.collection.findOne({ _id: imageId });
  }

  async list(limit: number): Promise<OutboxPendingMarker[]> {
    return this.collection.find({}).limit(limit).toArray();
  }

  /** Removes the marker as it was seen; a newer mark (a write since) keeps it. */
  async clear(marker: OutboxPendingMarker): Promise<void> {
    await this.collection.deleteOne({ _id: marker._id, since: marker.since });
  }

  count(): Promise<number> {
    return this.collection.countDocuments({});
  }
}
