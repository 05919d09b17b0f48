import type { BatchTally } from './batch-tally';

export type StoredBatchState = 'open' | 'closed';
export type BatchState = 'open' | 'closed' | 'complete';

export interface BatchCounts {
  uploaded: number;
  processing: number;
  pendingAnnotation: number;
  curated: number;
  rejected: number;
  /** Erased after upload: counted here, no longer under the status they had. */
  erased: number;
  rejectedByReason: Record<string, number>;
}

/**
 * What a client sees: "open" while uploads are taken; once closed, "complete" as soon as no image
 * is still moving through the stages (each one curated, rejected or waiting for annotation) and the
 * counts cover every image the batch accepted (`countedAll`: false while the tallies trail).
 */
export function batchState(
  stored: StoredBatchState,
  counts: Pick<BatchCounts, 'processing'>,
  countedAll = true,
): BatchState {
  if (stored === 'open') return 'open';
  return counts.processing === 0 && countedAll ? 'complete' : 'closed';
}

/** The counts of a batch from its tally, rejection reasons sorted by code. */
export function batchCounts(
  tally: Pick<BatchTally, 'uploaded' | 'byStatus' | 'rejectedByReason'>,
): BatchCounts {
  const rejectedByReason: Record<string, number> = {};
  for (const code of Object.keys(tally.rejectedByReason).sort()) {
    rejectedByReason[code] = tally.rejectedByReason[code]!;
  }
  const { byStatus } = tally;
  return {
    uploaded: tally.uploaded,
    processing: byStatus.processing ?? 0,
    pendingAnnotation: byStatus.pending_annotation ?? 0,
    curated: byStatus.curated ?? 0,
    rejected: byStatus.rejected ?? 0,
    erased: byStatus.erased ?? 0,
    rejectedByReason,
  };
}
