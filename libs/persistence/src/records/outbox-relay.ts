import type { Connection, Model, mongo } from 'mongoose';
import { isDuplicateKeyError } from '../errors';
import { type ImageRecord, imageRecordModel } from './image-record';

/** A relay's right to publish some entries of one record (collection outbox_claims). */
interface OutboxClaim {
  _id: string;
  imageId: string;
  /** Indexes into the record's outbox. */
  entries: number[];
  expiresAt: Date;
  /** Set on a claim that took over an expired one. */
  takeoverOf?: string;
}

/** What the relay needs from a Kafka producer (kafkajs' Producer fits). */
export interface OutboxPublisher {
  send(record: {
    topic: string;
    acks?: number;
    messages: Array<{ key: string; value: Buffer; headers: Record<string, string> }>;
  }): Promise<unknown>;
}

export interface OutboxRelayOptions {
  /** How often to look for unsent events when nothing kicked the relay (default 250 ms). */
  pollIntervalMs?: number;
  /** Records handled per round (default 50). */
  batchSize?: number;
  onError?: (error: unknown) => void;
  /** How long a relay holds a record it is publishing before another may take over (default 15 s). */
  leaseMs?: number;
}

/**
 * Publishes the unsent outbox entries of image records, in order per record, and marks them sent.
 * At least once: entries are claimed, marked, then published; a relay that dies in between leaves
 * its claim behind, and once it expires another relay publishes the claimed entries (a duplicate
 * at worst, which the consumers' idempotent handlers absorb). Any number of relays may run (every
 * service has one over the shared collection): each pending state of a record is claimed once.
 */
export class OutboxRelay {
  private readonly model: Model<ImageRecord>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private kicked = false;
  private readonly leaseMs: number;
  private readonly claims: mongo.Collection<OutboxClaim>;

  constructor(
    connection: Connection,
    private readonly publisher: OutboxPublisher,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.model = imageRecordModel(connection);
    this.claims = connection.collection<OutboxClaim>('outbox_claims');
    this.leaseMs = options.leaseMs ?? 15_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Asks for a round now (after a write), instead of at the next poll. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.kicked = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One round: publishes what is pending now; resolves with the number of events published. */
  async relayOnce(): Promise<number> {
    let published = await this.takeOverExpiredClaims();
    const candidates = await this.model
      .find({ outboxPending: true }, { _id: 1 })
      .limit(this.options.batchSize ?? 50)
      .lean<Array<{ _id: string }>>()
      .exec();
    for (const { _id } of candidates) {
      // One claim per record at a time; the record is read only once the claim is held, so what
      // another relay published just before is seen as sent.
      if (!(await this.insertClaim(_id))) continue;
      const record = await this.model.findById(_id).lean<ImageRecord>().exec();
      const entries = (record?.outbox ?? [])
        .map((entry, index) => ({ entry, index }))
        .filter(({ entry }) => entry.sentAt === null || entry.sentAt === undefined)
        .map(({ index }) => index);
      if (!record || entries.length === 0) {
        await this.claims.deleteOne({ _id });
        continue;
      }
      await this.claims.updateOne({ _id }, { $set: { entries } });
      // Mark before publishing: until the event is out, nothing else writes this record (the next
      // stage waits for it, and the claim keeps other relays off), so this write races with
      // nobody. If the process dies before publishing, its claim outlives it and the relay that
      // takes the claim over publishes the claimed entries.
      const sentAt = new Date();
      const marks: Record<string, unknown> = { outboxPending: false };
      for (const index of entries) marks[`outbox.${index}.sentAt`] = sentAt;
      await this.model.updateOne({ _id }, { $set: marks });
      published += await this.publish(record, entries);
      await this.claims.deleteOne({ _id });
    }
    return published;
  }

  /**
   * A claim is an insert into a unique _id, not a conditional update: FerretDB 1.x on SQLite does
   * not apply conditional updates atomically against concurrent writers (several can "win"),
   * but a unique index holds.
   */
  private async insertClaim(imageId: string): Promise<boolean> {
    try {
      await this.claims.insertOne({
        _id: imageId,
        imageId,
        entries: [],
        expiresAt: new Date(Date.now() + this.leaseMs),
      });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Publishes the entries of claims whose relay died before it deleted them. */
  private async takeOverExpiredClaims(): Promise<number> {
    const expired = await this.claims
      .find({ expiresAt: { $lt: new Date() }, takeoverOf: { $exists: false } })
      .limit(this.options.batchSize ?? 50)
      .toArray();
    let published = 0;
    for (const claim of expired) {
      const takeoverId = `${claim._id}:takeover:${claim.expiresAt.getTime()}`;
      try {
        await this.claims.insertOne({
          _id: takeoverId,
          imageId: claim.imageId,
          entries: claim.entries,
          takeoverOf: claim._id,
          expiresAt: new Date(Date.now() + this.leaseMs),
        });
      } catch (error) {
        if (isDuplicateKeyError(error)) continue;
        throw error;
      }
      const record = await this.model.findById(claim.imageId).lean<ImageRecord>().exec();
      if (record) published += await this.publish(record, claim.entries);
      await this.claims.deleteOne({ _id: claim._id });
      await this.claims.deleteOne({ _id: takeoverId });
    }
    return published;
  }

  private async publish(record: ImageRecord, indexes: number[]): Promise<number> {
    for (const index of indexes) {
      const entry = record.outbox[index];
      if (!entry) continue;
      await this.publisher.send({
        topic: entry.topic,
        acks: -1,
        messages: [{ key: entry.key, value: payloadBytes(entry.payload), headers: entry.headers ?? {} }],
      });
    }
    return indexes.length;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => {
        this.running = undefined;
        const again = this.kicked;
        this.kicked = false;
        this.schedule(again ? 0 : (this.options.pollIntervalMs ?? 250));
      });
    }, delayMs);
  }

  private async round(): Promise<void> {
    try {
      // Keep going while full batches come back, so a backlog drains without waiting for polls.
      while (!this.stopped && (await this.relayOnce()) >= (this.options.batchSize ?? 50));
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}

/** A payload as stored: lean reads return BSON Binary, not Buffer. */
function payloadBytes(payload: unknown): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload);
  const binary = payload as { buffer?: Uint8Array; position?: number };
  if (binary.buffer instanceof Uint8Array) {
    return Buffer.from(binary.buffer.subarray(0, binary.position ?? binary.buffer.length));
  }
  throw new TypeError('outbox payload is not binary data');
}
