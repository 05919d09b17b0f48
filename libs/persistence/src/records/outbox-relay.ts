import type { Connection, Model, mongo } from 'mongoose';
import { isDuplicateKeyError } from '../errors';
import { type ImageRecord, imageRecordModel } from './image-record';
import { type OutboxPendingMarker, OutboxPendingMarkers } from './outbox-pending';

/**
 * The Kafka header naming each published outbox entry, `<image id>/<index in the record's outbox>`,
 * so that a relay taking over a dead relay's claim can tell which entries already went out.
 */
export const OUTBOX_EVENT_ID_HEADER = 'aperture-event-id';

/** A relay's right to publish some entries of one record (collection outbox_claims). */
interface OutboxClaim {
  _id: string;
  imageId: string;
  /** Indexes into the record's outbox. */
  entries: number[];
  expiresAt: Date;
  /** When the claim was taken (claims of older relays lack it). */
  claimedAt?: Date;
  /** Set on a claim that took over an expired one. */
  takeoverOf?: string;
}

/** What the relay needs from a Kafka producer (kafkajs' Producer fits). */
export interface OutboxPublisher {
  send(record: {
    topic: string;
    acks?: number;
    messages: Array<{ key: string; value: Buffer | null; headers: Record<string, string> }>;
  }): Promise<unknown>;
}

export interface OutboxRelayOptions {
  /**
   * How often a full round looks for unsent events of any record (default 500 ms): events of
   * records this process wrote go out at once (kick with their id); full rounds that find nothing
   * back off, doubling, up to `maxPollIntervalMs` (default 5 s).
   */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Records handled per round (default 50). */
  batchSize?: number;
  onError?: (error: unknown) => void;
  /** How long a relay holds a record it is publishing before another may take over (default 15 s). */
  leaseMs?: number;
  /**
   * How often a relay also scans the image records themselves for unsent events (default 5 min; the
   * first round always does): the safety net for a write whose pending marker was never written,
   * which only a crash between a record's write and its marker's leaves. Not more often: on
   * FerretDB the scan reads every record.
   */
  sweepIntervalMs?: number;
  /**
   * Which of these event ids (OUTBOX_EVENT_ID_HEADER values) are on `topic` since `sinceMs`. With
   * it, a takeover republishes only what the dead relay had not published: exactly once on the
   * topic, not just at least once. Without it, a takeover republishes every claimed entry.
   */
  findPublished?: (topic: string, sinceMs: number, eventIds: ReadonlySet<string>) => Promise<Set<string>>;
}

/**
 * Publishes the unsent outbox entries of image records, in order per record, and marks them sent.
 * Entries are claimed, marked, then published; a relay that dies in between leaves its claim
 * behind, and once it expires another relay publishes the claimed entries that are not on their
 * topic yet (asked through `findPublished`; without it, all of them: a duplicate at worst, which the
 * consumers' idempotent handlers absorb). Any number of relays may run (every service has one over
 * the shared collection): each pending state of a record is claimed once.
 */
export class OutboxRelay {
  private readonly model: Model<ImageRecord>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private kicked = false;
  private readonly leaseMs: number;
  private readonly claims: mongo.Collection<OutboxClaim>;
  private readonly markers: OutboxPendingMarkers;
  private lastSweep = Number.NEGATIVE_INFINITY;
  private idleRounds = 0;
  /** Records written by this process since the last round: published before anything else. */
  private readonly hinted = new Set<string>();
  private fullRoundDue = true;
  private nextFullRoundAt = 0;

  constructor(
    connection: Connection,
    private readonly publisher: OutboxPublisher,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.model = imageRecordModel(connection);
    this.claims = connection.collection<OutboxClaim>('outbox_claims');
    this.markers = new OutboxPendingMarkers(connection);
    this.leaseMs = options.leaseMs ?? 15_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Asks for a round now (after a write), instead of at the next poll. With the id of the record
   * just written, the round publishes that record only (a handful of reads and writes by id); the
   * full round (expired claims, every pending marker) keeps its own, slower pace.
   */
  kick(imageId?: string): void {
    if (this.stopped) return;
    if (imageId === undefined) this.fullRoundDue = true;
    else this.hinted.add(imageId);
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
    const batchSize = this.options.batchSize ?? 50;
    const candidates: Array<{ _id: string; marker?: OutboxPendingMarker }> = (
      await this.markers.list(batchSize)
    ).map((marker) => ({ _id: marker._id, marker }));
    if (Date.now() - this.lastSweep >= (this.options.sweepIntervalMs ?? 300_000)) {
      this.lastSweep = Date.now();
      const marked = new Set(candidates.map(({ _id }) => _id));
      const swept = await this.model
        .find({ outboxPending: true }, { _id: 1 })
        .limit(batchSize)
        .lean<Array<{ _id: string }>>()
        .exec();
      candidates.push(...swept.filter(({ _id }) => !marked.has(_id)));
    }
    for (const { _id, marker } of candidates) published += await this.relayRecord(_id, marker);
    return published;
  }

  /** Publishes one record's unsent entries under a claim; 0 when another relay holds it or none are left. */
  private async relayRecord(_id: string, marker?: OutboxPendingMarker): Promise<number> {
    // One claim per record at a time; the record is read only once the claim is held, so what
    // another relay published just before is seen as sent.
    if (!(await this.insertClaim(_id))) return 0;
    const record = await this.model.findById(_id).lean<ImageRecord>().exec();
    const entries = (record?.outbox ?? [])
      .map((entry, index) => ({ entry, index }))
      .filter(({ entry }) => entry.sentAt === null || entry.sentAt === undefined)
      .map(({ index }) => index);
    if (!record || entries.length === 0) {
      await this.claims.deleteOne({ _id });
      if (marker) await this.markers.clear(marker);
      return 0;
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
    // The marker goes before the event does: once it is out, the next stage writes this record
    // and re-marks it, and a removal racing with that (FerretDB's conditional delete is not
    // atomic) could take the new mark away. A crash from here on leaves the claim to take over.
    if (marker) await this.markers.clear(marker);
    const published = await this.publish(record, entries);
    await this.claims.deleteOne({ _id });
    return published;
  }

  /** Publishes the records this process just wrote (kick with an id). */
  private async relayHinted(): Promise<number> {
    const ids = [...this.hinted];
    this.hinted.clear();
    let published = 0;
    for (const id of ids) {
      // The marker is read before the record: a write after that read re-marks it, and this
      // relay then leaves the newer marker in place for the next round. Without a marker (another
      // relay took it) the record is still looked at: its claim decides who publishes.
      const marker = await this.markers.get(id);
      published += await this.relayRecord(id, marker ?? undefined);
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
        claimedAt: new Date(),
      });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /**
   * Publishes the entries of claims whose relay died before it deleted them. A takeover is a claim
   * too, taken by a unique insert keyed on the expiry of the claim it supersedes: if the relay
   * taking over fails as well (the database or the broker went away mid-way), its takeover expires
   * and the next relay supersedes it in the same way, so a record is never left behind.
   */
  private async takeOverExpiredClaims(): Promise<number> {
    const now = new Date();
    const expired = await this.claims
      .find({ expiresAt: { $lt: now }, takeoverOf: { $exists: false } })
      .limit(this.options.batchSize ?? 50)
      .toArray();
    let published = 0;
    for (const claim of expired) {
      const latest = (await this.claims.find({ takeoverOf: claim._id }).toArray()).reduce<
        OutboxClaim | undefined
      >((a, b) => (a && a.expiresAt >= b.expiresAt ? a : b), undefined);
      if (latest && latest.expiresAt >= now) continue; // another relay is taking it over
      const takeoverId = `${claim._id}:takeover:${(latest ?? claim).expiresAt.getTime()}`;
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
      if (record) published += await this.publish(record, await this.notYetPublished(record, claim));
      await this.claims.deleteMany({ takeoverOf: claim._id });
      await this.claims.deleteOne({ _id: claim._id });
    }
    return published;
  }

  /** The claimed entries the dead relay did not get onto their topics. */
  private async notYetPublished(record: ImageRecord, claim: OutboxClaim): Promise<number[]> {
    const find = this.options.findPublished;
    if (!find || claim.entries.length === 0) return claim.entries;
    // From when the claim was taken (older claims: a lease before it expired), less a minute for
    // clocks that disagree between the relays' machines and the broker.
    const since = (claim.claimedAt?.getTime() ?? claim.expiresAt.getTime() - 2 * this.leaseMs) - 60_000;
    const remaining: number[] = [];
    const byTopic = new Map<string, number[]>();
    for (const index of claim.entries) {
      const entry = record.outbox[index];
      if (entry) byTopic.set(entry.topic, [...(byTopic.get(entry.topic) ?? []), index]);
    }
    for (const [topic, indexes] of byTopic) {
      const ids = new Set(indexes.map((index) => eventId(record._id, index)));
      const published = await find(topic, since, ids);
      remaining.push(...indexes.filter((index) => !published.has(eventId(record._id, index))));
    }
    return remaining.sort((a, b) => a - b);
  }

  private async publish(record: ImageRecord, indexes: number[]): Promise<number> {
    for (const index of indexes) {
      const entry = record.outbox[index];
      if (!entry) continue;
      await this.publisher.send({
        topic: entry.topic,
        acks: -1,
        messages: [
          {
            key: entry.key,
            value: payloadBytes(entry.payload),
            headers: { ...entry.headers, [OUTBOX_EVENT_ID_HEADER]: eventId(record._id, index) },
          },
        ],
      });
    }
    return indexes.length;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.round().then(() => {
        this.running = undefined;
        const again = this.kicked || this.hinted.size > 0;
        this.kicked = false;
        this.schedule(again ? 0 : Math.max(0, this.nextFullRoundAt - Date.now()));
      });
    }, delayMs);
  }

  /**
   * A full round when one is due (kick without an id, or the poll interval passed), else the
   * hinted records only. Idle full rounds back off, doubling up to maxPollIntervalMs: each is a
   * query per relay, and every service runs one.
   */
  private async round(): Promise<void> {
    try {
      if (this.fullRoundDue || Date.now() >= this.nextFullRoundAt) {
        this.fullRoundDue = false;
        this.hinted.clear(); // their markers are in the full round's list
        let published = 0;
        // Keep going while full batches come back, so a backlog drains without waiting for polls.
        for (;;) {
          const count = await this.relayOnce();
          published += count;
          if (this.stopped || count < (this.options.batchSize ?? 50)) break;
        }
        this.idleRounds = published > 0 ? 0 : this.idleRounds + 1;
        const base = this.options.pollIntervalMs ?? 500;
        const delay = Math.min(
          base * 2 ** Math.min(this.idleRounds, 10),
          this.options.maxPollIntervalMs ?? 5_000,
        );
        this.nextFullRoundAt = Date.now() + Math.max(base, delay);
      } else {
        await this.relayHinted();
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}

function eventId(imageId: string, index: number): string {
  return `${imageId}/${index}`;
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
