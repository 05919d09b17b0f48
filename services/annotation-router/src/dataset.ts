import { ApiError } from '@aperture/runtime';
import { Topics } from '@aperture/contracts';
import { type CuratedImage, decodeCurated } from '@aperture/curated-consumer';
import type { ImageRecord } from '@aperture/persistence';
import type { StageContext } from '@aperture/stage-runtime';

/** An outbox payload as read back: a Buffer, or the driver's Binary (lean reads) holding one. */
function bytesOf(payload: unknown): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  const binary = payload as { buffer?: unknown };
  if (binary.buffer instanceof Uint8Array) return binary.buffer;
  throw new Error('an outbox payload that is not binary');
}

export type CuratedView = Omit<CuratedImage, 'record'>;

export interface CuratedPage {
  project: {
    projectId: string;
    taskType: string;
    annotated: boolean;
    classes: string[];
    keypoints: string[];
  };
  /** How many curated images the project has (all splits). */
  total: number;
  images: CuratedView[];
  nextCursor: string | null;
}

/**
 * The curated records of a project, read from each image record's outbox (the very bytes published
 * on the curated topic, kept in the record), in image-id order, a page at a time.
 */
export async function curatedPage(
  ctx: StageContext,
  query: { tenantId: string; projectId: string; cursor?: string; limit: number; split?: string },
): Promise<CuratedPage> {
  const policy = await ctx.policies.get(query.tenantId, query.projectId);
  if (!policy) throw new ApiError('not_found', `project ${JSON.stringify(query.projectId)} not found`);
  const filter = { tenantId: query.tenantId, projectId: query.projectId, status: 'curated' as const };
  const model = ctx.pipeline.records.model;
  const [total, records] = await Promise.all([
    model.countDocuments(filter).exec(),
    model
      .find({ ...filter, ...(query.cursor && { _id: { $gt: query.cursor } }) })
      .sort({ _id: 1 })
      .limit(query.limit)
      .lean<ImageRecord[]>()
      .exec(),
  ]);
  const images: CuratedView[] = [];
  for (const record of records) {
    const entry = record.outbox.find((candidate) => candidate.topic === Topics.imageCurated);
    if (!entry) continue;
    const { record: _full, ...view } = decodeCurated(bytesOf(entry.payload));
    if (!query.split || view.split === query.split) images.push(view);
  }
  return {
    project: {
      projectId: query.projectId,
      taskType: policy.annotation.taskType,
      annotated: policy.annotation.required,
      classes: policy.annotation.classes,
      keypoints: policy.annotation.keypoints,
    },
    total,
    images,
    nextCursor: records.length === query.limit ? records.at(-1)!._id : null,
  };
}

/** The derivative of one curated image of the tenant's project. */
export async function curatedImageBytes(
  ctx: StageContext,
  tenantId: string,
  projectId: string,
  imageId: string,
): Promise<{ bytes: Buffer; contentType: string }> {
  const record = await ctx.pipeline.records.model
    .findOne({ _id: imageId, tenantId, projectId, status: 'curated' })
    .lean<ImageRecord>()
    .exec();
  const entry = record?.outbox.find((candidate) => candidate.topic === Topics.imageCurated);
  if (!entry) throw new ApiError('not_found', `curated image ${JSON.stringify(imageId)} not found`);
  const view = decodeCurated(bytesOf(entry.payload));
  return { bytes: await ctx.blobs.get(view.image.key), contentType: view.image.contentType };
}
