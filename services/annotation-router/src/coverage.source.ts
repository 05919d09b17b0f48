// The diversity coverage of a project or one of its batches (issue 24) for the dataset report:
// read from the coverage counters the compliance stage adds to (one document per batch, never one
// per image), merged, and checked against the policy's content targets.
import type { contentV1 } from '@aperture/contracts';
import { AXES, type Coverage, type CoverageCheck } from '@aperture/diversity';
import { CoverageCounters } from '@aperture/persistence';
import type { ProjectPolicy } from '@aperture/policy';
import type { StageContext } from '@aperture/stage-runtime';

export interface CoverageReport extends Coverage {
  /** The policy's content targets (dataset.minBucketShare, maxSceneClusterShare, minBatchNovelty), each met or not. */
  targets: CoverageCheck[];
}

export async function coverageReport(
  ctx: StageContext,
  policy: ProjectPolicy,
  scope: { tenantId: string; projectId: string; batchId?: string },
): Promise<CoverageReport> {
  const { coverage, targets } = await new CoverageCounters(ctx.pipeline.connection).checked(
    scope,
    policy.dataset,
  );
  return { ...coverage, targets };
}

/** The report's coverage as gRPC's GetCoverage carries it (aperture.content.v1.Coverage). */
export function coverageMessage(report: CoverageReport): contentV1.Coverage {
  return {
    images: report.images,
    axes: AXES.map((axis) => ({
      axis,
      buckets: report.axes[axis].map(({ label, count, share }) => ({ bucket: label, count, share })),
    })),
    sceneClusters: report.scenes.clusters,
    effectiveScenes: report.scenes.effective,
    largestSceneShare: report.scenes.largestShare,
    meanNovelty: report.meanNovelty,
    newSceneShare: report.newSceneShare,
    targets: report.targets,
  };
}
