import { commonV1, Topics } from '@aperture/contracts';
import { AtLeastOnceConsumer, type ConsumedMessage, type HandlerOutcome } from '@aperture/messaging';
import { trace } from '@opentelemetry/api';
import type { Kafka } from 'kafkajs';
import type { Connection, Model } from 'mongoose';
import { type BatchTally, sumTallies, tallyDelta } from '../domain/batch-tally';
import { batchModel, type BatchRecord, batchTallyModel, type BatchTallyRecord } from '../models';

/** Reads a batch's tallies, and applies status events to them (the consumer's side). */
export class BatchTallies {
  readonly model: Model<BatchTallyRecord>;
  private readonly batches: Model<BatchRecord>;
  /**
   * The last offset applied per document, as this member wrote it: valid only while it owns the
   * partition without a break, so it is forgotten at every group join (`forgetOffsets`).
   */
  private readonly offsets = new Map<string, number>();
  /** Batches of another database (a broker shared by separate pipelines, as in tests). */
  private readonly foreignBatches = new Set<string>();
  private readonly knownBatches = new Set<string>();

  constructor(connection: Connection) {
    this.model = batchTallyModel(connection);
    this.batches = batchModel(connection);
  }

  /** A batch's counts: one equality query for its few documents (one per partition), whatever its size. */
  async batch(batchId: string): Promise<BatchTally> {
    const docs = await this.model
      .find({ batchId }, { n: 1 })
      .lean<Array<Pick<BatchTallyRecord, 'n'>>>()
      .exec();
    return sumTallies(docs);
  }

  forgetOffsets(): void {
    this.offsets.clear();
  }

  /** Applies one status event of `partition` to its batch's document, once. */
  async apply(message: ConsumedMessage): Promise<HandlerOutcome> {
    const change = decodeChange(message.value);
    if (!change?.batchId || !(await this.known(change.batchId))) return 'skipped';
    // The consumer span (messaging) knows the image from the key; the rest is in the payload.
    trace.getActiveSpan()?.setAttributes({
      'aperture.tenant_id': change.tenantId,
      'aperture.project_id': change.projectId,
      'aperture.batch_id': change.batchId,
    });
    const _id = `${change.batchId}/${message.partition}`;
    const offset = Number(message.offset);
    let applied = this.offsets.get(_id);
    if (applied === undefined) {
      const doc = await this.model
        .findById(_id, { offset: 1 })
        .lean<Pick<BatchTallyRecord, 'offset'>>()
        .exec();
      applied = doc?.offset ?? -1;
    }
    if (offset <= applied) {
      remember(this.offsets, _id, applied);
      return 'duplicate';
    }
    const inc: Record<string, number> = {};
    for (const [key, n] of Object.entries(tallyDelta(change))) inc[`n.${key}`] = n;
    await this.model
      .updateOne(
        { _id },
        {
          ...(Object.keys(inc).length > 0 && { $inc: inc }),
          $set: { offset, updatedAt: new Date() },
          $setOnInsert: { batchId: change.batchId, tenantId: change.tenantId, partition: message.partition },
        },
        { upsert: true },
      )
      .exec();
    remember(this.offsets, _id, offset);
    return 'done';
  }

  private async known(batchId: string): Promise<boolean> {
    if (this.knownBatches.has(batchId)) return true;
    if (this.foreignBatches.has(batchId)) return false;
    // A batch is stored before any of its uploads: an event for one not here is another database's.
    const known = (await this.batches.exists({ _id: batchId })) !== null;
    remember(known ? this.knownBatches : this.foreignBatches, batchId);
    return known;
  }
}

/** How many batches (and batch partitions) the caches hold before they start over: memory stays bounded. */
const CACHE_LIMIT = 10_000;

/** Adds to a cache, emptied first once full (a miss only costs a read). */
function remember<K, V>(cache: Map<K, V> | Set<K>, key: K, value?: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  if (cache instanceof Map) cache.set(key, value as V);
  else cache.add(key);
}

/** The event, or null for a value that is none (nothing to count; never worth a retry). */
function decodeChange(value: Buffer | null): commonV1.ImageStatusChanged | null {
  if (!value) return null;
  try {
    return commonV1.ImageStatusChanged.decode(value);
  } catch {
    return null;
  }
}

/**
 * Ingest's consumer of the status topic: each member tallies the partitions it owns. At least once,
 * and idempotent by offset (BatchTallies.apply), so a crash at any point loses and doubles nothing.
 */
export function batchTallyConsumer(
  kafka: Kafka,
  tallies: BatchTallies,
  options: { groupId: string; dependenciesUp: () => Promise<boolean> },
): AtLeastOnceConsumer {
  const consumer = new AtLeastOnceConsumer(kafka, {
    groupId: options.groupId,
    topics: [Topics.imageStatus],
    handler: (message) => tallies.apply(message),
    dependenciesUp: options.dependenciesUp,
  });
  // After a (re)join this member may own partitions another member wrote meanwhile.
  consumer.on(consumer.events.GROUP_JOIN, () => tallies.forgetOffsets());
  return consumer;
}
