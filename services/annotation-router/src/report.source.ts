import { ApiError } from '@aperture/runtime';
import type { ImageRecord } from '@aperture/persistence';
import type { StageContext } from '@aperture/stage-runtime';
import { readCamera } from '@aperture/imaging';
import { coverageReport } from './coverage.source';
import { buildReport, type DatasetReport, type ReportImage } from './domain/report';

interface QualityStage {
  width?: number;
  height?: number;
  duplicateOf?: string;
  metrics?: { brightnessP50?: number; contrast?: number; colourfulness?: number };
}
interface StandardizeStage {
  width?: number;
  height?: number;
  appliedOrientation?: number;
}
interface AnnotationStage {
  agreement?: number;
  annotation?: { labels?: Array<{ class?: string }> };
}

/** The report of a project (or of one of its batches), from its image records and raw files' EXIF. */
export async function projectReport(
  ctx: StageContext,
  tenantId: string,
  projectId: string,
  batchId?: string,
): Promise<DatasetReport> {
  const policy = await ctx.policies.get(tenantId, projectId);
  if (!policy) throw new ApiError('not_found', `project ${JSON.stringify(projectId)} not found`);
  const records = await ctx.pipeline.records.model
    .find({ tenantId, projectId, ...(batchId && { batchId }) })
    .sort({ _id: 1 })
    .lean<ImageRecord[]>()
    .exec();
  if (batchId && records.length === 0)
    throw new ApiError('not_found', `batch ${JSON.stringify(batchId)} has no images in this project`);
  const images: ReportImage[] = [];
  for (const record of records) {
    const quality = record.stages['quality'] as QualityStage | undefined;
    const standardize = record.stages['standardize'] as StandardizeStage | undefined;
    const annotation = record.stages['annotation'] as AnnotationStage | undefined;
    const camera =
      record.status === 'rejected' ? {} : await readCamera(ctx.blobs.open(record.raw.key)).catch(() => ({}));
    images.push({
      imageId: record._id,
      batchId: record.batchId,
      status: record.status,
      receivedAt: new Date(record.receivedAt),
      reasons: record.reasons.map((reason) => reason.code),
      ...((standardize?.width ?? quality?.width) !== undefined && {
        width: standardize?.width ?? quality?.width,
        height: standardize?.height ?? quality?.height,
      }),
      ...(quality?.metrics?.brightnessP50 !== undefined && { brightness: quality.metrics.brightnessP50 }),
      ...(quality?.metrics?.contrast !== undefined && { contrast: quality.metrics.contrast }),
      ...(quality?.metrics?.colourfulness !== undefined && { colourfulness: quality.metrics.colourfulness }),
      ...(standardize?.appliedOrientation !== undefined && { orientation: standardize.appliedOrientation }),
      ...(quality?.duplicateOf && { duplicateOf: quality.duplicateOf }),
      ...('make' in camera && camera.make && { cameraMake: camera.make }),
      ...('model' in camera && camera.model && { cameraModel: camera.model }),
      ...('captureHour' in camera && camera.captureHour !== undefined && { captureHour: camera.captureHour }),
      classes: (annotation?.annotation?.labels ?? []).map((label) => String(label.class)),
      ...(annotation?.agreement !== undefined && { agreement: annotation.agreement }),
    });
  }
  const report = buildReport(images, {
    projectId,
    ...(batchId && { batchId }),
    targets: policy.dataset.targets,
    classes: policy.annotation.classes,
  });
  return {
    ...report,
    coverage: await coverageReport(ctx, policy, { tenantId, projectId, ...(batchId && { batchId }) }),
  };
}
