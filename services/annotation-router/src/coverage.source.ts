// The diversity coverage of a project or one of its batches (issue 24) for the dataset report:
// read from the coverage counters the compliance stage adds to (one document per batch, never one
// per image), merged, and checked against the policy's content targets.
import {
  checkCoverage,
  coverageOf,
  emptyCounts,
  mergeCounts,
  type Coverage,
  type CoverageCheck,
  type CoverageCounts,
} from '@aperture/diversity';
import { CoverageCounters, type CoverageCounterDoc, type ProjectPolicy } from '@aperture/persistence';
import type { StageContext } from '@aperture/stage-runtime';

export interface CoverageReport extends Coverage {
  /** The policy's content targets (dataset.minBucketShare, maxSceneClusterShare, minBatchNovelty), each met or not. */
  targets: CoverageCheck[];
}

const countsOf = (doc: CoverageCounterDoc): CoverageCounts => ({
  images: doc.images ?? 0,
  buckets: doc.buckets ?? {},
  clusters: doc.clusters ?? {},
  noveltySum: doc.noveltySum ?? 0,
  newScenes: doc.newScenes ?? 0,
});

export async function coverageReport(
  ctx: StageContext,
  policy: ProjectPolicy,
  scope: { tenantId: string; projectId: string; batchId?: string },
): Promise<CoverageReport> {
  const docs = await new CoverageCounters(ctx.pipeline.connection).read(
    scope.tenantId,
    scope.projectId,
    'batch',
    scope.batchId,
  );
  const coverage = coverageOf(docs.map(countsOf).reduce(mergeCounts, emptyCounts()));
  const { targets, minBucketShare } = policy.dataset;
  return {
    ...coverage,
    targets: checkCoverage(
      coverage,
      {
        minBucketShare,
        ...(targets.maxSceneClusterShare > 0 && { maxSceneClusterShare: targets.maxSceneClusterShare }),
        ...(targets.minBatchNovelty > 0 && { minBatchNovelty: targets.minBatchNovelty }),
      },
      scope.batchId !== undefined,
    ),
  };
}
