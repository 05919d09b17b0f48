import { randomUUID } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import { isDuplicateKeyError } from '../errors';

/**
 * The Kafka header naming each published outbox entry, `<image id>/<index in the record's outbox>`,
 * so that a relay taking over a dead writer's claim can tell which entries already went out.
 */
export const OUTBOX_EVENT_ID_HEADER = 'aperture-event-id';

export function outboxEventId(imageId: string, index: number): string {
  return `${imageId}/${index}`;
}

/**
 * The right to publish some outbox entries of one record (collection outbox_claims): taken by the
 * writer *before* its write, deleted once the entries are on their topics. A claim that is still
 * there after its lease is a writer that died (or wrote nothing): any relay takes it over.
 */
export interface OutboxClaim {
  _id: string;
  imageId: string;
  /** The ids of the claimed outbox entries (OutboxEntry.id), so a takeover finds exactly those. */
  entryIds: string[];
  expiresAt: Date;
  claimedAt: Date;
  /** Set on a claim that took over an expired one. */
  takeoverOf?: string;
}

/** What the outbox needs from a Kafka producer (kafkajs' Producer fits). */
export interface OutboxPublisher {
  send(record: {
    topic: string;
    acks?: number;
    messages: Array<{ key: string; value: Buffer | null; headers: Record<string, string> }>;
  }): Promise<unknown>;
}

/**
 * The claims collection. Only writers (one insert, one delete per write) and takeovers touch it,
 * never an image record, so a claim's life never races with a stage's write of the record: FerretDB
 * 1.x applies an update as read, modify, write back, and two updates of one document at once can
 * lose one of them.
 */
export class OutboxClaims {
  readonly collection: mongo.Collection<OutboxClaim>;

  constructor(
    connection: Connection,
    /** How long a writer holds its claim before a relay may take it over (default 15 s). */
    readonly leaseMs = 15_000,
  ) {
    this.collection = connection.collection<OutboxClaim>('outbox_claims');
  }

  /** Claims entries about to be written. */
  async take(imageId: string, entryIds: string[]): Promise<OutboxClaim> {
    const now = Date.now();
    const claim: OutboxClaim = {
      _id: randomUUID(),
      imageId,
      entryIds,
      claimedAt: new Date(now),
      expiresAt: new Date(now + this.leaseMs),
    };
    await this.collection.insertOne(claim);
    return claim;
  }

  async release(claim: Pick<OutboxClaim, '_id'>): Promise<void> {
    await this.collection.deleteOne({ _id: claim._id });
  }

  /**
   * Claims past their lease: of writers that died (or handed their entries to the relays), and
   * takeovers whose relay died too.
   */
  expired(limit: number): Promise<OutboxClaim[]> {
    return this.collection
      .find({ expiresAt: { $lt: new Date() } })
      .limit(limit)
      .toArray();
  }

  /** A relay's claim on an expired claim; null when another relay holds it. */
  async takeOver(claim: OutboxClaim): Promise<OutboxClaim | null> {
    const now = Date.now();
    const takeover: OutboxClaim = {
      _id: `${claim._id}:takeover`,
      imageId: claim.imageId,
      entryIds: claim.entryIds,
      takeoverOf: claim._id,
      claimedAt: new Date(now),
      expiresAt: new Date(now + this.leaseMs),
    };
    try {
      await this.collection.insertOne(takeover);
      return takeover;
    } catch (error) {
      if (isDuplicateKeyError(error)) return null;
      throw error;
    }
  }

  async exists(claim: Pick<OutboxClaim, '_id'>): Promise<boolean> {
    return (await this.collection.findOne({ _id: claim._id }, { projection: { _id: 1 } })) !== null;
  }

  count(filter: mongo.Filter<OutboxClaim> = {}): Promise<number> {
    return this.collection.countDocuments(filter);
  }
}
