import { type Connection, type Model, Schema } from 'mongoose';

/**
 * Where an image stands. curated and rejected are terminal; an image reaches exactly one of them.
 * erased follows an erasure request (from any status): the record is then a tombstone.
 */
export type ImageStatus = 'processing' | 'pending_annotation' | 'curated' | 'rejected' | 'erased';

/** Whether no stage may act on the image any more. */
export const isSettledStatus = (status: ImageStatus): boolean =>
  status === 'curated' || status === 'rejected' || status === 'erased';

/** What a tombstone keeps of an erased image: what the audit needs, no pixels and no personal data. */
export interface ErasureMark {
  erasureId: string;
  /** "request" or "consent_revoked". */
  reason: string;
  erasedAt: Date;
  /** The status the image had when it was erased. */
  previousStatus: ImageStatus;
  /** Every blob the image had; deleted after the tombstone is written (and again on a resume). */
  blobKeys: string[];
}

export interface StoredReason {
  code: string;
  message: string;
}

export interface RawBlob {
  key: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

/** An event waiting in (or already published from) a record's outbox. */
export interface OutboxEntry {
  id: string;
  topic: string;
  key: string;
  /** null for a Kafka tombstone (a compacted topic's deletion of the key). */
  payload: Buffer | null;
  /** Kafka headers, W3C trace context included, captured when the event was written. */
  headers: Record<string, string>;
  createdAt: Date;
}

/** Who collected an image for a collection campaign, and what they declared about it. */
export interface CampaignUploadRecord {
  campaignId: string;
  collectorId: string;
  category: string;
  setting: string;
  tags: string[];
}

export interface ImageRecord {
  _id: string;
  tenantId: string;
  projectId: string;
  batchId: string;
  filename: string;
  raw: RawBlob;
  declarations: { region: string; consentIds: string[] };
  receivedAt: Date;
  /** Set for an upload to a collection campaign (services/campaigns). */
  campaign?: CampaignUploadRecord;
  status: ImageStatus;
  /** The stage that decided a terminal status, or the last one done. */
  stage: string;
  reasons: StoredReason[];
  /** Each stage's result, set once: a stage that finds its key set has already run. */
  stages: Record<string, unknown>;
  /** Every event announcing a change of the record, in order (it only grows; outbox_claims says what may be unsent). */
  outbox: OutboxEntry[];

  /** When the image reached curated or rejected (retention counts from here). */
  settledAt?: Date | null;
  /** When retention deleted the raw upload (the record keeps its checksum). */
  rawDeletedAt?: Date | null;
  /** Set on a tombstone. */
  erasure?: ErasureMark | null;
  /**
   * `<batchId>/<list bucket>` (listKeyOf), set by ingest at upload: a batch's image list reads its
   * records a bucket at a time by this equality, never the whole batch.
   */
  listKey?: string;

  /** Incremented by every write. */
  version: number;
}

const outboxEntrySchema = new Schema<OutboxEntry>(
  {
    id: { type: String, required: true },
    topic: { type: String, required: true },
    key: { type: String, required: true },
    payload: { type: Buffer, default: null },
    headers: { type: Schema.Types.Mixed, default: {} },
    createdAt: { type: Date, required: true },
  },
  { _id: false },
);

export const imageRecordSchema = new Schema<ImageRecord>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    batchId: { type: String, required: true },
    filename: { type: String, required: true },
    raw: {
      key: { type: String, required: true },
      contentType: { type: String, required: true },
      sizeBytes: { type: Number, required: true },
      sha256: { type: String, required: true },
    },
    declarations: {
      region: { type: String, default: '' },
      consentIds: { type: [String], default: [] },
    },
    receivedAt: { type: Date, required: true },
    campaign: {
      type: new Schema<CampaignUploadRecord>(
        {
          campaignId: { type: String, required: true },
          collectorId: { type: String, required: true },
          category: { type: String, default: '' },
          setting: { type: String, default: '' },
          tags: { type: [String], default: [] },
        },
        { _id: false },
      ),
      required: false,
    },
    status: {
      type: String,
      required: true,
      enum: ['processing', 'pending_annotation', 'curated', 'rejected', 'erased'],
    },
    settledAt: { type: Date, default: null },
    rawDeletedAt: { type: Date, default: null },
    erasure: { type: Schema.Types.Mixed, default: null },
    listKey: { type: String, required: false },
    stage: { type: String, required: true },
    reasons: { type: [{ code: String, message: String, _id: false }], default: [] },
    stages: { type: Schema.Types.Mixed, default: {} },
    outbox: { type: [outboxEntrySchema], default: [] },

    version: { type: Number, required: true, default: 0 },
  },
  { collection: 'images', minimize: false, versionKey: false },
);
imageRecordSchema.index({ tenantId: 1, batchId: 1, status: 1 }, { name: 'tenant_batch_status' });
imageRecordSchema.index({ listKey: 1 }, { name: 'list_key' });

/**
 * The list bucket of an image id: ingest's ids are `img_<9 base-36 characters of ms><random>`, so
 * their first 7 time characters group the images uploaded within the same 1.3 s, and buckets sort
 * in id order. Another id shape falls in the bucket ''.
 */
export function listBucketOf(imageId: string): string {
  const match = /^[a-z]{3}_([0-9a-z]{9})[0-9a-z]+$/.exec(imageId);
  return match ? match[1]!.slice(0, 7) : '';
}

/** The list key of an image of a batch (ImageRecord.listKey). */
export const listKeyOf = (batchId: string, imageId: string): string => `${batchId}/${listBucketOf(imageId)}`;
// Per-collector statistics of a campaign (services/campaigns); absent on other uploads.
imageRecordSchema.index(
  { 'campaign.campaignId': 1, 'campaign.collectorId': 1, status: 1 },
  { name: 'campaign_collector_status' },
);

export const imageRecordModelName = 'ImageRecord';

/** The ImageRecord model on a connection (compiled once per connection). */
export function imageRecordModel(connection: Connection): Model<ImageRecord> {
  return (
    (connection.models[imageRecordModelName] as Model<ImageRecord> | undefined) ??
    connection.model<ImageRecord>(imageRecordModelName, imageRecordSchema)
  );
}
