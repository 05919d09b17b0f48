import type { Connection, Model, mongo } from 'mongoose';
import { isDuplicateKeyError } from '../errors';
import { type ImageRecord, imageRecordModel } from './image-record';

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
 * At least once: a crash between publishing and marking re-publishes once the claim expires, which
 * the consumers' idempotent handlers absorb. Any number of relays may run (every service has one
 * over the shared collection): each pending state of a record is claimed by one relay at a time.
 */
export class OutboxRelay {
  private readonly model: Model<ImageRecord>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private kicked = false;
  private readonly leaseMs: number;
  private readonly claims: mongo.Collection<{ _id: string; expiresAt: Date }>;

  constructor(
    connection: Connection,
    private readonly publisher: OutboxPublisher,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.model = imageRecordModel(connection);
    this.claims = connection.collection<{ _id: string; expiresAt: Date }>('outbox_claims');
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
    const candidates = await this.model
      .find({ outboxPending: true }, { _id: 1, outboxCount: 1 })
      .limit(this.options.batchSize ?? 50)
      .lean<Array<{ _id: string; outboxCount: number }>>()
      .exec();
    let published = 0;
    for (const candidate of candidates) {
      const claimId = `${candidate._id}:${candidate.outboxCount}`;
      if (!(await this.claim(claimId))) continue;
      try {
        published += await this.publishPending(candidate._id);
      } finally {
        await this.claims.deleteOne({ _id: claimId });
      }
    }
    return published;
  }

  /**
   * Claims the right to publish one state of a record's outbox, so that of the several relays (one
   * per service) only one publishes it. The claim is an insert into a unique _id, not a conditional
   * update: FerretDB 1.x on SQLite does not apply conditional updates atomically against concurrent
   * writers (several can "win"), but a unique index holds. A claim left by a relay that died is
   * taken over once it has expired.
   */
  private async claim(claimId: string): Promise<boolean> {
    const expiresAt = new Date(Date.now() + this.leaseMs);
    try {
      await this.claims.insertOne({ _id: claimId, expiresAt });
      return true;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const stale = await this.claims.deleteOne({ _id: claimId, expiresAt: { $lt: new Date() } });
    if (stale.deletedCount !== 1) return false;
    try {
      await this.claims.insertOne({ _id: claimId, expiresAt });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  private async publishPending(imageId: string): Promise<number> {
    const record = await this.model.findById(imageId).lean<ImageRecord>().exec();
    if (!record?.outboxPending) return 0;
    const unsent = record.outbox
      .map((entry, index) => ({ entry, index }))
      .filter(({ entry }) => entry.sentAt === null || entry.sentAt === undefined);
    for (const { entry } of unsent) {
      await this.publisher.send({
        topic: entry.topic,
        acks: -1,
        messages: [{ key: entry.key, value: payloadBytes(entry.payload), headers: entry.headers ?? {} }],
      });
    }
    // The outbox only grows, so an entry's index is stable: mark by index, and clear the pending
    // flag unless an entry was appended meanwhile (then the next round publishes that one).
    const sentAt = new Date();
    const marks: Record<string, unknown> = {};
    for (const { index } of unsent) marks[`outbox.${index}.sentAt`] = sentAt;
    await this.model.updateOne({ _id: imageId }, { $set: marks });
    await this.model.updateOne(
      { _id: imageId, outboxCount: record.outboxCount },
      { $set: { outboxPending: false } },
    );
    return unsent.length;
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
