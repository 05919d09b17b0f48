import type { Connection, Model } from 'mongoose';
import { type ImageRecord, imageRecordModel, type OutboxEntry } from './image-record';
import {
  type OutboxClaim,
  OutboxClaims,
  outboxEventId,
  OUTBOX_EVENT_ID_HEADER,
  type OutboxPublisher,
} from './outbox-claims';

export interface OutboxRelayOptions {
  /**
   * How often the relay looks for expired claims (default 500 ms); rounds that find nothing back
   * off, doubling, up to `maxPollIntervalMs` (default 5 s). Writers publish their own events, so
   * the relay only has work after a crash.
   */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Claims handled per round (default 50). */
  batchSize?: number;
  onError?: (error: unknown) => void;
  /** How long a relay holds a claim it took over before another may (default 15 s). */
  leaseMs?: number;
  /**
   * Which of these event ids (OUTBOX_EVENT_ID_HEADER values) are on `topic` since `sinceMs`. With
   * it, a takeover republishes only what the dead writer had not published: exactly once on the
   * topic, not just at least once. Without it, a takeover republishes every claimed entry.
   */
  findPublished?: (topic: string, sinceMs: number, eventIds: ReadonlySet<string>) => Promise<Set<string>>;
}

/**
 * Publishes outbox entries whose writer did not: every write claims its entries first
 * (OutboxClaims), publishes them and deletes its claim; a claim still there after its lease belongs
 * to a writer that died. The relay takes such a claim over (a unique insert: one relay wins),
 * publishes the claimed entries that are in the record and not on their topic yet (asked through
 * `findPublished`; without it, all of them: a duplicate at worst, which the consumers' idempotent
 * handlers absorb), and deletes both claims. Any number of relays may run (every service has one).
 */
export class OutboxRelay {
  private readonly model: Model<ImageRecord>;
  private readonly claims: OutboxClaims;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private idleRounds = 0;

  constructor(
    connection: Connection,
    private readonly publisher: OutboxPublisher,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.model = imageRecordModel(connection);
    this.claims = new OutboxClaims(connection, options.leaseMs);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One round: takes over the expired claims; resolves with the number of events published. */
  async relayOnce(): Promise<number> {
    let published = 0;
    const expired = await this.claims.expired(this.options.batchSize ?? 50);
    // Takeovers whose relay died (or failed) too go first: the claims they held can then be taken
    // over again in this same round.
    for (const claim of expired.filter(({ takeoverOf }) => takeoverOf !== undefined)) {
      await this.claims.release(claim);
    }
    for (const claim of expired.filter(({ takeoverOf }) => takeoverOf === undefined)) {
      const takeover = await this.claims.takeOver(claim);
      if (!takeover) continue;
      // Another relay may have finished this claim (deleting it, then its takeover) between this
      // round's list and the insert above.
      if (!(await this.claims.exists(claim))) {
        await this.claims.release(takeover);
        continue;
      }
      const record = await this.model.findById(claim.imageId).lean<ImageRecord>().exec();
      if (record) {
        const entries = await this.notYetPublished(record, claim);
        published += await publishEntries(this.publisher, record._id, entries);
      }
      // The original first: a relay that takes over after this sees it gone.
      await this.claims.release(claim);
      await this.claims.release(takeover);
    }
    return published;
  }

  /** The claimed entries that are in the record (the writer wrote them) and not on their topics. */
  private async notYetPublished(record: ImageRecord, claim: OutboxClaim): Promise<IndexedEntry[]> {
    const claimed = record.outbox
      .map((entry, index) => ({ entry, index }))
      .filter(({ entry }) => claim.entryIds.includes(entry.id));
    const find = this.options.findPublished;
    if (!find || claimed.length === 0) return claimed;
    // From when the claim was taken, less a minute for clocks that disagree between the writers'
    // machines and the broker.
    const since = claim.claimedAt.getTime() - 60_000;
    const remaining: IndexedEntry[] = [];
    for (const topic of new Set(claimed.map(({ entry }) => entry.topic))) {
      const onTopic = claimed.filter(({ entry }) => entry.topic === topic);
      const ids = new Set(onTopic.map(({ index }) => outboxEventId(record._id, index)));
      const published = await find(topic, since, ids);
      remaining.push(...onTopic.filter(({ index }) => !published.has(outboxEventId(record._id, index))));
    }
    return remaining.sort((a, b) => a.index - b.index);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.round().then((delay) => {
        this.running = undefined;
        this.schedule(delay);
      });
    }, delayMs);
  }

  /** Rounds until the expired claims are drained; idle rounds back off (each is a query per relay). */
  private async round(): Promise<number> {
    const batchSize = this.options.batchSize ?? 50;
    let published = 0;
    try {
      for (;;) {
        const count = await this.relayOnce();
        published += count;
        if (this.stopped || count < batchSize) break;
      }
    } catch (error) {
      this.options.onError?.(error);
    }
    this.idleRounds = published > 0 ? 0 : this.idleRounds + 1;
    const base = this.options.pollIntervalMs ?? 500;
    return Math.max(
      base,
      Math.min(base * 2 ** Math.min(this.idleRounds, 10), this.options.maxPollIntervalMs ?? 5_000),
    );
  }
}

export interface IndexedEntry {
  entry: Pick<OutboxEntry, 'topic' | 'key' | 'payload' | 'headers'>;
  /** The entry's index in the record's outbox (its event id). */
  index: number;
}

/** Publishes entries in order, each with its event id header; resolves with how many. */
export async function publishEntries(
  publisher: OutboxPublisher,
  imageId: string,
  entries: IndexedEntry[],
): Promise<number> {
  for (const { entry, index } of entries) {
    await publisher.send({
      topic: entry.topic,
      acks: -1,
      messages: [
        {
          key: entry.key,
          value: payloadBytes(entry.payload),
          headers: { ...entry.headers, [OUTBOX_EVENT_ID_HEADER]: outboxEventId(imageId, index) },
        },
      ],
    });
  }
  return entries.length;
}

/** A payload as stored: lean reads return BSON Binary, not Buffer; null is a tombstone. */
function payloadBytes(payload: unknown): Buffer | null {
  if (payload === null || payload === undefined) return null;
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload);
  const binary = payload as { buffer?: Uint8Array; position?: number };
  if (binary.buffer instanceof Uint8Array) {
    return Buffer.from(binary.buffer.subarray(0, binary.position ?? binary.buffer.length));
  }
  throw new TypeError('outbox payload is not binary data');
}
