import { BlobTooLargeError } from '@aperture/blob-store';
import { ingestV1, qualityV1, Topics } from '@aperture/contracts';
import { traceHeaders } from '@aperture/messaging';
import {
  imageRecordModel,
  type ImageRecord,
  listBucketOf,
  listKeyOf,
  type NewImageRecord,
} from '@aperture/persistence';
import { Inject, Injectable } from '@nestjs/common';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Model } from 'mongoose';
import { finished, type Readable, Transform } from 'node:stream';
import { type CampaignUploadRecord } from '@aperture/persistence';
import { BatchesService } from '../batches/batches.service';
import { newId } from '../domain/ids';
import { type ImageListQuery, toPage } from '../domain/pagination';
import { ACCEPTED_FORMATS, sniffImageType } from '../domain/sniff';
import { ApiError, type ApiErrorCode } from '../errors';
import type { BatchRecord } from '../models';
import { INGEST_DEPS, type IngestDeps } from '../tokens';
import { type ImageView, toImageView, type VerdictView } from '../views';

const tracer = trace.getTracer('aperture-ingest');

/**
 * An image's own consent ids (REST: the multipart field `consentIds`, comma-separated, sent before
 * the file; gRPC: `consent_ids`): at most 100, each 1..200 characters; a 400 names the field.
 */
export function imageConsentIds(ids: readonly string[]): string[] {
  const trimmed = ids.map((id) => id.trim()).filter((id) => id !== '');
  if (trimmed.length > 100 || trimmed.some((id) => id.length > 200))
    throw ApiError.invalid('invalid consentIds', [
      { field: 'consentIds', message: 'must list at most 100 consent ids of 1..200 characters' },
    ]);
  return trimmed;
}

/** What a campaign upload declares (REST multipart fields / gRPC metadata) and who sends it. */
export interface CampaignDeclaration {
  campaignId: string;
  /** The collector's own credential (header x-collector-token). */
  collectorToken: string;
  category: string;
  setting: string;
  tags: string[];
}

export interface UploadOptions {
  campaign?: CampaignDeclaration;
  /** Consents this image relies on besides its batch's (`imageConsentIds` checks them). */
  consentIds?: string[];
  /** Answer with the quality verdict on the same bytes (quality's Assess). */
  syncVerdict?: boolean;
}

const refusalCodes = new Set<ApiErrorCode>([
  'campaign_not_found',
  'campaign_closed',
  'campaign_cell_full',
  'campaign_no_cell',
  'collector_not_verified',
  'collector_cap_reached',
  'unauthenticated',
  'invalid_request',
]);

/** A client's file name, kept for people only: no directories, no control characters, bounded. */
export function cleanFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = Array.from(base)
    .filter((char) => char.charCodeAt(0) >= 0x20 && char.charCodeAt(0) !== 0x7f)
    .join('')
    .trim()
    .slice(0, 255);
  return clean === '' ? 'unnamed' : clean;
}

/** Uploads (streamed into the blob store, sniffed) and reads of image records. */
@Injectable()
export class ImagesService {
  private readonly images: Model<ImageRecord>;

  constructor(
    @Inject(INGEST_DEPS) private readonly deps: IngestDeps,
    @Inject(BatchesService) private readonly batches: BatchesService,
  ) {
    this.images = imageRecordModel(deps.connection);
  }

  /**
   * Stores one upload: the bytes stream into the blob store (content-addressed under raw/, at most
   * MAX_UPLOAD_BYTES, the type sniffed from the first bytes), then the record and its ImageIngested
   * event are written in one document write, and the event published. Refusals: too_large,
   * unsupported_media_type, invalid_request (an empty file), batch_closed (if the batch closed
   * meanwhile).
   */
  async upload(
    batch: BatchRecord,
    filename: string | undefined,
    source: Readable,
    options: UploadOptions = {},
  ): Promise<ImageView> {
    const name = cleanFilename(filename);
    return tracer.startActiveSpan(
      'ingest image',
      { attributes: { 'aperture.tenant_id': batch.tenantId, 'aperture.batch_id': batch._id } },
      async (span) => {
        try {
          const view = await this.store(batch, name, source, options);
          span.setAttribute('aperture.image_id', view.imageId);
          return view;
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * Asks the campaigns service whether this collector may upload these declared attributes now;
   * a refusal is an ApiError with the service's code (campaign_cell_full, collector_not_verified,
   * campaign_closed, ...). Asked before any byte is stored, so a refused upload leaves nothing.
   */
  private async campaignUpload(
    batch: BatchRecord,
    declared: CampaignDeclaration,
  ): Promise<CampaignUploadRecord> {
    let answer;
    try {
      answer = await this.deps.campaigns.check({
        tenantId: batch.tenantId,
        projectId: batch.projectId,
        campaignId: declared.campaignId,
        collectorToken: declared.collectorToken,
        region: batch.declarations?.region ?? '',
        category: declared.category,
        setting: declared.setting,
        tags: declared.tags,
      });
    } catch (error) {
      this.deps.log.warn(
        { err: error, campaignId: declared.campaignId },
        'the campaigns service did not answer',
      );
      throw new ApiError('unavailable', 'the campaigns service is unavailable: retry the upload later');
    }
    if (!answer.allowed) {
      const code = refusalCodes.has(answer.code as ApiErrorCode)
        ? (answer.code as ApiErrorCode)
        : 'invalid_request';
      throw new ApiError(
        code,
        answer.message,
        answer.field ? [{ field: answer.field, message: answer.message }] : undefined,
      );
    }
    return {
      campaignId: declared.campaignId,
      collectorId: answer.collectorId,
      category: declared.category,
      setting: declared.setting.toLowerCase(),
      tags: declared.tags.map((tag) => tag.toLowerCase()),
    };
  }

  /**
   * quality's Assess on the upload's bytes, as the stage will judge this image (its id and receipt
   * time: the image is not its own duplicate); a failure is reported in the verdict, not as a
   * failed upload.
   */
  private async verdict(
    batch: BatchRecord,
    content: Buffer,
    image: { imageId: string; receivedAt: Date },
  ): Promise<VerdictView> {
    try {
      const answer = await this.deps.quality.assess({
        content,
        tenantId: batch.tenantId,
        projectId: batch.projectId,
        imageId: image.imageId,
        receivedAt: image.receivedAt.toISOString(),
      });
      return {
        accepted: answer.accepted,
        reasons: answer.reasons.map(({ code, message }) => ({ code, message })),
        ...(answer.result && { result: qualityV1.QualityResult.toJSON(answer.result) }),
      };
    } catch (error) {
      this.deps.log.warn({ err: error }, 'no synchronous verdict: quality did not answer');
      return {
        accepted: false,
        reasons: [],
        error: 'the quality service did not answer in time; the image is processed as usual',
      };
    }
  }

  private async store(
    batch: BatchRecord,
    filename: string,
    source: Readable,
    options: UploadOptions,
  ): Promise<ImageView> {
    const { MAX_UPLOAD_BYTES } = this.deps.config;
    const campaign = options.campaign ? await this.campaignUpload(batch, options.campaign) : undefined;
    // For a synchronous verdict the bytes are also kept in memory (at most MAX_UPLOAD_BYTES: the
    // blob store stops the upload beyond), because quality's Assess takes them in one message.
    const kept: Buffer[] = [];
    let input = source;
    if (options.syncVerdict) {
      // A Transform, not a 'data' listener: a listener would switch the stream to flowing mode
      // and the blob store would miss the bytes.
      const tee = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          kept.push(chunk);
          done(null, chunk);
        },
      });
      // A source that fails or is cut off, even before this point, fails the tee (and the upload).
      finished(source, { writable: false }, (error) => {
        if (error) tee.destroy(error);
      });
      input = source.pipe(tee);
    }
    let contentType: string | undefined;
    let stored;
    try {
      stored = await this.deps.blobs.putContentAddressed(input, {
        prefix: 'raw',
        maxBytes: MAX_UPLOAD_BYTES,
        inspectHead: (head) => {
          if (head.length === 0) {
            throw ApiError.invalid(`${JSON.stringify(filename)} is empty (0 bytes): send the image's bytes`);
          }
          const sniffed = sniffImageType(head);
          if (!sniffed.accepted) {
            throw new ApiError(
              'unsupported_media_type',
              `${JSON.stringify(filename)} is ${sniffed.detected}, not a supported image (${ACCEPTED_FORMATS})`,
            );
          }
          contentType = sniffed.contentType;
        },
      });
    } catch (error) {
      if (error instanceof BlobTooLargeError) {
        throw new ApiError(
          'too_large',
          `${JSON.stringify(filename)} is larger than the limit of ${MAX_UPLOAD_BYTES} bytes`,
        );
      }
      throw error;
    }
    if (contentType === undefined) throw new Error('the blob store did not inspect the upload');
    const imageId = newId('img');
    const receivedAt = new Date();
    // The verdict is asked for as soon as the bytes are in, in parallel with the record's write,
    // for this image: the stage may judge it before quality answers.
    const verdict = options.syncVerdict
      ? this.verdict(batch, Buffer.concat(kept), { imageId, receivedAt })
      : undefined;
    // The batch may have been closed while the bytes arrived.
    await this.batches.requireOpen(batch.tenantId, batch._id);

    const raw = { key: stored.key, contentType, sizeBytes: stored.sizeBytes, sha256: stored.sha256 };
    const declarations = {
      region: batch.declarations?.region ?? '',
      // The batch's consents, then the image's own (a batch or an image may declare them).
      consentIds: [...new Set([...(batch.declarations?.consentIds ?? []), ...(options.consentIds ?? [])])],
    };
    const record: NewImageRecord = {
      _id: imageId,
      tenantId: batch.tenantId,
      projectId: batch.projectId,
      batchId: batch._id,
      filename,
      raw,
      declarations,
      receivedAt,
      ...(campaign && { campaign }),
      listKey: listKeyOf(batch._id, imageId),
    };
    const payload = ingestV1.ImageIngested.encode({
      image: {
        imageId,
        tenantId: batch.tenantId,
        projectId: batch.projectId,
        batchId: batch._id,
        filename,
        raw: {
          key: raw.key,
          contentType: raw.contentType,
          sizeBytes: String(raw.sizeBytes),
          checksum: { algorithm: 1, hex: raw.sha256 },
        },
        declarations,
        receivedAt: receivedAt.toISOString(),
        ...(campaign && { campaign }),
      },
    }).finish();
    const created = await this.deps.records.create(record, {
      topic: Topics.imageIngested,
      key: imageId,
      payload: Buffer.from(payload),
      headers: traceHeaders(),
    });
    this.deps.log.info(
      {
        tenantId: batch.tenantId,
        batchId: batch._id,
        imageId,
        contentType,
        sizeBytes: raw.sizeBytes,
        ...(campaign && { campaignId: campaign.campaignId, collectorId: campaign.collectorId }),
      },
      'image ingested',
    );
    const view = toImageView(created);
    if (verdict) view.verdict = await verdict;
    return view;
  }

  /** The tenant's image; another tenant's is "not found". */
  async get(tenantId: string, imageId: string): Promise<ImageView> {
    const record = await this.images.findOne({ _id: imageId, tenantId }).lean<ImageRecord>().exec();
    if (!record) throw ApiError.notFound('image', imageId);
    return toImageView(record);
  }

  /**
   * One page of a batch's images, by id, optionally of one status. A batch counted by tallies is
   * read a list bucket at a time (its tally says which buckets hold images: listBucketOf), from
   * the cursor's, until the page is full: a page costs a few queries of about a bucket's images
   * whatever the batch's size. FerretDB serves neither a range on `_id` nor a sort nor a limit from
   * an index, so the query of before (kept for batches from before the tallies) read the whole batch.
   */
  async list(
    tenantId: string,
    batchId: string,
    query: ImageListQuery,
  ): Promise<{ images: ImageView[]; nextCursor: string | null }> {
    const batch = await this.batches.require(tenantId, batchId);
    const rows = batch.tallied
      ? await this.listByBuckets(batch, query)
      : await this.images
          .find(
            {
              tenantId,
              batchId,
              ...(query.status && { status: query.status }),
              ...(query.cursor && { _id: { $gt: query.cursor } }),
            },
            { outbox: 0 },
          )
          .sort({ _id: 1 })
          .limit(query.limit + 1)
          .lean<ImageRecord[]>()
          .exec();
    const page = toPage(rows, query.limit, (row) => row._id);
    return { images: page.items.map(toImageView), nextCursor: page.nextCursor };
  }

  /** Up to `limit` + 1 images of the batch after the cursor, in id order, read bucket by bucket. */
  private async listByBuckets(batch: BatchRecord, query: ImageListQuery): Promise<ImageRecord[]> {
    const from = query.cursor ? listBucketOf(query.cursor) : '';
    const { buckets } = await this.deps.tallies.batch(batch._id);
    const rows: ImageRecord[] = [];
    for (const bucket of buckets.filter((b) => b >= from)) {
      if (rows.length > query.limit) break;
      const found = await this.images
        .find({ listKey: `${batch._id}/${bucket}`, tenantId: batch.tenantId }, { outbox: 0 })
        .lean<ImageRecord[]>()
        .exec();
      const after = query.cursor ?? '';
      rows.push(
        ...found
          .filter((row) => row._id > after && (!query.status || row.status === query.status))
          .sort((a, b) => (a._id < b._id ? -1 : 1)),
      );
    }
    return rows.slice(0, query.limit + 1);
  }
}
