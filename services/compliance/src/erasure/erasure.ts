import { ApiError } from '@aperture/runtime';
import { randomBytes } from 'node:crypto';
import { complianceV1, Topics } from '@aperture/contracts';
import type { ErasureMark, ImageRecord } from '@aperture/persistence';
import { pendingEvent, type StageContext } from '@aperture/stage-runtime';
import { type Connection, type Model, Schema } from 'mongoose';
import type { AuditLog } from '../audit/audit-log';
import { consentKey, consentModel } from '../consents/consent.store';

/** An erasure request and how far it got: the images it covers are fixed when it is requested. */
export interface ErasureDoc {
  _id: string;
  tenantId: string;
  imageId: string;
  batchId: string;
  consentId: string;
  /** "request", or "consent_revoked" when a revocation asked for it. */
  reason: string;
  actor: string;
  state: 'pending' | 'done';
  imageIds: string[];
  /** The images already erased (a resumed erasure skips them). */
  erased: string[];
  requestedAt: Date;
  completedAt: Date | null;
}

const erasureSchema = new Schema<ErasureDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    imageId: { type: String, default: '' },
    batchId: { type: String, default: '' },
    consentId: { type: String, default: '' },
    reason: { type: String, required: true },
    actor: { type: String, required: true },
    state: { type: String, required: true, enum: ['pending', 'done'] },
    imageIds: { type: [String], default: [] },
    erased: { type: [String], default: [] },
    requestedAt: { type: Date, required: true },
    completedAt: { type: Date, default: null },
  },
  { collection: 'erasures', versionKey: false, minimize: false },
);
erasureSchema.index({ state: 1 }, { name: 'state' });

export function erasureModel(connection: Connection): Model<ErasureDoc> {
  return (
    (connection.models['Erasure'] as Model<ErasureDoc> | undefined) ??
    connection.model('Erasure', erasureSchema)
  );
}

export const toErasure = (doc: ErasureDoc): complianceV1.Erasure => ({
  erasureId: doc._id,
  tenantId: doc.tenantId,
  imageId: doc.imageId,
  batchId: doc.batchId,
  consentId: doc.consentId,
  state: doc.state,
  requestedAt: doc.requestedAt.toISOString(),
  completedAt: doc.completedAt?.toISOString() ?? '',
  imageCount: doc.imageIds.length,
  erasedCount: doc.erased.length,
  reason: doc.reason,
});

export interface ErasureTarget {
  tenantId: string;
  imageId?: string;
  batchId?: string;
  consentId?: string;
  /** The exact images (a revocation erases only the curated ones); otherwise resolved from the target. */
  imageIds?: string[];
  reason?: 'request' | 'consent_revoked';
  actor: string;
}

/**
 * The record fields that may hold a blob key: raw upload, derivative, thumbnail, cleared derivative
 * and thumbnail. What an erasure deletes, and what "still held by another record" looks at.
 */
const KEY_FIELDS = [
  'raw.key',
  'stages.standardize.derivative.key',
  'stages.standardize.thumbnail.key',
  'stages.compliance.cleared.key',
  'stages.compliance.clearedThumbnail.key',
];

/** Every blob a record points at (the KEY_FIELDS it has set). */
export function blobKeysOf(record: Pick<ImageRecord, 'raw' | 'stages'>): string[] {
  const valueAt = (path: string): unknown =>
    path
      .split('.')
      .reduce<unknown>((value, part) => (value as Record<string, unknown> | undefined)?.[part], record);
  const keys = KEY_FIELDS.map(valueAt);
  return [...new Set(keys.filter((key): key is string => typeof key === 'string' && key !== ''))];
}

/**
 * Erasure: deletes every blob of the covered images, replaces each record by a tombstone, and
 * announces it (a tombstone for the key on the compacted curated topic when the image was curated,
 * and an image.erased event), then logs it. Each step is idempotent and the request remembers which
 * images are done, so a crash half-way resumes where it stopped (`resumePending`, at start and
 * every minute) and never leaves an image half-erased without finishing it.
 */
export class Erasures {
  readonly model: Model<ErasureDoc>;
  private readonly running = new Map<string, Promise<ErasureDoc | null>>();

  constructor(
    private readonly ctx: StageContext,
    private readonly audit: AuditLog,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.model = erasureModel(ctx.pipeline.connection);
  }

  /** Records the request (its images resolved now) and starts it; the answer does not wait for it. */
  async request(target: ErasureTarget): Promise<ErasureDoc> {
    const given = [target.imageId, target.batchId, target.consentId].filter(Boolean).length;
    if (given !== 1 && !target.imageIds)
      throw new ApiError('invalid_request', 'name exactly one of imageId, batchId or consentId');
    const imageIds = target.imageIds ?? (await this.resolve(target));
    const doc: ErasureDoc = {
      _id: `ers_${randomBytes(12).toString('hex')}`,
      tenantId: target.tenantId,
      imageId: target.imageId ?? '',
      batchId: target.batchId ?? '',
      consentId: target.consentId ?? '',
      reason: target.reason ?? 'request',
      actor: target.actor,
      state: 'pending',
      imageIds,
      erased: [],
      requestedAt: this.clock(),
      completedAt: null,
    };
    await this.model.create(doc);
    await this.audit.append(
      {
        tenantId: doc.tenantId,
        stage: 'erasure',
        rule: `erase by ${doc.imageId ? `image ${doc.imageId}` : doc.batchId ? `batch ${doc.batchId}` : `consent ${doc.consentId}`}`,
        outcome: 'requested',
        actor: doc.actor,
        subjectId: doc._id,
        detail: `${imageIds.length} image(s); reason ${doc.reason}`,
      },
      `erasure-requested/${doc._id}`,
    );
    void this.process(doc._id).catch((error: unknown) =>
      this.ctx.log.warn(
        { err: error, erasureId: doc._id },
        'erasure interrupted; it resumes on the next sweep',
      ),
    );
    return doc;
  }

  async get(tenantId: string, erasureId: string): Promise<ErasureDoc | null> {
    return this.model.findOne({ _id: erasureId, tenantId }).lean<ErasureDoc>().exec();
  }

  /** Runs (or joins the run of) one erasure to its end. */
  process(erasureId: string): Promise<ErasureDoc | null> {
    const running = this.running.get(erasureId);
    if (running) return running;
    const run = this.run(erasureId).finally(() => this.running.delete(erasureId));
    this.running.set(erasureId, run);
    return run;
  }

  /** Finishes every erasure left pending (by a crash, or a restart mid-way). */
  async resumePending(): Promise<number> {
    const pending = await this.model
      .find({ state: 'pending' }, { _id: 1 })
      .lean<Array<{ _id: string }>>()
      .exec();
    for (const { _id } of pending) await this.process(_id);
    return pending.length;
  }

  private async run(erasureId: string): Promise<ErasureDoc | null> {
    const doc = await this.model.findById(erasureId).lean<ErasureDoc>().exec();
    if (!doc || doc.state === 'done') return doc;
    const done = new Set(doc.erased);
    for (const imageId of doc.imageIds) {
      if (done.has(imageId)) continue;
      await this.eraseImage(doc, imageId);
      await this.model.updateOne({ _id: erasureId }, { $addToSet: { erased: imageId } });
    }
    const completedAt = this.clock();
    await this.model.updateOne({ _id: erasureId }, { $set: { state: 'done', completedAt } });
    await this.audit.append(
      {
        tenantId: doc.tenantId,
        stage: 'erasure',
        outcome: 'done',
        actor: 'service:compliance',
        subjectId: erasureId,
        detail: `${doc.imageIds.length} image(s) erased`,
      },
      `erasure-done/${erasureId}`,
    );
    return { ...doc, state: 'done', completedAt, erased: doc.imageIds };
  }

  private async resolve(target: ErasureTarget): Promise<string[]> {
    const records = this.ctx.pipeline.records.model;
    if (target.imageId) {
      const found = await records
        .findById(target.imageId, { tenantId: 1 })
        .lean<Pick<ImageRecord, 'tenantId'>>()
        .exec();
      if (!found || found.tenantId !== target.tenantId)
        throw new ApiError('not_found', `image ${target.imageId} does not exist`);
      return [target.imageId];
    }
    if (
      target.consentId &&
      !(await consentModel(this.ctx.pipeline.connection).exists({
        _id: consentKey(target.tenantId, target.consentId),
      }))
    )
      throw new ApiError('not_found', `consent ${target.consentId} does not exist`);
    const filter = target.batchId
      ? { tenantId: target.tenantId, batchId: target.batchId }
      : { tenantId: target.tenantId, 'declarations.consentIds': target.consentId };
    const found = await records.find(filter, { _id: 1 }).lean<Array<{ _id: string }>>().exec();
    if (found.length === 0 && target.batchId)
      throw new ApiError('not_found', `batch ${target.batchId} has no images`);
    return found.map(({ _id }) => _id).sort();
  }

  /** One image: tombstone (with its events) first, then the blobs, then the audit entry. */
  private async eraseImage(erasure: ErasureDoc, imageId: string): Promise<void> {
    const { records } = this.ctx.pipeline;
    let record = await records.get(imageId);
    if (!record || record.tenantId !== erasure.tenantId) return;
    if (record.status !== 'erased') {
      const mark: ErasureMark = {
        erasureId: erasure._id,
        reason: erasure.reason,
        erasedAt: this.clock(),
        previousStatus: record.status,
        blobKeys: blobKeysOf(record),
      };
      const erased = complianceV1.ImageErased.encode({
        imageId,
        tenantId: record.tenantId,
        projectId: record.projectId,
        erasureId: erasure._id,
        reason: erasure.reason,
        erasedAt: mark.erasedAt.toISOString(),
      }).finish();
      const events = [
        // The curated topic is compacted: a null value for the key removes the image from it.
        ...(record.status === 'curated'
          ? [{ ...pendingEvent(Topics.imageCurated, imageId, new Uint8Array()), payload: null }]
          : []),
        pendingEvent(Topics.imageErased, imageId, erased),
      ];
      await records.tombstone(imageId, mark, events);
      record = { ...record, status: 'erased', erasure: mark };
    }
    const mark = record.erasure!;
    for (const key of mark.blobKeys) {
      // Content-addressed blobs are shared by identical uploads (of any tenant): delete a blob only
      // when no other live record points at it.
      if (await blobHeldElsewhere(this.ctx, key, imageId)) continue;
      await this.ctx.blobs.delete(key);
    }
    await this.audit.append(
      {
        tenantId: erasure.tenantId,
        stage: 'erasure',
        rule: `erasure ${erasure._id} (${erasure.reason})`,
        outcome: 'erased',
        actor: erasure.actor,
        imageId,
        subjectId: erasure._id,
        inputs: [{ name: 'raw', sha256: record.raw.sha256 }],
        // Nothing about other holders of the same bytes (maybe another tenant's identical upload):
        // for this image every blob is gone, as every route that served it answers 404.
        detail: `was ${mark.previousStatus}; its ${mark.blobKeys.length} blob(s) erased`,
      },
      `erased/${imageId}`,
    );
  }
}

/** Whether a record other than `imageId`, not erased, still points at blob `key`. */
export async function blobHeldElsewhere(ctx: StageContext, key: string, imageId: string): Promise<boolean> {
  const holders = KEY_FIELDS.map((field) =>
    // A record whose raw upload retention already let go does not hold the raw key any more.
    field === 'raw.key' ? { 'raw.key': key, rawDeletedAt: null } : { [field]: key },
  );
  const other = await ctx.pipeline.records.model
    .exists({ _id: { $ne: imageId }, status: { $ne: 'erased' }, $or: holders })
    .exec();
  return other !== null;
}
