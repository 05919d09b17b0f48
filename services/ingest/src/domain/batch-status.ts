import type { ImageStatus } from '@aperture/persistence';

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
 * is still moving through the stages (each one curated, rejected or waiting for annotation).
 */
export function batchState(stored: StoredBatchState, counts: Pick<BatchCounts, 'processing'>): BatchState {
  if (stored === 'open') return 'open';
  return counts.processing === 0 ? 'complete' : 'closed';
}

/** The counts of a batch from its per-status and per-reason tallies. */
export function batchCounts(
  byStatus: Partial<Record<ImageStatus, number>>,
  uploaded: number,
  reasons: Array<{ code: string; count: number }>,
): BatchCounts {
  const rejectedByReason: Record<string, number> = {};
  for (const { code, count } of [...reasons].sort((a, b) => a.code.localeCompare(b.code))) {
    rejectedByReason[code] = (rejectedByReason[code] ?? 0) + count;
  }
  return {
    uploaded,
    processing: byStatus.processing ?? 0,
    pendingAnnotation: byStatus.pending_annotation ?? 0,
    curated: byStatus.curated ?? 0,
    rejected: byStatus.rejected ?? 0,
    erased: byStatus.erased ?? 0,
    rejectedByReason,
  };
}
