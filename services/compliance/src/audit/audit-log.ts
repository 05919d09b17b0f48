import { type AuditFacts, type ChainedEntry, chainEntry, GENESIS_HASH } from '@aperture/audit';
import { ApiError } from '@aperture/runtime';
import { isDuplicateKeyError } from '@aperture/persistence';
import { type Connection, type Model, Schema } from 'mongoose';

/** A stored entry: `_id` is "<tenantId>/<seq, 12 digits>", so a seq is taken once per tenant. */
export interface AuditEntryDoc extends ChainedEntry {
  _id: string;
}

/** The tenant's last entry as its last appender saw it: where the next append starts looking. */
interface AuditHeadDoc {
  _id: string;
  seq: number;
  hash: string;
}

/** An idempotency key of an entry ("decision/<imageId>"): a redelivered decision is not logged twice. */
interface AuditKeyDoc {
  _id: string;
  seq: number;
}

const entrySchema = new Schema<AuditEntryDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    seq: { type: Number, required: true },
    at: { type: String, required: true },
    stage: { type: String, required: true },
    rule: { type: String, default: '' },
    outcome: { type: String, required: true },
    actor: { type: String, required: true },
    imageId: { type: String, default: '' },
    subjectId: { type: String, default: '' },
    inputs: { type: [{ _id: false, name: String, sha256: String }], default: [] },
    detail: { type: String, default: '' },
    prevHash: { type: String, required: true },
    hash: { type: String, required: true },
  },
  { collection: 'audit_log', versionKey: false },
);
entrySchema.index({ tenantId: 1, seq: 1 }, { name: 'tenant_seq' });
entrySchema.index({ tenantId: 1, imageId: 1, seq: 1 }, { name: 'tenant_image_seq' });

const headSchema = new Schema<AuditHeadDoc>(
  { _id: { type: String, required: true }, seq: Number, hash: String },
  { collection: 'audit_heads', versionKey: false },
);
const keySchema = new Schema<AuditKeyDoc>(
  { _id: { type: String, required: true }, seq: Number },
  { collection: 'audit_keys', versionKey: false },
);

const model = <T>(connection: Connection, name: string, schema: Schema<T>): Model<T> =>
  (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema);

export function registerAuditModels(connection: Connection): void {
  model(connection, 'AuditLogEntry', entrySchema);
  model(connection, 'AuditHead', headSchema);
  model(connection, 'AuditKey', keySchema);
}

const entryId = (tenantId: string, seq: number) => `${tenantId}/${String(seq).padStart(12, '0')}`;

export type NewAuditEntry = Omit<AuditFacts, 'seq' | 'at' | 'inputs' | 'subjectId' | 'imageId' | 'rule'> &
  Partial<Pick<AuditFacts, 'inputs' | 'subjectId' | 'imageId' | 'rule'>>;

export interface AuditPage {
  entries: ChainedEntry[];
  nextPageToken: string;
  head: { seq: number; hash: string };
}

/** How many tenants' heads one process remembers (the least recently used is forgotten first). */
const KNOWN_HEADS_LIMIT = 10_000;

/**
 * The append-only, hash-chained audit log of each tenant. Appending takes the next sequence number
 * by inserting its `_id` (unique: of two concurrent appenders one wins, the other moves on to the
 * next number), links to the previous entry's hash, then advances the tenant's head. The head is
 * only a hint for where to start: a crash before it moves costs the next appender one extra read.
 * The log offers no update or delete.
 *
 * Round trips of a keyed append with no other appender: the key's read, the entry's insert, the
 * head's update and the key's insert (4). The head this process last wrote is remembered, so it is
 * read from the database only for a tenant this process has not appended to yet, or after another
 * process took the remembered next number.
 */
export class AuditLog {
  private readonly entries: Model<AuditEntryDoc>;
  private readonly heads: Model<AuditHeadDoc>;
  private readonly keys: Model<AuditKeyDoc>;
  private readonly knownHeads = new Map<string, { seq: number; hash: string }>();

  constructor(
    connection: Connection,
    private readonly clock: () => Date = () => new Date(),
  ) {
    registerAuditModels(connection);
    this.entries = connection.models['AuditLogEntry'] as Model<AuditEntryDoc>;
    this.heads = connection.models['AuditHead'] as Model<AuditHeadDoc>;
    this.keys = connection.models['AuditKey'] as Model<AuditKeyDoc>;
  }

  /**
   * Appends one entry; with a `key`, only once per tenant and key (a redelivered decision finds its
   * key and appends nothing). Returns the entry's seq.
   */
  async append(entry: NewAuditEntry, key?: string): Promise<number> {
    const { tenantId } = entry;
    const keyId = key === undefined ? undefined : `${tenantId}/${key}`;
    if (keyId) {
      const existing = await this.keys.findById(keyId).lean<AuditKeyDoc>().exec();
      if (existing) return existing.seq;
    }
    let head = this.knownHeads.get(tenantId) ?? (await this.head(tenantId));
    let headRead = !this.knownHeads.has(tenantId);
    for (let attempt = 0; ; attempt += 1) {
      const seq = head.seq + 1;
      const chained = chainEntry(
        {
          tenantId,
          seq,
          at: this.clock().toISOString(),
          stage: entry.stage,
          rule: entry.rule ?? '',
          outcome: entry.outcome,
          actor: entry.actor,
          imageId: entry.imageId ?? '',
          subjectId: entry.subjectId ?? '',
          inputs: entry.inputs ?? [],
          detail: entry.detail,
        },
        head.hash,
      );
      try {
        await this.entries.create({ _id: entryId(tenantId, seq), ...chained });
      } catch (error) {
        if (!isDuplicateKeyError(error) || attempt > 10_000) throw error;
        if (!headRead) {
          // Another process appended since this one last did: start again from the recorded head.
          headRead = true;
          const recorded = await this.head(tenantId);
          if (recorded.seq > head.seq) {
            head = recorded;
            continue;
          }
        }
        // Taken: by a concurrent appender, or by one that crashed before moving the head.
        const taken = await this.entries.findById(entryId(tenantId, seq)).lean<AuditEntryDoc>().exec();
        if (!taken) throw error;
        head = { seq: taken.seq, hash: taken.hash };
        continue;
      }
      this.remember(tenantId, { seq, hash: chained.hash });
      await this.advanceHead(tenantId, seq, chained.hash);
      if (keyId) await this.keys.updateOne({ _id: keyId }, { $setOnInsert: { seq } }, { upsert: true });
      return seq;
    }
  }

  /**
   * Moves the recorded head forward to (seq, hash) in one write; a head already at or past seq
   * stays (the upsert then finds the tenant's head taken, a duplicate key, and does nothing).
   * Seq and hash are written together, so the head never pairs one entry's seq with another's hash.
   */
  private async advanceHead(tenantId: string, seq: number, hash: string): Promise<void> {
    try {
      await this.heads.updateOne(
        { _id: tenantId, seq: { $lt: seq } },
        { $set: { seq, hash } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  private remember(tenantId: string, head: { seq: number; hash: string }): void {
    this.knownHeads.delete(tenantId);
    this.knownHeads.set(tenantId, head);
    if (this.knownHeads.size > KNOWN_HEADS_LIMIT) {
      this.knownHeads.delete(this.knownHeads.keys().next().value!);
    }
  }

  /** The tenant's recorded head: the last appended seq and its hash (0 and the genesis hash when empty). */
  async head(tenantId: string): Promise<{ seq: number; hash: string }> {
    const head = await this.heads.findById(tenantId).lean<AuditHeadDoc>().exec();
    return head ? { seq: head.seq, hash: head.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  /**
   * One page of the tenant's chain in order (or of one image's entries), from after the seq the
   * token names. The token is the last returned seq, so pages stay stable while entries are appended.
   */
  async page(
    tenantId: string,
    options: { imageId?: string; pageSize?: number; pageToken?: string },
  ): Promise<AuditPage> {
    const pageSize = Math.min(Math.max(options.pageSize || 100, 1), 1000);
    const after = options.pageToken ? Number(options.pageToken) : 0;
    if (!Number.isSafeInteger(after) || after < 0) throw new InvalidPageToken();
    const found = await this.entries
      .find({ tenantId, seq: { $gt: after }, ...(options.imageId && { imageId: options.imageId }) })
      .sort({ seq: 1 })
      .limit(pageSize + 1)
      .lean<AuditEntryDoc[]>()
      .exec();
    const entries = found.slice(0, pageSize).map(({ _id, ...entry }) => ({
      ...entry,
      inputs: entry.inputs.map(({ name, sha256 }) => ({ name, sha256 })),
    }));
    return {
      entries,
      nextPageToken: found.length > pageSize ? String(entries.at(-1)!.seq) : '',
      head: await this.head(tenantId),
    };
  }
}

/** A page token this service did not issue: 400 over REST, INVALID_ARGUMENT over gRPC. */
export class InvalidPageToken extends ApiError {
  constructor() {
    super('invalid_request', 'page_token is not one this service issued');
    this.name = 'InvalidPageToken';
  }
}
