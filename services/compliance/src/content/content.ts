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
import type { StageContext } from '@aperture/stage-runtime';

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

/** How many earlier images of the same scene cluster the novelty compares with (newest first). */
const NOVELTY_NEIGHBOURS = 200;

/**
 * Distance to the nearest earlier image of the project in the same scene cluster (1 when the
 * cluster is new to the project). One query on (project, cluster), bounded: never a scan of the
 * project. Images in a neighbouring cluster are not compared: a cluster is the unit of "scene".
 */
export async function sceneNovelty(
  ctx: StageContext,
  record: Pick<ImageRecord, '_id' | 'tenantId' | 'projectId'>,
  descriptors: ContentDescriptors,
): Promise<number> {
  const earlier = await ctx.pipeline.records.model
    .find(
      {
        tenantId: record.tenantId,
        projectId: record.projectId,
        [CLUSTER_PATH]: descriptors.scene.cluster,
        _id: { $ne: record._id },
      },
      { [DESCRIPTOR_PATH]: 1 },
    )
    .sort({ _id: -1 })
    .limit(NOVELTY_NEIGHBOURS)
    .lean<Array<{ stages?: { compliance?: { content?: { scene?: { descriptor?: unknown } } } } }>>()
    .exec();
  let nearest = 1;
  for (const other of earlier) {
    const bytes = bytesOf(other.stages?.compliance?.content?.scene?.descriptor);
    if (bytes && bytes.length === descriptors.scene.descriptor.length)
      nearest = Math.min(nearest, sceneDistance(descriptors.scene.descriptor, bytes));
  }
  return Math.round(nearest * 1000) / 1000;
}

export const CLUSTER_PATH = 'stages.compliance.content.scene.cluster';
const DESCRIPTOR_PATH = 'stages.compliance.content.scene.descriptor';

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
