/** Per-collector quality of a campaign, from the terminal states of their images. */

export interface CollectorOutcomes {
  collectorId: string;
  uploaded: number;
  curated: number;
  rejected: number;
  /** Rejections by reason code (one image may carry several). */
  reasons: Record<string, number>;
  /** Consensus agreement (0..1) of each of their curated images that more than one annotator labelled. */
  agreements: number[];
}

export interface CollectorStats {
  collectorId: string;
  uploaded: number;
  curated: number;
  rejected: number;
  inFlight: number;
  /** curated / (curated + rejected); null while nothing is decided. */
  acceptanceRate: number | null;
  /** Images rejected as duplicate or near_duplicate / decided. */
  duplicateRate: number | null;
  rejectionReasons: Record<string, number>;
  /** Mean consensus agreement on their images; null without consensus. */
  annotatorAgreement: number | null;
  /** Acceptance below the campaign's bar, once enough is decided. */
  flagged: boolean;
}

const DUPLICATE_CODES = ['duplicate', 'near_duplicate'];

const round = (value: number) => Math.round(value * 1000) / 1000;

export function collectorStats(
  outcomes: CollectorOutcomes,
  bar: { minAcceptance: number; minDecided: number },
  duplicateImages: number,
): CollectorStats {
  const decided = outcomes.curated + outcomes.rejected;
  const acceptanceRate = decided > 0 ? round(outcomes.curated / decided) : null;
  const { agreements } = outcomes;
  return {
    collectorId: outcomes.collectorId,
    uploaded: outcomes.uploaded,
    curated: outcomes.curated,
    rejected: outcomes.rejected,
    inFlight: Math.max(0, outcomes.uploaded - decided),
    acceptanceRate,
    duplicateRate: decided > 0 ? round(duplicateImages / decided) : null,
    rejectionReasons: outcomes.reasons,
    annotatorAgreement:
      agreements.length > 0 ? round(agreements.reduce((sum, a) => sum + a, 0) / agreements.length) : null,
    flagged: acceptanceRate !== null && decided >= bar.minDecided && acceptanceRate < bar.minAcceptance,
  };
}

/** Whether a rejected image's reasons make it a duplicate. */
export function isDuplicateRejection(reasonCodes: string[]): boolean {
  return reasonCodes.some((code) => DUPLICATE_CODES.includes(code));
}
