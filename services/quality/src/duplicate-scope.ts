import type { DuplicateScope } from '@aperture/image-quality';
import type { StageContext } from '@aperture/stage-runtime';
import { mongoDuplicateIndex } from './duplicates';

export type ScopedImage = { tenantId: string; projectId: string; imageId: string; receivedAt: string };

/** The quality service's context: the stage's, with the duplicate scope of an image (its one object). */
export type QualityContext = StageContext & { duplicateScope(image: ScopedImage): DuplicateScope };

/**
 * The duplicate scope of one image: its project's index in MongoDB (shared by every replica of the
 * stage), "earlier" meaning received earlier by ingest (ties broken by image id), and earlier
 * images' bytes read back through their records, to confirm a pixel-identical match.
 */
export function duplicateScope(ctx: StageContext, image: ScopedImage): DuplicateScope {
  return {
    index: mongoDuplicateIndex(ctx.pipeline.connection, {
      tenantId: image.tenantId,
      projectId: image.projectId,
    }),
    imageId: image.imageId,
    order: `${image.receivedAt}/${image.imageId}`,
    loadImage: async (imageId) => {
      const record = await ctx.pipeline.records.get(imageId);
      const key = record?.raw?.key;
      if (!key || record.tenantId !== image.tenantId) return undefined;
      return ctx.blobs.get(key).catch(() => undefined);
    },
  };
}
