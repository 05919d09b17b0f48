// The content descriptors of a cleared image (libs/diversity), from the detections the stage
// already made and a small copy of the image, and the scene's novelty within its project.
import type { contentV1 } from '@aperture/contracts';
import {
  bucketsOf,
  DESCRIPTOR_SIDE,
  sceneDistance,
  type ContentDescriptors,
  type SmallImage,
} from '@aperture/diversity';
import type { CoverageCounters, ImageRecord } from '@aperture/persistence';
import { sharp } from '@aperture/imaging';
import { type Connection, type Model, Schema } from 'mongoose';

/**
 * The upright image at DESCRIPTOR_SIDE on its longest side, RGB. From the thumbnail when there is
 * one (a few hundred pixels: decoding it is cheap), else the derivative (JPEG shrink-on-load).
 */
export async function smallImage(bytes: Buffer): Promise<SmallImage> {
  const { data, info } = await sharp(bytes, { failOn: 'none' })
    .resize(DESCRIPTOR_SIDE, DESCRIPTOR_SIDE, { fit: 'inside' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

/** How many earlier images of the same scene cluster the novelty compares with (the newest). */
const NOVELTY_NEIGHBOURS = 64;

/**
 * The newest images of one scene cluster of a project (collection scene_neighbours, `_id`
 * `<tenant>/<project>/<cluster>`): the novelty reads one document by `_id` instead of querying the
 * project's records (FerretDB on PostgreSQL pushes no nested or `$ne` filter down, so that query
 * read every record of the project).
 */
interface SceneNeighbours {
  _id: string;
  recent: Array<{ imageId: string; descriptor: Buffer }>;
}

const neighboursSchema = new Schema<SceneNeighbours>(
  {
    _id: { type: String, required: true },
    recent: [
      { _id: false, imageId: { type: String, required: true }, descriptor: { type: Buffer, required: true } },
    ],
  },
  { collection: 'scene_neighbours', versionKey: false },
);

/** The novelty of a scene within its project (built once per service: context.ts). */
export interface SceneNovelty {
  novelty(
    record: Pick<ImageRecord, '_id' | 'tenantId' | 'projectId'>,
    descriptors: ContentDescriptors,
  ): Promise<number>;
}

/**
 * Distance to the nearest of the newest earlier images of the project in the same scene cluster
 * (1 when the cluster is new to the project), then this image joins the cluster's list. One read
 * and one write by `_id`. A redelivery finds itself in the list and skips it. Two replicas adding
 * to one cluster at once may drop one entry from the list (FerretDB writes are read-then-write): the
 * novelty is then measured against one neighbour fewer, never wrong about the image itself.
 */
export function sceneNoveltyStore(connection: Connection): SceneNovelty {
  const model =
    (connection.models['SceneNeighbours'] as Model<SceneNeighbours> | undefined) ??
    connection.model<SceneNeighbours>('SceneNeighbours', neighboursSchema);
  return {
    async novelty(record, descriptors) {
      const id = `${record.tenantId}/${record.projectId}/${descriptors.scene.cluster}`;
      const doc = await model.findById(id).lean<SceneNeighbours>().exec();
      const others = (doc?.recent ?? []).filter((entry) => entry.imageId !== record._id);
      const recent = [
        ...others,
        { imageId: record._id, descriptor: Buffer.from(descriptors.scene.descriptor) },
      ].slice(-NOVELTY_NEIGHBOURS);
      await model.updateOne({ _id: id }, { $set: { recent } }, { upsert: true }).exec();
      return nearestDistance(descriptors, others);
    },
  };
}

/** Distance from a scene to the nearest of others (1 when there is none), to 3 decimals. */
export function nearestDistance(
  descriptors: ContentDescriptors,
  others: Array<{ descriptor: unknown }>,
): number {
  let nearest = 1;
  for (const other of others) {
    const bytes = bytesOf(other.descriptor);
    if (bytes && bytes.length === descriptors.scene.descriptor.length)
      nearest = Math.min(nearest, sceneDistance(descriptors.scene.descriptor, bytes));
  }
  return Math.round(nearest * 1000) / 1000;
}

/** A stored descriptor: a Buffer, BSON Binary (its `buffer`) or a plain byte array. */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value && typeof value === 'object' && 'buffer' in value && value.buffer instanceof Uint8Array)
    return value.buffer;
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  return undefined;
}

/** The descriptors as the contract carries them. */
export function contentMessage(
  descriptors: ContentDescriptors,
  objectDetector: string,
  novelty: number,
): contentV1.ContentDescriptors {
  const { lighting, viewpoint, distance, occlusion, content, scene } = descriptors;
  return {
    version: descriptors.version,
    lighting,
    viewpoint: {
      faces: viewpoint.faces,
      bucket: viewpoint.bucket,
      ...(viewpoint.cameraTilt !== undefined && { cameraTilt: viewpoint.cameraTilt }),
    },
    distance,
    occlusion,
    content,
    scene: { cluster: scene.cluster, descriptor: Buffer.from(scene.descriptor), novelty },
    objectDetector,
  };
}

/**
 * Adds a cleared image to its batch's (and campaign's) coverage counters, once per image: called
 * after the stage result is written, and again on a redelivery (a no-op when it was counted).
 */
export async function countCoverage(
  counters: CoverageCounters,
  record: Pick<ImageRecord, '_id' | 'tenantId' | 'projectId' | 'batchId' | 'campaign'>,
  content: contentV1.ContentDescriptors | undefined,
): Promise<void> {
  if (!content?.scene) return;
  await counters.count(
    {
      imageId: record._id,
      tenantId: record.tenantId,
      projectId: record.projectId,
      batchId: record.batchId,
      ...(record.campaign?.campaignId && { campaignId: record.campaign.campaignId }),
    },
    { buckets: bucketsOf(content), cluster: content.scene.cluster, novelty: content.scene.novelty },
  );
}
