import { commonV1, Topics } from '@aperture/contracts';
import { context, propagation } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import type { Connection, Model } from 'mongoose';
import { OutboxClaims, type OutboxPublisher } from './outbox-claims';
import { publishEntries } from './outbox-relay';
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
  'outbox' | 'version' | 'status' | 'stage' | 'reasons' | 'stages'
>;

/** The fields of a record that say where its image stands. */
export type RecordState = Pick<ImageRecord, 'status' | 'stage' | 'reasons'>;

/**
 * The event announcing an image's move from `from` (null: a new upload) to `to`, written in the
 * same record write as the move: ingest's batch tallies count each batch from these events alone, so
 * a count can trail the records (by the tally consumer's lag) but never diverge from them.
 */
export function statusEvent(
  record: Pick<ImageRecord, '_id' | 'tenantId' | 'projectId' | 'batchId'>,
  from: RecordState | null,
  to: RecordState,
): PendingEvent {
  const state = (s: RecordState): commonV1.ImageState => ({
    status: s.status,
    stage: s.stage,
    reasonCodes: s.reasons.map((reason) => reason.code),
  });
  const payload = commonV1.ImageStatusChanged.encode({
    imageId: record._id,
    tenantId: record.tenantId,
    projectId: record.projectId,
    batchId: record.batchId,
    from: from ? state(from) : undefined,
    to: state(to),
  }).finish();
  // The W3C context of the span that made the move: the event stays in the image's trace.
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return { topic: Topics.imageStatus, key: record._id, payload: Buffer.from(payload), headers };
}

/** A new image's record as ingest stores it: processing, no stage run yet, `outbox` its events. */
export function initialRecord(record: NewImageRecord, outbox: OutboxEntry[]): ImageRecord {
  return { ...record, status: 'processing', stage: 'ingest', reasons: [], stages: {}, outbox, version: 0 };
}

function outboxEntry(event: PendingEvent): OutboxEntry {
  return {
    id: randomUUID(),
    topic: event.topic,
    key: event.key,
    payload: event.payload,
    headers: event.headers ?? {},
    createdAt: new Date(),
  };
}

export interface ImageRecordsOptions {
  /**
   * Publishes each write's events right after the write. Without it the events are left to the
   * relays (OutboxRelay), which find them at their next round.
   */
  publisher?: OutboxPublisher;
  /** A publish that failed: its claim stays, and a relay publishes the events once it expires. */
  onPublishError?: (error: unknown, imageId: string) => void;
  /** How long a writer's claim holds off the relays (default 15 s). */
  leaseMs?: number;
}

/** What a stage read of its record before completing (the fields the write's checks need). */
export type RecordSeen = Pick<
  ImageRecord,
  '_id' | 'tenantId' | 'projectId' | 'batchId' | 'stages' | 'status' | 'stage' | 'reasons' | 'outbox'
>;

/** What completeStage reads of a record when the stage did not pass its own read. */
const SEEN_FIELDS = {
  tenantId: 1,
  projectId: 1,
  batchId: 1,
  stages: 1,
  status: 1,
  stage: 1,
  reasons: 1,
  outbox: 1,
} as const;

/**
 * The image records and their outbox. Every write that changes what an image is also carries the
 * event announcing it, in the same single-document write: there is no moment at which one exists
 * without the other (FerretDB has no transactions, and none are needed).
 *
 * A write with events is three database commands: a claim on the events (outbox_claims) inserted
 * first, the record's write, and, once the writer has published the events, the claim's delete. The
 * record itself is never written again to mark them sent: FerretDB 1.x applies an update as read,
 * modify, write back, so a mark landing while the next stage writes the same record could undo that
 * write. A writer that dies leaves its claim, and a relay publishes what it claimed.
 */
export class ImageRecords {
  readonly model: Model<ImageRecord>;
  private readonly claims: OutboxClaims;

  constructor(
    connection: Connection,
    private readonly options: ImageRecordsOptions = {},
  ) {
    this.model = imageRecordModel(connection);
    this.claims = new OutboxClaims(connection, options.leaseMs);
  }

  /**
   * Stores a new record with its first event (ingest) and the status event of the upload. A second
   * create of the same id throws DuplicateKeyError.
   */
  async create(record: NewImageRecord, event: PendingEvent): Promise<ImageRecord> {
    const initial = initialRecord(record, []);
    const entries = [event, statusEvent(record, null, initial)].map(outboxEntry);
    let created: ImageRecord | undefined;
    await this.withEvents(record._id, 0, entries, async () => {
      created = (await this.model.create({ ...initial, outbox: entries })).toObject();
    });
    return created!;
  }

  /**
   * Records a stage's result and its event (with the status event of the move), once: only while `stages.<stage>` is unset and the
   * image is not terminal, so a redelivered message is a no-op and never a second event.
   *
   * `seen` is the record as the stage read it when it started (its only read of the record); without
   * it the record is read here. The check is on that read, and the write filters on the id alone: a
   * conditional update is not atomic on FerretDB 1.x, and on its backends a filter on more than
   * `_id` can cost a scan. Writers of one image's stage are sequential by construction: a stage
   * handles one partition's messages one at a time, and an image's messages share a key.
   */
  async completeStage(
    imageId: string,
    stage: string,
    completion: StageCompletion,
    seen?: RecordSeen,
  ): Promise<'done' | 'duplicate'> {
    const current = seen ?? (await this.model.findById(imageId, SEEN_FIELDS).lean<RecordSeen>().exec());
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
    const moved = statusEvent(current, current, {
      status: completion.status,
      stage,
      reasons: completion.reasons ?? [],
    });
    const entries = [...(completion.event ? [completion.event] : []), moved].map(outboxEntry);
    await this.withEvents(imageId, current.outbox?.length ?? 0, entries, async () => {
      const update = await this.model.updateOne(
        { _id: imageId },
        {
          $set: set,
          $push: { outbox: { $each: entries } },
          $inc: { version: 1 },
        },
      );
      if (update.matchedCount !== 1) throw new ImageRecordNotFoundError(imageId);
    });
    return 'done';
  }

  /**
   * Replaces an image's record by its tombstone, with the events announcing the erasure, in one
   * write: every stage result, the file name and the declarations go; ids, the raw checksum (the
   * audit's input), the previous status and the erasure mark stay. 'duplicate' if it is one already.
   */
  async tombstone(imageId: string, mark: ErasureMark, events: PendingEvent[]): Promise<'done' | 'duplicate'> {
    const current = await this.model.findById(imageId, SEEN_FIELDS).lean<RecordSeen>().exec();
    if (!current) throw new ImageRecordNotFoundError(imageId);
    if (current.status === 'erased') return 'duplicate';
    const moved = statusEvent(current, current, { status: 'erased', stage: 'erasure', reasons: [] });
    const entries = [...events, moved].map(outboxEntry);
    await this.withEvents(imageId, current.outbox?.length ?? 0, entries, async () => {
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
          },
          $push: { outbox: { $each: entries } },
          $inc: { version: 1 },
        },
      );
      if (update.matchedCount !== 1) throw new ImageRecordNotFoundError(imageId);
    });
    return 'done';
  }

  /** Notes that retention deleted the raw upload (or let go of a blob other records still hold). */
  async markRawDeleted(imageId: string, at: Date): Promise<void> {
    await this.model.updateOne({ _id: imageId }, { $set: { rawDeletedAt: at }, $inc: { version: 1 } });
  }

  /** How many writes have events not yet published (their claims: writers at work, or dead). */
  pendingOutboxCount(): Promise<number> {
    return this.claims.count();
  }

  async get(imageId: string): Promise<ImageRecord | null> {
    return this.model.findById(imageId).lean<ImageRecord>().exec();
  }

  /**
   * Claims `entries` (to be written at `firstIndex` of the record's outbox), runs the write, then
   * publishes them and deletes the claim. A write that fails takes its claim back; a publish that
   * fails leaves it to a relay.
   */
  private async withEvents(
    imageId: string,
    firstIndex: number,
    entries: OutboxEntry[],
    write: () => Promise<unknown>,
  ): Promise<void> {
    const publisher = this.options.publisher;
    const claim = await this.claims.take(
      imageId,
      entries.map((entry) => entry.id),
    );
    try {
      await write();
    } catch (error) {
      await this.claims.release(claim).catch(() => undefined);
      throw error;
    }
    if (!publisher) {
      // Handed to the relays: expired at once, now that the entries are in the record.
      await this.claims.collection.updateOne({ _id: claim._id }, { $set: { expiresAt: new Date(0) } });
      return;
    }
    try {
      await publishEntries(
        publisher,
        imageId,
        entries.map((entry, offset) => ({ entry, index: firstIndex + offset })),
      );
      await this.claims.release(claim);
    } catch (error) {
      this.options.onPublishError?.(error, imageId);
    }
  }
}

export class ImageRecordNotFoundError extends Error {
  constructor(readonly imageId: string) {
    super(`no image record ${imageId}`);
    this.name = 'ImageRecordNotFoundError';
  }
}
