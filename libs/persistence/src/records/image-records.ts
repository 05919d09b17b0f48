import { randomUUID } from 'node:crypto';
import type { Connection, Model } from 'mongoose';
import { OutboxPendingMarkers } from './outbox-pending';
import {
  type ErasureMark,
  type ImageRecord,
  isSettledStatus,
  imageRecordModel,
  type ImageStatus,
  type OutboxEntry,
  type StoredReason,
} from './image-record';

/** An event to publish once the write that announces it has been stored. */
export interface PendingEvent {
  topic: string;
  key: string;
  /** null: a tombstone for the key on a compacted topic. */
  payload: Buffer | null;
  /** Kafka headers (W3C trace context) of the span that decided the event. */
  headers?: Record<string, string>;
}

export interface StageCompletion {
  result: unknown;
  status: ImageStatus;
  reasons?: StoredReason[];
  /** The event announcing the result; none when the result is only bookkeeping (e.g. waiting for annotation). */
  event?: PendingEvent;
}

export type NewImageRecord = Omit<
  ImageRecord,
  'outbox' | 'outboxPending' | 'outboxCount' | 'version' | 'status' | 'stage' | 'reasons' | 'stages'
>;

function outboxEntry(event: PendingEvent): OutboxEntry {
  return {
    id: randomUUID(),
    topic: event.topic,
    key: event.key,
    payload: event.payload,
    headers: event.headers ?? {},
    createdAt: new Date(),
    sentAt: null,
  };
}

/**
 * The image records and their outbox. Every write that changes what an image is also carries the
 * event announcing it, in the same single-document write: there is no moment at which one exists
 * without the other (FerretDB has no transactions, and none are needed).
 */
export class ImageRecords {
  readonly model: Model<ImageRecord>;
  private readonly pending: OutboxPendingMarkers;

  constructor(connection: Connection) {
    this.model = imageRecordModel(connection);
    this.pending = new OutboxPendingMarkers(connection);
  }

  /** Stores a new record with its first event (ingest). A second create of the same id throws DuplicateKeyError. */
  async create(record: NewImageRecord, event: PendingEvent): Promise<ImageRecord> {
    const created = await this.model.create({
      ...record,
      status: 'processing',
      stage: 'ingest',
      reasons: [],
      stages: {},
      outbox: [outboxEntry(event)],
      outboxPending: true,
      outboxCount: 1,
      version: 0,
    });
    await this.pending.mark(record._id);
    return created.toObject();
  }

  /**
   * Records a stage's result and its event, once: only while `stages.<stage>` is unset and the
   * image is not terminal, so a redelivered message is a no-op and never a second event.
   *
   * The check is a read by id, then the write filters on the id alone. A conditional update would
   * make MongoDB apply the check atomically, but FerretDB (SQLite) neither applies it atomically
   * (libs/persistence/README.md) nor uses the _id index once the filter names other fields: it
   * decodes every record (127 ms of CPU per update at 200 records, against 8 ms for the read and
   * 29 ms for the write by id). Writers of one image's stage are sequential by construction: a
   * stage handles one partition's messages one at a time, and an image's messages share a key.
   */
  async completeStage(
    imageId: string,
    stage: string,
    completion: StageCompletion,
  ): Promise<'done' | 'duplicate'> {
    const current = await this.model
      .findById(imageId, { stages: 1, status: 1 })
      .lean<Pick<ImageRecord, 'stages' | 'status'>>()
      .exec();
    if (!current) throw new ImageRecordNotFoundError(imageId);
    const settled = current.stages?.[stage] !== undefined || isSettledStatus(current.status);
    if (settled) return 'duplicate';
    const set: Record<string, unknown> = {
      [`stages.${stage}`]: completion.result,
      status: completion.status,
      stage,
      reasons: completion.reasons ?? [],
    };
    if (isSettledStatus(completion.status)) set['settledAt'] = new Date();
    if (completion.event) set['outboxPending'] = true;
    const update = await this.model.updateOne(
      { _id: imageId },
      {
        $set: set,
        ...(completion.event && { $push: { outbox: outboxEntry(completion.event) } }),
        $inc: { version: 1, ...(completion.event && { outboxCount: 1 }) },
      },
    );
    if (update.matchedCount !== 1) throw new ImageRecordNotFoundError(imageId);
    if (completion.event) await this.pending.mark(imageId);
    return 'done';
  }

  /**
   * Replaces an image's record by its tombstone, with the events announcing the erasure, in one
   * write: every stage result, the file name and the declarations go; ids, the raw checksum (the
   * audit's input), the previous status and the erasure mark stay. 'duplicate' if it is one already.
   */
  async tombstone(imageId: string, mark: ErasureMark, events: PendingEvent[]): Promise<'done' | 'duplicate'> {
    const current = await this.model
      .findById(imageId, { status: 1 })
      .lean<Pick<ImageRecord, 'status'>>()
      .exec();
    if (!current) throw new ImageRecordNotFoundError(imageId);
    if (current.status === 'erased') return 'duplicate';
    const update = await this.model.updateOne(
      { _id: imageId },
      {
        $set: {
          status: 'erased',
          stage: 'erasure',
          reasons: [],
          stages: {},
          filename: '',
          'declarations.region': '',
          erasure: mark,
          ...(events.length > 0 && { outboxPending: true }),
        },
        ...(events.length > 0 && { $push: { outbox: { $each: events.map(outboxEntry) } } }),
        $inc: { version: 1, outboxCount: events.length },
      },
    );
    if (update.matchedCount !== 1) throw new ImageRecordNotFoundError(imageId);
    if (events.length > 0) await this.pending.mark(imageId);
    return 'done';
  }

  /** Notes that retention deleted the raw upload (or let go of a blob other records still hold). */
  async markRawDeleted(imageId: string, at: Date): Promise<void> {
    await this.model.updateOne({ _id: imageId }, { $set: { rawDeletedAt: at }, $inc: { version: 1 } });
  }

  /** How many records have events not yet published, as the relays see them (their pending markers). */
  pendingOutboxCount(): Promise<number> {
    return this.pending.count();
  }

  async get(imageId: string): Promise<ImageRecord | null> {
    return this.model.findById(imageId).lean<ImageRecord>().exec();
  }
}

export class ImageRecordNotFoundError extends Error {
  constructor(readonly imageId: string) {
    super(`no image record ${imageId}`);
    this.name = 'ImageRecordNotFoundError';
  }
}
