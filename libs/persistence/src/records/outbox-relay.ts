import type { Connection, Model } from 'mongoose';
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
}

/**
 * Publishes the unsent outbox entries of image records, in order per record, and marks them sent.
 * At least once: a crash between publishing and marking re-publishes on the next round, which the
 * consumers' idempotent handlers absorb. Any number of relays may run; a record is marked only if
 * no other write changed it meanwhile (its version), otherwise it is simply handled next round.
 */
export class OutboxRelay {
  private readonly model: Model<ImageRecord>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private kicked = false;

  constructor(
    connection: Connection,
    private readonly publisher: OutboxPublisher,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.model = imageRecordModel(connection);
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
    const pending = await this.model
      .find({ outboxPending: true })
      .limit(this.options.batchSize ?? 50)
      .lean<ImageRecord[]>()
      .exec();
    let published = 0;
    for (const record of pending) {
      const unsent = record.outbox
        .map((entry, index) => ({ entry, index }))
        .filter(({ entry }) => entry.sentAt === null || entry.sentAt === undefined);
      for (const { entry } of unsent) {
        await this.publisher.send({
          topic: entry.topic,
          acks: -1,
          messages: [{ key: entry.key, value: payloadBytes(entry.payload), headers: entry.headers ?? {} }],
        });
        published++;
      }
      const now = new Date();
      const marks: Record<string, unknown> = { outboxPending: false };
      for (const { index } of unsent) marks[`outbox.${index}.sentAt`] = now;
      await this.model.updateOne(
        { _id: record._id, version: record.version },
        { $set: marks, $inc: { version: 1 } },
      );
    }
    return published;
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
